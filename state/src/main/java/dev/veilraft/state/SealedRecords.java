package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeMap;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's records as RocksDB holds them (record format v2, see {@link RecordCipher}):
 * sealing into a batch, opening and checking on every read, iterating one namespace or all of
 * them, the canary that proves key and format, and the root record with the digest check of
 * every record. Every failure is a {@link StateException}
 * naming the directory. No locking: {@link RocksDbStateStore} holds its lifecycle lock around
 * every call, so the database is open throughout.
 */
final class SealedRecords {
  /** Holds the canary, the state root and the import marker; applications may not use it. */
  static final String META_NAMESPACE = "_meta";
  static final byte[] CANARY_KEY = Hashes.utf8("canary");
  static final byte[] CANARY_PLAINTEXT = Hashes.utf8("veilraft/state/canary/v2");
  static final byte[] CANARY_V1_PLAINTEXT = Hashes.utf8("veilraft/state/canary/v1");
  private static final String CANARY_PREFIX = "veilraft/state/canary/";
  /** The {@link StateRoot}: applied index, record count and digest of every other record. */
  static final byte[] ROOT_KEY = Hashes.utf8("state-root");
  /** Where stores before the state root kept their applied index; only recognised, to refuse such a store by name. */
  static final byte[] LEGACY_APPLIED_INDEX_KEY = Hashes.utf8("applied-index");
  /** Present while an import runs; a store that still has it is refused at open. */
  static final byte[] IMPORT_UNFINISHED_KEY = Hashes.utf8("import-unfinished");
  /** Read-ahead of the scan that checks the digest at open: it reads every table file front to back. */
  static final long verifyReadaheadBytes = 2L * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(SealedRecords.class);

  private final Path dir;
  private final RocksDB db;
  private final RecordCipher cipher;
  private final WriteOptions unsyncedWrites;

  SealedRecords(Path dir, RocksDB db, RecordCipher cipher, WriteOptions unsyncedWrites) {
    this.dir = dir;
    this.db = db;
    this.cipher = cipher;
    this.unsyncedWrites = unsyncedWrites;
  }

  Path directory() {
    return dir;
  }

  /** The store's usual write options: no sync, because the Raft log is the durable record. */
  WriteOptions unsyncedWrites() {
    return unsyncedWrites;
  }

  Snapshot snapshot() {
    return db.getSnapshot();
  }

  void release(Snapshot snapshot) {
    db.releaseSnapshot(snapshot);
  }

  /** Reads a committed record by (namespace, key), in {@code reads}'s snapshot when not null. */
  Optional<byte[]> read(ReadOptions reads, String namespace, byte[] key) throws StateException {
    Stored stored = readAt(reads, cipher.locate(namespace, key), namespace, key);
    return stored == null ? Optional.empty() : Optional.of(stored.value());
  }

  /** A record as RocksDB holds it ({@code sealed}) and its authenticated plaintext value. */
  record Stored(byte[] sealed, byte[] value) {}

  /**
   * Reads the record of (namespace, key) at its {@code location}, in {@code reads}'s snapshot when
   * not null, and opens it: null when there is none. Fails when it does not authenticate or holds
   * another record than (namespace, key).
   */
  Stored readAt(ReadOptions reads, byte[] location, String namespace, byte[] key) throws StateException {
    byte[] sealed;
    try {
      sealed = reads == null ? db.get(location) : db.get(reads, location);
    } catch (RocksDBException e) {
      throw rocksFailure("read", e);
    }
    if (sealed == null) {
      return null;
    }
    RecordCipher.Opened record;
    try {
      record = cipher.open(location, sealed);
    } catch (CryptoException e) {
      throw notAuthentic("namespace '" + namespace + "'", e);
    }
    if (!record.is(namespace, key)) {
      throw misplaced("namespace '" + namespace + "'");
    }
    return new Stored(sealed, record.value());
  }

  /** Reads a key a scan index listed: its record must exist, or the index and the store disagree. */
  byte[] readIndexed(ReadOptions reads, String namespace, byte[] key) throws StateException {
    Optional<byte[]> value = read(reads, namespace, key);
    if (value.isEmpty()) {
      throw new StateException("state store " + dir + ": the scan index of namespace '" + namespace
          + "' lists a key whose record is gone (files changed while open?)");
    }
    return value.get();
  }

