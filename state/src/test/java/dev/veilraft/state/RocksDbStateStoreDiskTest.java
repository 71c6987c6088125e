package dev.veilraft.state;

import static dev.veilraft.state.RocksDbStateStoreTest.SECRET;
import static dev.veilraft.state.RocksDbStateStoreTest.filled;
import static dev.veilraft.state.RocksDbStateStoreTest.utf8;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hkdf;
import dev.veilraft.crypto.KeyedHash;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/** What a host with the store's files can see and change, played by a test with a raw RocksDB handle. */
class RocksDbStateStoreDiskTest {
  private static final String MARKER_NAMESPACE = "veilraft-plaintext-ns";
  private static final List<String> MARKERS =
      List.of("plaintext-marker", "marker-key", "marker-value", "plaintext-ns");

  @TempDir Path dir;

  /** The host's view: RocksDB opened directly, without the store's keys. No compression, so nothing hides. */
  interface RawEdit {
    void apply(RocksDB db) throws RocksDBException;
  }

  static void editRaw(Path dir, RawEdit edit) throws RocksDBException {
    editRaw(dir, false, edit);
  }

  static void editRaw(Path dir, boolean create, RawEdit edit) throws RocksDBException {
    try (Options options = new Options().setCreateIfMissing(create).setCompressionType(CompressionType.NO_COMPRESSION);
        RocksDB db = RocksDB.open(options, dir.toString())) {
      edit.apply(db);
    }
  }

