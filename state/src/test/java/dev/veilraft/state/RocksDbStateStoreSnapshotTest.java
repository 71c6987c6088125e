package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreTest.SECRET;
import static dev.veilraft.state.RocksDbStateStoreTest.filled;
import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export of a store's records and import into a fresh store: the two halves of a snapshot. */
class RocksDbStateStoreSnapshotTest {
  static final byte[] OTHER_SECRET = filled(32, 9);
  static final List<String> NAMESPACES = List.of("app/a", "app/ab", "membership");

  @TempDir Path source;
  @TempDir Path target;

  record Exported(String namespace, byte[] key, byte[] value) {}

  /** A sink that keeps what it is given, and the index given to begin. */
  static final class Collecting implements RecordSink {
    final List<Exported> records = new ArrayList<>();
    final List<Long> begins = new ArrayList<>();

    @Override
    public void begin(long appliedIndex) {
      assertThat(records).as("begin comes before every record").isEmpty();
      begins.add(appliedIndex);
    }

    @Override
    public void accept(String namespace, byte[] key, byte[] value) {
      records.add(new Exported(namespace, key, value));
    }
  }

  /** 57 entries of random puts and deletes over three namespaces. */
  static void workload(RocksDbStateStore store) throws StateException {
    Random random = new Random(5);
    for (int entry = 1; entry <= 57; entry++) {
      StateTransaction tx = store.begin();
      for (int op = 0; op < 10; op++) {
        String namespace = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
        byte[] key = RocksDbStateStoreDifferentialTest.randomKey(random);
        if (random.nextInt(4) == 0) {
          tx.delete(namespace, key);
        } else {
          tx.put(namespace, key, RocksDbStateStoreDifferentialTest.randomValue(random));
        }
      }
      tx.commit(entry);
    }
  }

  static List<StateRecord> everything(StateStore store, String namespace) throws StateException {
    return store.scan(namespace, null, null, RocksDbStateStore.scanRecordsMax);
  }

  @Test
  void exportThenImportUnderAnotherSecretGivesTheSameState() throws Exception {
    // Proves an export imported under another node's storage secret scans and reads the same, at the same applied index, and that the export leaves out the store's own records.
    try (RocksDbStateStore original = RocksDbStateStore.open(source, SECRET)) {
      workload(original);
      Collecting exported = new Collecting();
      assertThat(original.exportRecords(exported)).isEqualTo(57);
      assertThat(exported.begins).containsExactly(57L);
      assertThat(exported.records).extracting(Exported::namespace).doesNotContain(RocksDbStateStore.META_NAMESPACE);
      long total = 0;
      for (String namespace : NAMESPACES) {
        total += everything(original, namespace).size();
      }
      assertThat(exported.records).hasSize((int) total).hasSizeGreaterThan(50);

      try (RocksDbStateStore imported = RocksDbStateStore.importRecords(target, OTHER_SECRET, 57, original::exportRecords)) {
        assertThat(imported.appliedIndex()).isEqualTo(57);
        for (String namespace : NAMESPACES) {
          assertThat(everything(imported, namespace)).containsExactlyElementsOf(everything(original, namespace));
        }
        for (Exported record : exported.records) {
          assertThat(imported.get(record.namespace(), record.key()).orElseThrow()).isEqualTo(record.value());
        }
        assertThatThrownBy(() -> imported.begin().commit(57)).isInstanceOf(IllegalStateException.class);
        StateTransaction next = imported.begin();
        next.put("app/a", utf8("after-import"), utf8("v"));
        next.commit(58);
      }
    }
    assertThatThrownBy(() -> RocksDbStateStore.open(target, SECRET))
        .isInstanceOf(StateException.class).hasMessageContaining("storage key does not open");
    try (RocksDbStateStore reopened = RocksDbStateStore.open(target, OTHER_SECRET)) {
      assertThat(reopened.appliedIndex()).isEqualTo(58);
      assertThat(reopened.get("app/a", utf8("after-import")).orElseThrow()).isEqualTo(utf8("v"));
    }
  }