  /**
   * The root record, in {@code reads}'s snapshot when not null. Every store this version opens
   * has one (it is written with the canary), so a missing root is an error.
   */
  StateRoot readRoot(ReadOptions reads) throws StateException {
    Optional<byte[]> stored = read(reads, META_NAMESPACE, ROOT_KEY);
    if (stored.isEmpty()) {
      boolean legacy = read(reads, META_NAMESPACE, LEGACY_APPLIED_INDEX_KEY).isPresent();
      throw new StateException("state store " + dir + " has no state root record"
          + (legacy ? ": it was written by a version of veilraft before the store-wide digest"
              : " (deleted outside veilraft?)")
          + ", so nothing proves its records are the committed ones. Move it aside and rebuild it from the "
          + "cluster (veilraft node recover)");
    }
    try {
      return StateRoot.decode(stored.get());
    } catch (IllegalArgumentException e) {
      throw new StateException("state root record of " + dir + " is malformed: " + e.getMessage(), e);
    }
  }

  /**
   * Recomputes the root over every record on disk but the root's own: one pass over all table
   * files (the block checksums are verified on the way, so a damaged file fails here too). The
   * records are hashed as stored, not decrypted. No snapshot: called at open, before any write.
   */
  StateRoot measureRoot(long appliedIndex) throws StateException {
    byte[] rootLocation = cipher.locate(META_NAMESPACE, ROOT_KEY);
    RecordHasher hasher = cipher.hasher();
    StateDigest digest = StateDigest.empty();
    long count = 0;
    try (ReadOptions reads = new ReadOptions().setFillCache(false).setVerifyChecksums(true)
            .setReadaheadSize(verifyReadaheadBytes);
        RocksIterator stored = db.newIterator(reads)) {
      for (stored.seekToFirst(); stored.isValid(); stored.next()) {
        byte[] location = stored.key();
        if (Arrays.equals(location, rootLocation)) {
          continue;
        }
        digest.add(hasher.hash(location, stored.value()));
        count++;
      }
      stored.status();
    } catch (RocksDBException e) {
      throw new StateException("state store " + dir + " is damaged: RocksDB reports " + e.getMessage()
          + " while reading every record to check the state digest. Move it aside and rebuild it from the cluster "
          + "(veilraft node recover)", e);
    }
    return new StateRoot(appliedIndex, count, digest);
  }

  boolean importUnfinished() throws StateException {
    return read(null, META_NAMESPACE, IMPORT_UNFINISHED_KEY).isPresent();
  }

  byte[] locate(String namespace, byte[] key) {
    return cipher.locate(namespace, key);
  }

  byte[] seal(byte[] location, String namespace, byte[] key, byte[] value) {
    return cipher.seal(location, namespace, key, value);
  }

  RecordHasher hasher() {
    return cipher.hasher();
  }

  /** The stored bytes at {@code location} as they are, or null: for taking a replaced record out of the digest. */
  byte[] readSealed(byte[] location) throws StateException {
    try {
      return db.get(location);
    } catch (RocksDBException e) {
      throw rocksFailure("read", e);
    }
  }

  void write(WriteBatch batch, WriteOptions options) throws StateException {
    try {
      db.write(options, batch);
    } catch (RocksDBException e) {
      throw rocksFailure("write", e);
    }
  }

  /** Writes memtables to table files and waits, so what was written survives without the WAL. */
  void flush() throws StateException {
    try (FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
      db.flush(options);
    } catch (RocksDBException e) {
      throw rocksFailure("flush", e);
    }
  }

