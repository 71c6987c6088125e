package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreDiskTest.editRaw;
import static dev.veilraft.state.RocksDbStateStoreTest.SECRET;
import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.NavigableMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;

/**
 * What a node can still get out of its own damaged store: the node-local mirror, salvage by point
 * reads, and the quarantine that moves a store aside without deleting anything.
 */
class StoreSalvageTest {
  private static final String SECRETS = "node/epochs";
  private static final List<byte[]> EPOCHS = List.of(utf8("epoch-1"), utf8("epoch-2"), utf8("epoch-3"));

  @TempDir Path dir;

  private NodeLocalMirror mirror(Path store) {
    return new NodeLocalMirror(store, RecordCipher.fromStorageSecret(SECRET));
  }

  /** Three node-local secrets and 300 application records, committed as entries and compacted into table files. */
  private void fill(Path store) throws Exception {
    try (RocksDbStateStore open = RocksDbStateStore.open(store, SECRET)) {
      StateTransaction tx = open.begin();
      for (byte[] epoch : EPOCHS) {
        tx.put(SECRETS, epoch, utf8("secret-of-" + new String(epoch)));
      }
      tx.commit(1);
      RocksDbStateStoreDiskTest.writeMarkers(open, 300);
    }
    editRaw(store, RocksDB::compactRange);
  }

  private static void damageEveryTableFile(Path store) throws Exception {
    try (Stream<Path> files = Files.list(store)) {
      for (Path table : files.filter(f -> f.toString().endsWith(".sst")).toList()) {
        byte[] bytes = Files.readAllBytes(table);
        // Data blocks come first in a table file; its index and footer last.
        for (int i = 0; i < bytes.length / 2; i += 64) {
          bytes[i] ^= 0x5a;
        }
        Files.write(table, bytes);
      }
    }
  }

  @Test
  void nodeLocalRecordsAreMirroredBeforeEachCommitAndTheMirrorIsRepairedAtOpen() throws Exception {
    // Proves the mirror holds exactly the committed node-local records, follows an erasure at once, and is rewritten at open after a crash left it ahead, or the host altered or deleted it.
    fill(dir);
    assertThat(mirror(dir).read().orElseThrow().get(SECRETS)).hasSize(3);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction erase = store.begin();
      erase.delete(SECRETS, EPOCHS.get(0));
      erase.commitNodeLocal();
      assertThat(mirror(dir).read().orElseThrow().get(SECRETS).keySet()).containsExactly(EPOCHS.get(1), EPOCHS.get(2));
    }

    NavigableMap<String, NavigableMap<byte[], byte[]>> ahead = mirror(dir).read().orElseThrow();
    ahead.get(SECRETS).put(utf8("epoch-4"), utf8("written to the mirror, then the crash"));
    mirror(dir).write(ahead);
    RocksDbStateStore.open(dir, SECRET).close();
    assertThat(mirror(dir).read().orElseThrow().get(SECRETS)).hasSize(2);

    Path file = dir.resolve(NodeLocalMirror.FILE_NAME);
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length - 3] ^= 1;
    Files.write(file, bytes);
    assertThat(mirror(dir).read()).isEmpty();
    RocksDbStateStore.open(dir, SECRET).close();
    assertThat(mirror(dir).read().orElseThrow().get(SECRETS)).hasSize(2);

    Files.delete(file);
    RocksDbStateStore.open(dir, SECRET).close();
    assertThat(mirror(dir).read().orElseThrow().get(SECRETS)).hasSize(2);
  }

  @Test
  void aStoreWhoseTableFilesAreDamagedStillGivesItsNodeLocalRecordsFromTheMirror() throws Exception {
    // Proves the case recovery needs: open refuses the damaged store, yet every epoch secret comes back, authenticated.
    fill(dir);
    damageEveryTableFile(dir);
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET)).isInstanceOf(StateException.class);
    StoreSalvage.Result result = StoreSalvage.read(dir, SECRET, SECRETS, EPOCHS);
    assertThat(result.problems()).isEmpty();
    assertThat(result.found()).extracting(r -> new String(r.value()))
        .containsExactly("secret-of-epoch-1", "secret-of-epoch-2", "secret-of-epoch-3");

    Files.delete(dir.resolve(NodeLocalMirror.FILE_NAME));
    StoreSalvage.Result withoutMirror = StoreSalvage.read(dir, SECRET, SECRETS, EPOCHS);
    assertThat(withoutMirror.found().size() + withoutMirror.problems().size())
        .as("each record is either read or reported").isEqualTo(EPOCHS.size());
  }

  @Test
  void salvageReadsSingleRecordsFromAStoreThatFailsItsDigestAndReportsOnesThatDoNotAuthenticate() throws Exception {
    // Proves point reads work where open refuses (a deleted record), and that an altered record is reported, never returned.
    fill(dir);
    Files.delete(dir.resolve(NodeLocalMirror.FILE_NAME));
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    editRaw(dir, db -> {
      db.delete(cipher.locate("veilraft-plaintext-ns", utf8("veilraft-plaintext-marker-key-7")));
      byte[] location = cipher.locate(SECRETS, EPOCHS.get(2));
      byte[] sealed = db.get(location);
      sealed[sealed.length - 1] ^= 1;
      db.put(location, sealed);
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET)).hasMessageContaining("state digest mismatch");
    StoreSalvage.Result result = StoreSalvage.read(dir, SECRET, SECRETS,
        List.of(EPOCHS.get(0), EPOCHS.get(1), EPOCHS.get(2), utf8("epoch-9")));
    assertThat(result.found()).extracting(r -> new String(r.key())).containsExactly("epoch-1", "epoch-2");
    assertThat(result.problems()).singleElement().asString().contains("record 2").contains("does not authenticate");
    assertThat(StoreSalvage.read(dir.resolve("absent"), SECRET, SECRETS, EPOCHS).problems())
        .singleElement().asString().contains("does not exist");
  }

  @Test
  void quarantineMovesTheStoreAndItsSwapDebrisAsideAndDeletesNothing() throws Exception {
    // Proves quarantine keeps every byte (the moved store still opens at its index) and leaves room for a fresh store.
    StateDirectory stateDir = new StateDirectory(dir.resolve("state"), SECRET);
    try (RocksDbStateStore store = stateDir.open()) {
      RocksDbStateStoreDiskTest.writeMarkers(store, 5);
    }
    Files.createDirectories(dir.resolve("state.new"));
    Files.writeString(dir.resolve("state.new").resolve("partial"), "x");
    Path quarantine = dir.resolve("quarantine").resolve("t1");
    assertThat(stateDir.quarantineInto(quarantine)).containsExactly(quarantine.resolve("state.new"),
        quarantine.resolve("state"));
    assertThat(dir.resolve("state")).doesNotExist();
    assertThat(quarantine.resolve("state.new").resolve("partial")).exists();
    try (RocksDbStateStore fresh = stateDir.open()) {
      assertThat(fresh.appliedIndex()).isZero();
    }
    try (RocksDbStateStore kept = RocksDbStateStore.open(quarantine.resolve("state"), SECRET)) {
      assertThat(kept.appliedIndex()).isEqualTo(5);
    }
  }
}