  @Test
  void exportIsOnePointInTimeWhileCommitsGoOn() throws Exception {
    // Proves an export sees the state at its start: an entry committed while it streams is neither exported nor counted in its index.
    try (RocksDbStateStore store = RocksDbStateStore.open(source, SECRET)) {
      RocksDbStateStoreScanTest.commit(store, "app/a", "k1", "k2", "k3");
      List<String> keys = new ArrayList<>();
      long index = store.exportRecords((namespace, key, value) -> {
        if (keys.isEmpty()) {
          StateTransaction tx = store.begin();
          tx.put("app/a", utf8("late"), utf8("v"));
          tx.delete("app/a", utf8("k3"));
          tx.commit(2);
        }
        keys.add(new String(key));
      });
      assertThat(index).isEqualTo(1);
      assertThat(keys).containsExactlyInAnyOrder("k1", "k2", "k3");
      assertThat(RocksDbStateStoreScanTest.keysOf(everything(store, "app/a"))).containsExactly("k1", "k2", "late");
    }
  }

  @Test
  void importWritesLargeStreamsInBoundedBatches() throws Exception {
    // Proves an import larger than several batches arrives whole, including empty keys and values, with an empty source giving an empty store at its index.
    byte[] value = filled(256 * 1024, 4);
    int records = (int) (3 * RocksDbStateStore.importBatchBytesMax / value.length) + 5;
    try (RocksDbStateStore imported = RocksDbStateStore.importRecords(target, SECRET, 9, sink -> {
      sink.accept("app/a", new byte[0], new byte[0]);
      for (int i = 0; i < records; i++) {
        sink.accept("app/big", utf8(String.format("%04d", i)), value);
      }
    })) {
      assertThat(imported.scan("app/big", null, null, RocksDbStateStore.scanRecordsMax)).hasSize(records);
      assertThat(imported.get("app/a", new byte[0]).orElseThrow()).isEmpty();
      assertThat(imported.appliedIndex()).isEqualTo(9);
    }
    try (RocksDbStateStore empty = RocksDbStateStore.importRecords(source.resolve("empty"), SECRET, 1, sink -> {})) {
      assertThat(empty.appliedIndex()).isEqualTo(1);
      assertThat(empty.scan("app/a", null, null, 1)).isEmpty();
    }
  }

  @Test
  void importRefusesANonEmptyTargetBadRecordsAndAnotherIndex() throws Exception {
    // Proves import builds only fresh stores, names the bad record by position, and checks an index announced by the source.
    Files.writeString(target.resolve("stray"), "x");
    assertThatThrownBy(() -> RocksDbStateStore.importRecords(target, SECRET, 1, sink -> {}))
        .isInstanceOf(StateException.class).hasMessageContaining("import target " + target.toAbsolutePath() + " is not empty");

    assertThatThrownBy(() -> RocksDbStateStore.importRecords(source.resolve("meta"), SECRET, 1, sink -> {
      sink.accept("app/a", utf8("k"), utf8("v"));
      sink.accept("_meta", utf8("applied-index"), new byte[8]);
    })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("import record 2 is refused")
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> RocksDbStateStore.importRecords(source.resolve("key"), SECRET, 1,
        sink -> sink.accept("app/a", new byte[4097], utf8("v"))))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keySizeBytesMax");
    assertThatThrownBy(() -> RocksDbStateStore.importRecords(source.resolve("index"), SECRET, 7, sink -> sink.begin(6)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("import source is at applied index 6, but the import was asked for 7");
    assertThatThrownBy(() -> RocksDbStateStore.importRecords(source.resolve("zero"), SECRET, 0, sink -> {}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must be 1 or more, got 0");
  }

  @Test
  void importThatFailsHalfWayLeavesAStoreThatOpenRefuses() throws Exception {
    // Proves a store whose import stopped part-way never passes for a store at index 0: open refuses it by name.
    assertThatThrownBy(() -> RocksDbStateStore.importRecords(target, SECRET, 12, sink -> {
      sink.accept("app/a", utf8("k"), utf8("v"));
      throw new IOException("snapshot file truncated");
    })).isInstanceOf(IOException.class).hasMessage("snapshot file truncated");
    assertThatThrownBy(() -> RocksDbStateStore.open(target, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("state store " + target.toAbsolutePath() + " is an import that did not finish");
  }
}