  /** Every file under {@code dir} as Latin-1 text, so a byte search is a string search. */
  static List<String> markersFound(Path dir, List<String> markers) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String bytes = new String(Files.readAllBytes(file), ISO_8859_1);
        for (String marker : markers) {
          if (bytes.contains(marker)) {
            found.add(marker + " in " + file.getFileName());
          }
        }
      }
    }
    return found;
  }

  static boolean hasFileEndingWith(Path dir, String suffix) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.anyMatch(file -> file.getFileName().toString().endsWith(suffix));
    }
  }

  /**
   * Rewrites the state root so that it matches the records on disk, as only someone holding the
   * storage secret could: the digest check at open then passes, which lets a test reach the second
   * line of defence, each record's own authentication on every read.
   */
  static void forgeRoot(Path dir) throws Exception {
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    byte[] rootLocation = cipher.locate(RocksDbStateStore.META_NAMESPACE, SealedRecords.ROOT_KEY);
    editRaw(dir, db -> {
      StateRoot old;
      try {
        old = StateRoot.decode(cipher.open(rootLocation, db.get(rootLocation)).value());
      } catch (dev.veilraft.crypto.CryptoException e) {
        throw new AssertionError(e);
      }
      RecordHasher hasher = cipher.hasher();
      StateDigest digest = StateDigest.empty();
      long count = 0;
      try (RocksIterator records = db.newIterator()) {
        for (records.seekToFirst(); records.isValid(); records.next()) {
          if (!Arrays.equals(records.key(), rootLocation)) {
            digest.add(hasher.hash(records.key(), records.value()));
            count++;
          }
        }
      }
      StateRoot forged = new StateRoot(old.appliedIndex(), count, digest);
      db.put(rootLocation, cipher.seal(rootLocation, RocksDbStateStore.META_NAMESPACE, SealedRecords.ROOT_KEY,
          forged.encode()));
    });
  }

  static void writeMarkers(RocksDbStateStore store, int count) throws StateException {
    for (int i = 0; i < count; i++) {
      StateTransaction tx = store.begin();
      tx.put(MARKER_NAMESPACE, utf8("veilraft-plaintext-marker-key-" + i), utf8("veilraft-plaintext-marker-value-" + i));
      tx.commit(store.appliedIndex() + 1);
    }
  }

  @Test
  void scanFindsPlaintextThatRocksDbStoresAsIs(@TempDir Path control) throws Exception {
    // Proves the file scan below would see a marker if RocksDB held it in the clear (a positive control).
    editRaw(control, true, db -> db.put(utf8("veilraft-plaintext-marker-key-0"), utf8("veilraft-plaintext-marker-value-0")));
    assertThat(markersFound(control, MARKERS)).isNotEmpty();
    editRaw(control, RocksDB::compactRange);
    assertThat(hasFileEndingWith(control, ".sst")).isTrue();
    assertThat(markersFound(control, MARKERS)).isNotEmpty();
  }

  @Test
  void noPlaintextKeyValueOrNamespaceOnDisk() throws Exception {
    // Proves no namespace, key or value bytes reach any file: WAL, LOG, MANIFEST, OPTIONS, or SST after flush and compaction.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      writeMarkers(store, 400);
    }
    assertThat(hasFileEndingWith(dir, ".log")).as("write-ahead log present").isTrue();
    assertThat(markersFound(dir, MARKERS)).isEmpty();

    editRaw(dir, RocksDB::compactRange);
    assertThat(hasFileEndingWith(dir, ".sst")).as("table files present").isTrue();
    assertThat(markersFound(dir, MARKERS)).isEmpty();

    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(store.appliedIndex()).isEqualTo(400);
      assertThat(store.get(MARKER_NAMESPACE, utf8("veilraft-plaintext-marker-key-399")).orElseThrow())
          .isEqualTo(utf8("veilraft-plaintext-marker-value-399"));
    }
    assertThat(markersFound(dir, MARKERS)).isEmpty();
  }

  @Test
  void anotherStorageSecretDoesNotOpenTheStore() throws Exception {
    // Proves a wrong storage secret is refused at open with an actionable message, and the store stays usable with the right one.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      writeMarkers(store, 3);
    }
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, filled(32, 8)))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("storage key does not open " + dir.toAbsolutePath())
        .hasMessageContaining("wrong key or files altered");
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(store.appliedIndex()).isEqualTo(3);
    }
  }

  @Test
  void wrongSecretIsRefusedEvenForAStoreWithNoEntries() throws Exception {
    // Proves the canary alone identifies the key: a freshly created store already refuses another secret.
    RocksDbStateStore.open(dir, SECRET).close();
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, filled(32, 8)))
        .isInstanceOf(StateException.class).hasMessageContaining("storage key does not open");
  }

  @Test
  void flippedValueByteFailsToAuthenticate() throws Exception {
    // Proves a value altered on disk stops open (state digest), and, were the root forged to match, makes get fail naming the namespace, never returning altered data or the key.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/x", utf8("secret-key-name"), utf8("balance=100"));
      tx.put("app/x", utf8("untouched"), utf8("fine"));
      tx.commit(1);
    }
    byte[] location = RecordCipher.fromStorageSecret(SECRET).locate("app/x", utf8("secret-key-name"));
    editRaw(dir, db -> {
      byte[] sealed = db.get(location);
      sealed[sealed.length - 20] ^= 0x01;
      db.put(location, sealed);
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class).hasMessageContaining("state digest mismatch");
    forgeRoot(dir);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThatThrownBy(() -> store.get("app/x", utf8("secret-key-name")))
          .isInstanceOf(StateException.class)
          .hasMessageContaining("namespace 'app/x'")
          .hasMessageContaining("does not authenticate (altered on disk?)")
          .hasMessageNotContaining("secret-key-name")
          .hasMessageNotContaining("balance");
      assertThatThrownBy(() -> store.begin().get("app/x", utf8("secret-key-name"))).isInstanceOf(StateException.class);
      assertThat(store.get("app/x", utf8("untouched")).orElseThrow()).isEqualTo(utf8("fine"));
    }
  }

  @Test
  void valueMovedToAnotherKeyFailsToAuthenticate() throws Exception {
    // Proves the host cannot swap records: a valid ciphertext copied under another key's location stops open (state digest), and, were the root forged to match, does not open on read.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/x", utf8("alice"), utf8("balance=100"));
      tx.put("app/x", utf8("bob"), utf8("balance=1"));
      tx.commit(1);
    }
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    byte[] alice = cipher.locate("app/x", utf8("alice"));
    byte[] bob = cipher.locate("app/x", utf8("bob"));
    editRaw(dir, db -> db.put(bob, db.get(alice)));
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class).hasMessageContaining("state digest mismatch");
    forgeRoot(dir);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThatThrownBy(() -> store.get("app/x", utf8("bob")))
          .isInstanceOf(StateException.class).hasMessageContaining("does not authenticate");
      assertThat(store.get("app/x", utf8("alice")).orElseThrow()).isEqualTo(utf8("balance=100"));
    }
  }

  @Test
  void alteredCanaryOrStateRootIsRefusedAtOpen() throws Exception {
    // Proves the store's own records are checked too: an altered canary or state root (which holds the applied index) stops open.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      writeMarkers(store, 2);
    }
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    byte[] canary = cipher.locate(RocksDbStateStore.META_NAMESPACE, utf8("canary"));
    byte[] index = cipher.locate(RocksDbStateStore.META_NAMESPACE, utf8("state-root"));
    byte[][] original = new byte[1][];
    editRaw(dir, db -> {
      original[0] = db.get(canary);
      db.put(canary, db.get(index));
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class).hasMessageContaining("storage key does not open");

    editRaw(dir, db -> {
      db.put(canary, original[0]);
      byte[] sealed = db.get(index);
      sealed[sealed.length - 1] ^= 0x01;
      db.put(index, sealed);
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("namespace '_meta'")
        .hasMessageContaining("does not authenticate");
  }

  @Test
  void lockHeldByAnotherHandleIsReportedWithTheDirectory() throws Exception {
    // Proves a second open of a directory in use fails with RocksDB's reason and the directory, not a crash.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
          .isInstanceOf(StateException.class)
          .hasMessageContaining("RocksDB could not open state store " + dir.toAbsolutePath())
          .hasMessageContaining("lock");
      assertThat(store.appliedIndex()).isZero();
    }
  }

  @Test
  void damagedFilesAreReportedAsStateExceptions() throws Exception {
    // Proves damaged RocksDB files surface as StateException naming the directory, at open or at read.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      writeMarkers(store, 50);
    }
    editRaw(dir, RocksDB::compactRange);
    Path table;
    try (Stream<Path> files = Files.list(dir)) {
      table = files.filter(file -> file.toString().endsWith(".sst")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(table);
    bytes[100] ^= 0x5a;
    Files.write(table, bytes);
    assertThatThrownBy(() -> {
      try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
        for (int i = 0; i < 50; i++) {
          store.get(MARKER_NAMESPACE, utf8("veilraft-plaintext-marker-key-" + i));
        }
      }
    }).isInstanceOf(StateException.class).hasMessageContaining(dir.toAbsolutePath().toString());

    Files.writeString(dir.resolve("CURRENT"), "not a manifest name");
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("RocksDB could not open state store " + dir.toAbsolutePath());
  }

  @Test
  void noPlaintextOnDiskAfterScansExportAndImport() throws Exception {
    // Proves the v2 format (keys sealed with values, namespace tags) writes no namespace, key or value bytes, in the store or in a store imported from it, after scans and compaction.
    List<String> markers = List.of("ns-marker", "key-marker", "value-marker");
    Path imported = dir.resolve("imported");
    Path original = dir.resolve("original");
    try (RocksDbStateStore store = RocksDbStateStore.open(original, SECRET)) {
      for (int i = 0; i < 200; i++) {
        StateTransaction tx = store.begin();
        String namespace = "app/ns-marker-" + (i % 3);
        tx.put(namespace, utf8("key-marker-" + i), utf8("value-marker-" + i));
        if (i % 7 == 0) {
          tx.delete(namespace, utf8("key-marker-" + (i - 3)));
        }
        assertThat(tx.scan(namespace, utf8("key-marker-"), null, 50)).isNotEmpty();
        tx.commit(i + 1);
      }
      assertThat(store.scan("app/ns-marker-1", null, null, 1000)).hasSizeGreaterThan(50);
      RocksDbStateStore.importRecords(imported, filled(32, 8), store.appliedIndex(), store::exportRecords).close();
    }
    editRaw(original, RocksDB::compactRange);
    editRaw(imported, RocksDB::compactRange);
    assertThat(hasFileEndingWith(original, ".sst")).isTrue();
    assertThat(hasFileEndingWith(imported, ".sst")).isTrue();
    assertThat(markersFound(dir, markers)).isEmpty();
  }

  @Test
  void eachNamespaceIsOneContiguousRunOfLocations() throws Exception {
    // Proves the on-disk layout: 40-byte locations whose first 8 bytes are the namespace's tag, so a namespace's records are adjacent and can be read alone.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      for (int i = 0; i < 30; i++) {
        tx.put("app/" + (char) ('a' + i % 3), utf8("k" + i), utf8("v"));
      }
      tx.commit(1);
    }
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    Set<String> tags = new HashSet<>();
    for (String namespace : List.of("app/a", "app/b", "app/c", RocksDbStateStore.META_NAMESPACE)) {
      assertThat(tags.add(Hashes.hex(cipher.tag(namespace)))).isTrue();
    }
    List<String> runs = new ArrayList<>();
    editRaw(dir, db -> {
      try (RocksIterator records = db.newIterator()) {
        for (records.seekToFirst(); records.isValid(); records.next()) {
          assertThat(records.key()).hasSize(RecordCipher.LOCATION_BYTES);
          String tag = Hashes.hex(Arrays.copyOf(records.key(), RecordCipher.TAG_BYTES));
          if (runs.isEmpty() || !runs.get(runs.size() - 1).equals(tag)) {
            runs.add(tag);
          }
        }
      }
    });
    assertThat(runs).as("one run per namespace, the store's own records included").hasSize(4).doesNotHaveDuplicates();
    assertThat(new HashSet<>(runs)).isEqualTo(tags);
    assertThat(cipher.locate("app/a", utf8("k0"))).startsWith(cipher.tag("app/a"));
  }

  @Test
  void cachedNamespaceTagsAreTheComputedOnesAndCannotBeChangedByCallers() {
    // Proves the tag cache changes no location: past its bound, on repeated calls and after a caller scribbles on a returned tag, every tag equals that of a fresh cipher.
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    int namespaces = RecordCipher.TAGS_CACHED_MAX + 100;
    List<byte[]> first = new ArrayList<>();
    for (int i = 0; i < namespaces; i++) {
      first.add(cipher.tag("app/n" + i));
    }
    Arrays.fill(cipher.tag("app/n0"), (byte) 0);
    for (int round = 0; round < 2; round++) {
      RecordCipher fresh = RecordCipher.fromStorageSecret(SECRET);
      for (int i = 0; i < namespaces; i++) {
        String namespace = "app/n" + i;
        assertThat(cipher.tag(namespace)).isEqualTo(first.get(i)).isEqualTo(fresh.tag(namespace));
        assertThat(cipher.locate(namespace, utf8("k"))).isEqualTo(fresh.locate(namespace, utf8("k")));
      }
    }
  }

  @Test
  void alteredRecordFailsTheScanThatIndexesItsNamespaceEveryTime() throws Exception {
    // Proves a record altered on disk (with a root forged to match, so open passes) makes the index build fail naming the namespace, leaves no half-built index, and spares other namespaces.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/x", utf8("secret-key-name"), utf8("balance=100"));
      tx.put("app/x", utf8("other"), utf8("fine"));
      tx.put("app/y", utf8("k"), utf8("v"));
      tx.commit(1);
    }
    byte[] location = RecordCipher.fromStorageSecret(SECRET).locate("app/x", utf8("secret-key-name"));
    editRaw(dir, db -> {
      byte[] sealed = db.get(location);
      sealed[sealed.length - 20] ^= 0x01;
      db.put(location, sealed);
    });
    forgeRoot(dir);
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      for (int attempt = 0; attempt < 2; attempt++) {
        assertThatThrownBy(() -> store.scan("app/x", null, null, 10))
            .isInstanceOf(StateException.class)
            .hasMessageContaining("namespace 'app/x'")
            .hasMessageContaining("does not authenticate (altered on disk?)")
            .hasMessageNotContaining("secret-key-name");
        assertThatThrownBy(() -> store.begin().scan("app/x", utf8("p"), null, 10)).isInstanceOf(StateException.class);
      }
      assertThat(store.scan("app/y", null, null, 10)).containsExactly(new StateRecord(utf8("k"), utf8("v")));
      assertThatThrownBy(() -> store.exportRecords((namespace, key, value) -> { }))
          .isInstanceOf(StateException.class).hasMessageContaining("does not authenticate");
    }
  }

  @Test
  void storeInRecordFormatV1IsRefusedByName() throws Exception {
    // Proves a store written by the previous format (canary v1, 32-byte locations, bare values) is refused with the format change named, not misread.
    byte[] lookupKey = Hkdf.sha256(SECRET, new byte[0], utf8(RecordCipher.LOOKUP_KEY_INFO), 32);
    byte[] valueKey = Hkdf.sha256(SECRET, new byte[0], utf8(RecordCipher.VALUE_KEY_INFO), 32);
    KeyedHash lookup = KeyedHash.fromKey(lookupKey);
    AesGcmAead values = AesGcmAead.fromKey(valueKey);
    editRaw(dir, true, db -> {
      for (String[] record : new String[][] {{"_meta", "canary", "veilraft/state/canary/v1"}, {"app/kv", "k", "v"}}) {
        byte[] name = utf8(record[0]);
        byte[] v1Location = lookup.hash(new byte[] {0, 0, 0, (byte) name.length}, name, utf8(record[1]));
        db.put(v1Location, values.encrypt(utf8(record[2]), v1Location));
      }
    });
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("state store " + dir.toAbsolutePath() + " is in record format v1")
        .hasMessageContaining("this version reads only format v2")
        .hasMessageContaining("restore the node's state from a snapshot or the Raft log");
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, filled(32, 8)))
        .isInstanceOf(StateException.class).hasMessageContaining("storage key does not open");
  }

  @Test
  void canaryOfAnotherFormatVersionIsRefusedByName() throws Exception {
    // Proves a store marked by a later format (canary v3) is refused naming that canary, not read as v2.
    RocksDbStateStore.open(dir, SECRET).close();
    RecordCipher cipher = RecordCipher.fromStorageSecret(SECRET);
    byte[] canary = cipher.locate(RocksDbStateStore.META_NAMESPACE, SealedRecords.CANARY_KEY);
    editRaw(dir, db -> db.put(canary, cipher.seal(canary, RocksDbStateStore.META_NAMESPACE,
        SealedRecords.CANARY_KEY, utf8("veilraft/state/canary/v3"))));
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, SECRET))
        .isInstanceOf(StateException.class)
        .hasMessageContaining("has canary 'veilraft/state/canary/v3'; this version reads only record format v2");
  }
}
