package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreTest.SECRET;
import static dev.veilraft.state.RocksDbStateStoreTest.filled;
import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStateStoreScanTest {
  @TempDir Path dir;

  static List<String> keysOf(List<StateRecord> records) {
    return records.stream().map(r -> new String(r.key(), java.nio.charset.StandardCharsets.ISO_8859_1)).toList();
  }

  static void commit(RocksDbStateStore store, String namespace, String... keys) throws StateException {
    StateTransaction tx = store.begin();
    for (String key : keys) {
      tx.put(namespace, utf8(key), utf8("v-" + key));
    }
    tx.commit(store.appliedIndex() + 1);
  }

  @Test
  void scanReturnsKeysInUnsignedOrderWithinBoundsAndLimit() throws Exception {
    // Proves scans order keys as unsigned bytes (0x7f before 0x80, a prefix before its extensions), honour both bounds and the limit, and stay in their namespace.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      for (byte[] key : new byte[][] {{(byte) 0x80}, {0x7f}, {}, {0x01}, {0x01, 0x00}, {(byte) 0xff}}) {
        tx.put("app/x", key, key);
      }
      tx.put("app/xy", new byte[] {0x02}, new byte[] {9});
      tx.commit(1);

      assertThat(store.scan("app/x", null, null, 100)).extracting(StateRecord::key)
          .containsExactly(new byte[] {}, new byte[] {0x01}, new byte[] {0x01, 0x00}, new byte[] {0x7f},
              new byte[] {(byte) 0x80}, new byte[] {(byte) 0xff});
      assertThat(store.scan("app/x", new byte[] {0x01}, new byte[] {(byte) 0x80}, 100)).extracting(StateRecord::key)
          .containsExactly(new byte[] {0x01}, new byte[] {0x01, 0x00}, new byte[] {0x7f});
      assertThat(store.scan("app/x", new byte[] {0x01, 0x00}, null, 2)).extracting(StateRecord::key)
          .containsExactly(new byte[] {0x01, 0x00}, new byte[] {0x7f});
      assertThat(store.scan("app/x", new byte[] {0x7f}, new byte[] {0x7f}, 10)).isEmpty();
      assertThat(store.scan("app/xy", null, null, 10)).containsExactly(new StateRecord(new byte[] {0x02}, new byte[] {9}));
      assertThat(store.scan("app/never-written", null, null, 10)).isEmpty();
    }
  }

  @Test
  void transactionScanMergesItsWritesAndDeletesWithCommittedKeys() throws Exception {
    // Proves a transaction's scan shows its puts, hides its deletes and overwrites, even when its deletes remove more keys than the limit.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      commit(store, "app/x", "a", "b", "c", "d", "e", "f");
      StateTransaction tx = store.begin();
      tx.delete("app/x", utf8("a"));
      tx.delete("app/x", utf8("b"));
      tx.delete("app/x", utf8("c"));
      tx.put("app/x", utf8("d"), utf8("new-d"));
      tx.put("app/x", utf8("bb"), utf8("v-bb"));
      tx.put("app/x", utf8("zz"), utf8("v-zz"));
      tx.delete("app/x", utf8("zz"));

      assertThat(keysOf(tx.scan("app/x", null, null, 2))).containsExactly("bb", "d");
      assertThat(tx.scan("app/x", utf8("c"), null, 1)).containsExactly(new StateRecord(utf8("d"), utf8("new-d")));
      assertThat(keysOf(tx.scan("app/x", null, null, 100))).containsExactly("bb", "d", "e", "f");
      assertThat(keysOf(store.scan("app/x", null, null, 100))).containsExactly("a", "b", "c", "d", "e", "f");

      tx.commit(2);
      assertThat(keysOf(store.scan("app/x", null, null, 100))).containsExactly("bb", "d", "e", "f");
    }
  }

  @Test
  void scansHandOutCopiesThatCannotChangeTheIndex() throws Exception {
    // Proves a caller changing the arrays a scan returned changes neither the index nor later scans.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      commit(store, "app/x", "a", "b");
      List<StateRecord> first = store.scan("app/x", null, null, 10);
      first.get(0).key()[0] = 'z';
      first.get(0).value()[0] = 'z';
      StateTransaction tx = store.begin();
      tx.scan("app/x", null, null, 10).get(1).key()[0] = 'a';
      assertThat(keysOf(store.scan("app/x", null, null, 10))).containsExactly("a", "b");
      assertThat(store.get("app/x", utf8("a")).orElseThrow()).isEqualTo(utf8("v-a"));
    }
  }

  @Test
  void badScanArgumentsAreRefusedWithTheProblemNamed() throws Exception {
    // Proves a limit of 0 or over scanRecordsMax, a reversed range, an oversized bound and a bad or reserved namespace are IllegalArgumentExceptions naming the problem, in the store and in a transaction.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      for (StateTransaction scanner : new StateTransaction[] {null, tx}) {
        Scan scan = scanner == null ? store::scan : scanner::scan;
        assertThatThrownBy(() -> scan.run("app/x", null, null, 0))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scan limit must be 1..10000 (scanRecordsMax), got 0");
        assertThatThrownBy(() -> scan.run("app/x", null, null, 10_001))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 10001");
        assertThatThrownBy(() -> scan.run("app/x", utf8("b"), utf8("a"), 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("scan range is reversed");
        assertThatThrownBy(() -> scan.run("app/x", new byte[] {(byte) 0x80}, new byte[] {0x7f}, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reversed");
        assertThatThrownBy(() -> scan.run("app/x", new byte[4097], null, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fromInclusive is 4097 bytes, over keySizeBytesMax 4096");
        assertThatThrownBy(() -> scan.run("App/X", null, null, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespaceLengthMax 64");
        assertThatThrownBy(() -> scan.run("_meta", null, null, 1))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
        assertThat(scan.run("app/x", null, null, RocksDbStateStore.scanRecordsMax)).isEmpty();
      }
    }
  }

  interface Scan {
    List<StateRecord> run(String namespace, byte[] from, byte[] to, int limit) throws StateException;
  }

  @Test
  void scanOverScanSizeBytesMaxIsRefusedNotCutShort() throws Exception {
    // Proves a scan whose keys and values would pass scanSizeBytesMax fails with the bound named, so a short result always means the range ended.
    // One committed 4 MiB value plus fifteen pending ones and their 1-byte keys pass 64 MiB by 16 bytes; writing only one keeps the test fast.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      byte[] large = filled(RocksDbStateStore.valueSizeBytesMax, 3);
      StateTransaction setup = store.begin();
      setup.put("app/big", new byte[] {0}, large);
      setup.commit(1);
      StateTransaction tx = store.begin();
      for (int i = 1; i < 16; i++) {
        tx.put("app/big", new byte[] {(byte) i}, large);
      }
      assertThatThrownBy(() -> tx.scan("app/big", null, null, 100))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("scan of namespace 'app/big' would return over scanSizeBytesMax 67108864 bytes")
          .hasMessageContaining("within its first 16 records");
      assertThat(tx.scan("app/big", null, null, 15)).hasSize(15);
    }
    long atBound = RocksDbStateStore.scanSizeBytesMax - 3;
    assertThat(RocksDbStateStore.checkScanSize("app/x", atBound, 5, new byte[1], new byte[2]))
        .isEqualTo(RocksDbStateStore.scanSizeBytesMax);
    assertThatThrownBy(() -> RocksDbStateStore.checkScanSize("app/x", atBound, 5, new byte[1], new byte[3]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first 6 records");
  }

  @Test
  void scanIndexIsRebuiltFromDiskAfterReopen() throws Exception {
    // Proves the index is built lazily from the records on disk: after a reopen, scans see every committed key and nothing deleted.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      commit(store, "app/x", "c", "a", "b");
      StateTransaction tx = store.begin();
      tx.delete("app/x", utf8("b"));
      tx.commit(2);
      commit(store, "app/y", "other");
      assertThat(store.indexedKeyCount()).isZero();
    }
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(keysOf(store.scan("app/x", null, null, 10))).containsExactly("a", "c");
      assertThat(store.indexedKeyCount()).isEqualTo(2);
      commit(store, "app/x", "b2");
      assertThat(keysOf(store.scan("app/x", null, null, 10))).containsExactly("a", "b2", "c");
      assertThat(store.indexedKeyCount()).isEqualTo(3);
    }
  }

  @Test
  void readersScanOneCommittedStateWhileApplyCommits() throws Exception {
    // Proves scans on other threads, including the first one that builds the index while commits go on, never see half of an entry.
    // Entry n holds keys w/(n-4)..w/n with value n and deletes w/(n-5): a consistent scan sees up to 5 consecutive keys, all with the newest value.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction background = store.begin();
      for (int i = 0; i < 3000; i++) {
        background.put("app/window", utf8(String.format("a/%05d", i)), utf8("background"));
      }
      background.commit(1);
    }
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      AtomicBoolean done = new AtomicBoolean();
      List<CompletableFuture<Long>> readers = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        readers.add(CompletableFuture.supplyAsync(() -> {
          long scans = 0;
          while (!done.get() || scans == 0) {
            try {
              List<StateRecord> window = store.scan("app/window", utf8("w/"), utf8("w0"), 100);
              assertConsistentWindow(window);
              scans++;
            } catch (StateException e) {
              throw new AssertionError(e);
            }
          }
          return scans;
        }));
      }
      for (int n = 1; n <= 300; n++) {
        StateTransaction tx = store.begin();
        for (int k = Math.max(1, n - 4); k <= n; k++) {
          tx.put("app/window", windowKey(k), utf8(Integer.toString(n)));
        }
        if (n > 5) {
          tx.delete("app/window", windowKey(n - 5));
        }
        tx.commit(store.appliedIndex() + 1);
      }
      done.set(true);
      for (CompletableFuture<Long> reader : readers) {
        assertThat(reader.get()).isPositive();
      }
      assertThat(keysOf(store.scan("app/window", utf8("w/"), utf8("w0"), 100)))
          .containsExactly("w/00296", "w/00297", "w/00298", "w/00299", "w/00300");
      assertThat(store.scan("app/window", null, utf8("b"), RocksDbStateStore.scanRecordsMax)).hasSize(3000);
    }
  }

  private static byte[] windowKey(int k) {
    return utf8(String.format("w/%05d", k));
  }

  private static void assertConsistentWindow(List<StateRecord> window) {
    assertThat(window.size()).isBetween(0, 5);
    if (window.isEmpty()) {
      return;
    }
    int newest = Integer.parseInt(new String(window.get(window.size() - 1).key()).substring(2));
    assertThat(window.size()).isEqualTo(Math.min(5, newest));
    for (int i = 0; i < window.size(); i++) {
      assertThat(new String(window.get(i).key())).isEqualTo(String.format("w/%05d", newest - window.size() + 1 + i));
      assertThat(new String(window.get(i).value())).isEqualTo(Integer.toString(newest));
    }
  }
}
