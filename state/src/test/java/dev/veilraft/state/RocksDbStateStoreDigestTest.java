package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreDiskTest.editRaw;
import static dev.veilraft.state.RocksDbStateStoreTest.SECRET;
import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;

/**
 * The store-wide state root: what a host with raw access to the RocksDB files can no longer do
 * unseen (roll back, delete, replay or duplicate a record), and what it still can (roll the whole
 * store back to an older committed state).
 */
class RocksDbStateStoreDigestTest {
  static final String MISMATCH = "state digest mismatch: the store was modified outside veilraft "
      + "(record rolled back, deleted or replayed)";

  @TempDir Path dir;

  private final RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);

  private byte[] location(String namespace, String key) {
    return cipher.locate(namespace, utf8(key));
  }

  private static void put(RocksDbStateStore store, String namespace, String key, String value) throws StateException {
    StateTransaction tx = store.begin();
    tx.put(namespace, utf8(key), utf8(value));
    tx.commit(store.appliedIndex() + 1);
  }

  private static void delete(RocksDbStateStore store, String namespace, String key) throws StateException {
    StateTransaction tx = store.begin();
    tx.delete(namespace, utf8(key));
    tx.commit(store.appliedIndex() + 1);
  }

  private void assertRefused(String detail) {
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining(MISMATCH)
        .hasMessageContaining(dir.toAbsolutePath().toString())
        .hasMessageContaining(detail)
        .hasMessageContaining("veilraft node recover")
        .hasMessageNotContaining("balance");
  }

  @Test
  void aRecordRolledBackToAnOlderCiphertextIsDetectedAtOpen() throws Exception {
    // Proves the per-record rollback that AEAD alone cannot see (an older, authentic ciphertext of the same record) stops open.
    byte[][] older = new byte[1][];
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
      put(store, "app/bank", "bob", "balance=5");
    }
    editRaw(dir, db -> older[0] = db.get(location("app/bank", "alice")));
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=0");
    }
    editRaw(dir, db -> db.put(location("app/bank", "alice"), older[0]));
    assertRefused("it holds the 3 records the root names, but not the same ones or not the same versions of them");
    // The rolled-back record itself still authenticates: only the digest can tell.
    assertThat(cipher.open(location("app/bank", "alice"), older[0]).value()).isEqualTo(utf8("balance=100"));
  }

  @Test
  void aDeletedRecordIsDetectedAtOpen() throws Exception {
    // Proves a record removed from the files stops open, with the counts named.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
      put(store, "app/bank", "bob", "balance=5");
    }
    editRaw(dir, db -> db.delete(location("app/bank", "bob")));
    assertRefused("the root names 3 records, the files hold 2");
  }

  @Test
  void aDeletedRecordPutBackIsDetectedAtOpen() throws Exception {
    // Proves a replay of a record the store deleted (its old, authentic ciphertext written back) stops open.
    byte[][] deleted = new byte[1][];
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/spent", "token-1", "spent");
    }
    editRaw(dir, db -> deleted[0] = db.get(location("app/spent", "token-1")));
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      delete(store, "app/spent", "token-1");
      assertThat(store.get("app/spent", utf8("token-1"))).isEmpty();
    }
    editRaw(dir, db -> db.put(location("app/spent", "token-1"), deleted[0]));
    assertRefused("the root names 1 records, the files hold 2");
  }

  @Test
  void aRecordDuplicatedUnderAnotherLocationIsDetectedAtOpen() throws Exception {
    // Proves a copy of a record under another location (which would fail only when read) stops open, as does a record from another store.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
    }
    editRaw(dir, db -> db.put(location("app/bank", "alice-copy"), db.get(location("app/bank", "alice"))));
    assertRefused("the root names 2 records, the files hold 3");

    editRaw(dir, db -> db.delete(location("app/bank", "alice-copy")));
    RocksDbStateStore.open(dir, SECRET).close();
    Path other = dir.resolveSibling(dir.getFileName() + "-other");
    try (RocksDbStateStore store = RocksDbStateStore.open(other, SECRET)) {
      put(store, "app/bank", "carol", "balance=7");
    }
    byte[][] foreign = new byte[1][];
    editRaw(other, db -> foreign[0] = db.get(location("app/bank", "carol")));
    editRaw(dir, db -> db.put(location("app/bank", "carol"), foreign[0]));
    assertRefused("the root names 2 records, the files hold 3");
  }

  @Test
  void aRecordAndTheRootRolledBackTogetherAreDetectedWhenLaterEntriesChangedOtherRecords() throws Exception {
    // Proves the host cannot roll back one record by also putting back the root of its time: the records of later entries no longer match that root.
    byte[][] older = new byte[2][];
    byte[] root = cipher.locate(RocksDbStateStore.META_NAMESPACE, SealedRecords.ROOT_KEY);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
    }
    editRaw(dir, db -> {
      older[0] = db.get(location("app/bank", "alice"));
      older[1] = db.get(root);
    });
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=0");
      put(store, "app/bank", "bob", "balance=100");
    }
    editRaw(dir, db -> {
      db.put(location("app/bank", "alice"), older[0]);
      db.put(root, older[1]);
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class).hasMessageContaining(MISMATCH).hasMessageContaining("at applied index 1");
  }

  @Test
  void aStoreWithoutARootIsRefusedByName() throws Exception {
    // Proves a deleted root, or a store from before the root (applied index record, no root), is refused rather than trusted.
    byte[] root = cipher.locate(RocksDbStateStore.META_NAMESPACE, SealedRecords.ROOT_KEY);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
    }
    editRaw(dir, db -> db.delete(root));
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("has no state root record (deleted outside veilraft?)")
        .hasMessageContaining("veilraft node recover");

    byte[] legacy = cipher.locate(RocksDbStateStore.META_NAMESPACE, SealedRecords.LEGACY_APPLIED_INDEX_KEY);
    editRaw(dir, db -> db.put(legacy, cipher.seal(legacy, RocksDbStateStore.META_NAMESPACE,
        SealedRecords.LEGACY_APPLIED_INDEX_KEY, new byte[] {0, 0, 0, 0, 0, 0, 0, 1})));
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("written by a version of veilraft before the store-wide digest");
  }

  @Test
  void aFlippedByteInATableFileIsReportedAtOpenNotAtTheFirstRead() throws Exception {
    // Proves damage anywhere in the table files stops open (the digest pass reads every block and checks its checksum), naming the directory and the remedy.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      RocksDbStateStoreDiskTest.writeMarkers(store, 200);
    }
    editRaw(dir, RocksDB::compactRange);
    Path table;
    try (Stream<Path> files = Files.list(dir)) {
      table = files.filter(file -> file.toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(table);
    bytes[bytes.length / 3] ^= 0x20;
    Files.write(table, bytes);
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining(dir.toAbsolutePath().toString())
        .hasMessageContaining("veilraft node recover");
  }

  @Test
  void aConsistentRollbackOfTheWholeStoreIsNotDetectedByTheDigestAlone() throws Exception {
    // Proves, as a documented limit, that a copy of the whole store taken earlier opens at its older index: Raft's log replays what it lacks.
    Path copy = dir.resolveSibling(dir.getFileName() + "-copy");
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=100");
    }
    copyTree(dir, copy);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      put(store, "app/bank", "alice", "balance=0");
    }
    try (RocksDbStateStore rolledBack = RocksDbStateStore.open(copy, SECRET)) {
      assertThat(rolledBack.appliedIndex()).isEqualTo(1);
      assertThat(rolledBack.get("app/bank", utf8("alice")).orElseThrow()).isEqualTo(utf8("balance=100"));
    }
  }

  @Test
  void theRootFollowsEveryKindOfChangeAndSurvivesReopenAndImport() throws Exception {
    // Proves the incrementally kept root always equals a recomputation: overwrites, deletes of present and absent keys, repeated writes in one entry, node-local commits, and imports with repeated records.
    Random random = new Random(8);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      for (int entry = 1; entry <= 300; entry++) {
        StateTransaction tx = store.begin();
        for (int op = 0; op < 5; op++) {
          byte[] key = utf8("k" + random.nextInt(40));
          if (random.nextInt(3) == 0) {
            tx.delete("app/a", key);
          } else {
            tx.put("app/a", key, utf8("v" + random.nextInt()));
          }
        }
        tx.commit(entry);
        if (entry % 50 == 0) {
          StateTransaction local = store.begin();
          local.put("node/epochs", utf8("e" + entry), utf8("secret"));
          local.delete("node/epochs", utf8("e" + (entry - 100)));
          local.commitNodeLocal();
        }
      }
      assertThat(store.root().matches(measure(store))).isTrue();
      assertThat(store.root().appliedIndex()).isEqualTo(300);
    }
    try (RocksDbStateStore reopened = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(reopened.appliedIndex()).isEqualTo(300);
    }
    Path imported = dir.resolveSibling(dir.getFileName() + "-imported");
    try (RocksDbStateStore store = RocksDbStateStore.importRecords(imported, SECRET, 5, sink -> {
      for (int i = 0; i < 20_000; i++) {
        sink.accept("app/b", utf8("k" + (i % 7_000)), utf8("v" + i));
      }
      sink.accept("app/b", utf8("k0"), utf8("last"));
    })) {
      assertThat(store.root().recordCount()).as("7,000 records, the canary").isEqualTo(7_001);
      assertThat(store.root().matches(measure(store))).isTrue();
    }
    try (RocksDbStateStore reopened = RocksDbStateStore.open(imported, SECRET)) {
      assertThat(reopened.get("app/b", utf8("k0")).orElseThrow()).isEqualTo(utf8("last"));
    }
  }

  private static StateRoot measure(RocksDbStateStore store) throws StateException {
    return store.records().measureRoot(store.appliedIndex());
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
  }
}
