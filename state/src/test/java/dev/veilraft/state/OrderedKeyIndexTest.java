package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OrderedKeyIndexTest {
  static final ScanRange ALL = ScanRange.of(null, null, RocksDbStateStore.scanRecordsMax);

  static NavigableSet<byte[]> keys(String... keys) {
    NavigableSet<byte[]> set = OrderedKeyIndex.newKeySet();
    for (String key : keys) {
      set.add(utf8(key));
    }
    return set;
  }

  static List<String> indexed(OrderedKeyIndex index, String namespace) {
    return index.keys(namespace, ALL, 100, () -> null).keys().stream().map(String::new).toList();
  }

  /** A view whose read runs {@code during} first, standing in for commits that land while a build reads. */
  static OrderedKeyIndex.PinnedView view(NavigableSet<byte[]> keys, Runnable during, AtomicInteger closes) {
    return new OrderedKeyIndex.PinnedView() {
      @Override
      public NavigableSet<byte[]> keys() {
        during.run();
        return keys;
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    };
  }

  static void commit(OrderedKeyIndex index, RecordChange... changes) {
    try {
      index.commit(List.of(changes), () -> { });
    } catch (StateException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void commitsDuringABuildAreReplayedOntoWhatItRead() throws Exception {
    // Proves a commit that lands after the build pinned its view and before it finished is not lost: its put appears and its delete removes a key the view held.
    OrderedKeyIndex index = new OrderedKeyIndex();
    AtomicInteger closes = new AtomicInteger();
    index.ensureBuilt("app/x", () -> view(keys("a", "b"), () -> commit(index,
        new RecordChange("app/x", utf8("c"), utf8("v")),
        new RecordChange("app/x", utf8("a"), null),
        new RecordChange("app/other", utf8("z"), utf8("v"))), closes));
    assertThat(indexed(index, "app/x")).containsExactly("b", "c");
    assertThat(index.isBuilt("app/other")).isFalse();
    assertThat(closes).hasValue(1);

    commit(index, new RecordChange("app/x", utf8("a2"), utf8("v")), new RecordChange("app/x", utf8("b"), null));
    assertThat(indexed(index, "app/x")).containsExactly("a2", "c");
    assertThat(index.keyCount()).isEqualTo(2);
  }

  @Test
  void failedBuildLeavesNoIndexAndForgetsItsChanges() throws Exception {
    // Proves a build that fails installs nothing and closes its view, so the next scan builds again from the store.
    OrderedKeyIndex index = new OrderedKeyIndex();
    AtomicInteger closes = new AtomicInteger();
    assertThatThrownBy(() -> index.ensureBuilt("app/x", () -> new OrderedKeyIndex.PinnedView() {
      @Override
      public NavigableSet<byte[]> keys() throws StateException {
        commit(index, new RecordChange("app/x", utf8("lost"), utf8("v")));
        throw new StateException("record does not authenticate");
      }

      @Override
      public void close() {
        closes.incrementAndGet();
      }
    })).isInstanceOf(StateException.class);
    assertThat(index.isBuilt("app/x")).isFalse();
    assertThat(closes).hasValue(1);

    index.ensureBuilt("app/x", () -> view(keys("fresh"), () -> { }, closes));
    assertThat(indexed(index, "app/x")).containsExactly("fresh");
    index.ensureBuilt("app/x", () -> {
      throw new AssertionError("a built namespace is not built again");
    });
  }
}