  /**
   * The keys of {@code namespace} in {@code snapshot}, read by iterating the records under its
   * tag; each record is decrypted, so this costs one pass over the namespace's data.
   */
  NavigableSet<byte[]> keysOf(Snapshot snapshot, String namespace) throws StateException {
    byte[] tag = cipher.tag(namespace);
    NavigableSet<byte[]> keys = OrderedKeyIndex.newKeySet();
    try (ReadOptions reads = new ReadOptions().setSnapshot(snapshot).setFillCache(false);
        RocksIterator records = db.newIterator(reads)) {
      for (records.seek(tag); records.isValid(); records.next()) {
        byte[] location = records.key();
        if (!Arrays.equals(location, 0, Math.min(location.length, tag.length), tag, 0, tag.length)) {
          break;
        }
        RecordCipher.Opened record = openStored(location, records.value(), namespace);
        // Another namespace may share the 8-byte tag (about 2^-64 per pair): skip its records.
        if (record.namespace().equals(namespace)) {
          keys.add(record.key());
        }
      }
      records.status();
    } catch (RocksDBException e) {
      throw rocksFailure("index namespace '" + namespace + "' of", e);
    }
    log.debug("indexed {} keys of namespace '{}' in {}", keys.size(), namespace, dir);
    return keys;
  }

  /**
   * Every node-local record ({@value StateStore#NODE_LOCAL_PREFIX}… namespaces, which share one
   * tag), read and decrypted from one contiguous run of locations. No snapshot: called at open.
   */
  NavigableMap<String, NavigableMap<byte[], byte[]>> nodeLocalRecords() throws StateException {
    byte[] tag = cipher.nodeLocalTag();
    NavigableMap<String, NavigableMap<byte[], byte[]>> found = NodeLocalMirror.emptyRecords();
    try (ReadOptions reads = new ReadOptions().setFillCache(false); RocksIterator stored = db.newIterator(reads)) {
      for (stored.seek(tag); stored.isValid(); stored.next()) {
        byte[] location = stored.key();
        if (!Arrays.equals(location, 0, Math.min(location.length, tag.length), tag, 0, tag.length)) {
          break;
        }
        RecordCipher.Opened record = openStored(location, stored.value(), StateStore.NODE_LOCAL_PREFIX + "…");
        // Another namespace may share the 8-byte tag (about 2^-64 per pair): skip its records.
        if (NodeLocalMirror.isNodeLocal(record.namespace())) {
          found.computeIfAbsent(record.namespace(), n -> new TreeMap<>(ScanRange.KEY_ORDER)).put(record.key(), record.value());
        }
      }
      stored.status();
    } catch (RocksDBException e) {
      throw rocksFailure("read the node-local records of", e);
    }
    return found;
  }

  /**
   * Passes every application record in {@code snapshot} to {@code sink}, after {@link
   * RecordSink#begin} with the snapshot's applied index, which it returns.
   */
  long export(Snapshot snapshot, RecordSink sink) throws StateException, IOException {
    try (ReadOptions reads = new ReadOptions().setSnapshot(snapshot).setFillCache(false);
        RocksIterator records = db.newIterator(reads)) {
      long index = readRoot(reads).appliedIndex();
      sink.begin(index);
      long count = 0;
      for (records.seekToFirst(); records.isValid(); records.next()) {
        RecordCipher.Opened record = openStored(records.key(), records.value(), null);
        if (!record.namespace().equals(META_NAMESPACE)) {
          sink.accept(record.namespace(), record.key(), record.value());
          count++;
        }
      }
      records.status();
      log.info("exported {} records of state store {} at applied index {}", count, dir, index);
      return index;
    } catch (RocksDBException e) {
      throw rocksFailure("export", e);
    }
  }

  /**
   * Opens a record met while iterating, checking that it lies at the location of the (namespace,
   * key) it holds. {@code namespace} names the expected namespace in errors, or is null.
   */
  private RecordCipher.Opened openStored(byte[] location, byte[] sealed, String namespace) throws StateException {
    String where = namespace != null ? "namespace '" + namespace + "'"
        : "namespace tag " + Hashes.shortHex(location, RecordCipher.TAG_BYTES);
    if (location.length != RecordCipher.LOCATION_BYTES) {
      throw new StateException("state store " + dir + " holds a " + location.length + "-byte record location in "
          + where + ", not a record format v2 location of " + RecordCipher.LOCATION_BYTES + " bytes");
    }
    RecordCipher.Opened record;
    try {
      record = cipher.open(location, sealed);
    } catch (CryptoException e) {
      throw notAuthentic(where, e);
    }
    if (!Arrays.equals(location, cipher.locate(record.namespace(), record.key()))) {
      throw misplaced(where);
    }
    return record;
  }

  /**
   * Proves the storage secret opens this store, in this record format, before anything is served
   * from it; writes the canary into an empty store. A wrong secret derives other keys, so the
   * canary is then simply not found: an absent canary in a store that holds records is treated
   * exactly like one that does not authenticate, unless the store holds the canary of format v1,
   * which is refused by name.
   */
  void checkCanary() throws StateException {
    byte[] location = cipher.locate(META_NAMESPACE, CANARY_KEY);
    try {
      byte[] sealed = db.get(location);
      if (sealed == null) {
        if (isEmpty()) {
          // The canary and the first root in one batch: no store of this version is without a root.
          try (RootedBatch batch = new RootedBatch(this, StateRoot.empty())) {
            batch.put(META_NAMESPACE, CANARY_KEY, CANARY_PLAINTEXT);
            batch.seal(0);
            batch.write(unsyncedWrites);
          }
          log.info("created state store at {}", dir);
          return;
        }
        if (hasV1Canary()) {
          throw new StateException("state store " + dir + " is in record format v1 (canary veilraft/state/canary/v1); "
              + "this version reads only format v2 (namespace-tagged locations, the key sealed with each value, for "
              + "ordered scans and snapshots). v1 records cannot be converted because they do not hold their keys: "
              + "move the directory aside and restore the node's state from a snapshot or the Raft log");
        }
        throw wrongKey(null);
      }
      RecordCipher.Opened canary = cipher.open(location, sealed);
      if (!canary.is(META_NAMESPACE, CANARY_KEY)) {
        throw wrongKey(null);
      }
      if (!Arrays.equals(canary.value(), CANARY_PLAINTEXT)) {
        String found = new String(canary.value(), StandardCharsets.UTF_8);
        if (!found.startsWith(CANARY_PREFIX)) {
          throw wrongKey(null);
        }
        throw new StateException("state store " + dir + " has canary '" + Check.printable(found)
            + "'; this version reads only record format v2 (" + new String(CANARY_PLAINTEXT, StandardCharsets.UTF_8) + ")");
      }
    } catch (CryptoException e) {
      throw wrongKey(e);
    } catch (RocksDBException e) {
      throw rocksFailure("read the canary of", e);
    }
  }

  private boolean hasV1Canary() throws RocksDBException {
    byte[] v1Location = cipher.v1Location(META_NAMESPACE, CANARY_KEY);
    byte[] sealed = db.get(v1Location);
    if (sealed == null) {
      return false;
    }
    try {
      return Arrays.equals(cipher.openV1(v1Location, sealed), CANARY_V1_PLAINTEXT);
    } catch (CryptoException e) {
      return false;
    }
  }

  private boolean isEmpty() throws RocksDBException {
    try (RocksIterator records = db.newIterator()) {
      records.seekToFirst();
      boolean empty = !records.isValid();
      records.status();
      return empty;
    }
  }

  private StateException wrongKey(CryptoException cause) {
    return new StateException("storage key does not open " + dir + ": wrong key or files altered", cause);
  }

  private StateException notAuthentic(String where, CryptoException cause) {
    return new StateException("state record in " + where + " of " + dir + " does not authenticate (altered on disk?)", cause);
  }

  private StateException misplaced(String where) {
    return new StateException(
        "state record in " + where + " of " + dir + " holds another record than its location names (altered on disk?)");
  }

  StateException rocksFailure(String operation, RocksDBException e) {
    return rocksFailure(operation, dir, e);
  }

  static StateException rocksFailure(String operation, Path dir, RocksDBException e) {
    String message = "RocksDB could not " + operation + " state store " + dir + ": " + e.getMessage()
        + (isCorruption(e) ? ". The store is damaged: move it aside and rebuild it from the cluster (veilraft node "
            + "recover)" : "");
    return isIoError(e) ? StateException.diskFailure(message, e) : new StateException(message, e);
  }

  /** RocksDB's IOError: the file system refused (ENOSPC, EIO), which a restart on a fixed disk resumes from. */
  private static boolean isIoError(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == Status.Code.IOError;
  }

  private static boolean isCorruption(RocksDBException e) {
    return e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption;
  }
}
