package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} in a local RocksDB whose files hold nothing readable: each record is
 * stored at a location made of its namespace's tag and a keyed hash of (namespace, key), and its
 * value is AEAD ciphertext of (namespace, key, value) bound to that location (record format v2,
 * see {@link RecordCipher}). The applied index is part of the state root, a record of the reserved
 * namespace {@value #META_NAMESPACE} written in the same batch as the entry's changes.
 *
 * <p>The state root ({@link StateRoot}) also holds a keyed multiset hash of every other record as
 * stored ({@link StateDigest}), updated by every commit (the hash of each new record added, of each
 * replaced or deleted one subtracted) and recomputed over the whole store at {@link #open}: a
 * record rolled back to an older ciphertext, deleted, put back after its deletion, or added from
 * elsewhere makes open fail. What it cannot see: the whole store, root included, rolled back to an
 * older committed state (Raft replays the entries after it), and changes made while the store is
 * open (seen at the next open; reads meanwhile check only each record's own authenticity).
 *
 * <p>Node-local records ({@value StateStore#NODE_LOCAL_PREFIX}…, a node's own secrets) share one
 * tag and are also kept in a sealed file beside RocksDB's ({@link NodeLocalMirror}), so that a
 * damaged table file does not take them with it ({@link StoreSalvage}).
 *
 * <p>Ordered scans use an in-memory index of each scanned namespace's keys ({@link
 * OrderedKeyIndex}), built on the first scan by reading that namespace's records and kept up to
 * date by every commit. Snapshots move records between nodes as plaintext inside the TEE: {@link
 * #exportRecords} and {@link #importRecords}; the caller encrypts them for transfer.
 *
 * <p>What the host can still see: which records belong to the same namespace (their shared
 * 8-byte tag), so how many namespaces there are and how many records each holds; the length of
 * each record's key plus value (the ciphertext length); which records change together; and, from
 * disk reads, which namespace an index build reads whole.
 *
 * <p>The apply path's point reads and the digest updates of its commits go through a bounded
 * cache of what RocksDB holds at recently touched locations ({@link RecentRecords}), filled only
 * by this store's own successful writes and the apply thread's reads; queries from other threads
 * read RocksDB directly.
 *
 * <p>Thread-safety: {@link #get}, {@link #scan}, {@link #appliedIndex} and {@link #exportRecords}
 * from any thread; {@link #begin} and commit from the single apply thread.
 */
public final class RocksDbStateStore implements StateStore {
  public static final int keySizeBytesMax = 4096;
  public static final int valueSizeBytesMax = 4 * 1024 * 1024;
  public static final int namespaceLengthMax = 64;
  /** Bounds the memory of one entry's changes (locations, keys and values). */
  public static final long transactionSizeBytesMax = 64L * 1024 * 1024;
  /** The largest {@code limit} of one scan. */
  public static final int scanRecordsMax = 10_000;
  /**
   * Bounds the keys and values one scan returns. A scan whose records would exceed it fails
   * rather than returning fewer records than asked, so a short result always means the range
   * ended: callers that merge scans with pending writes rely on that.
   */
  public static final long scanSizeBytesMax = 64L * 1024 * 1024;
  /** An import writes a WriteBatch each time its records reach this size. */
  static final long importBatchBytesMax = 4L * 1024 * 1024;
  /** Holds the canary, the state root and the import marker; applications may not use it. */
  public static final String META_NAMESPACE = SealedRecords.META_NAMESPACE;

  private static final Logger log = LoggerFactory.getLogger(RocksDbStateStore.class);
  /** The namespace rule, as a regex: {@link #validNamespace} checks the same without one. */
  static final Pattern NAMESPACE = Pattern.compile("[a-z0-9/_-]{1," + namespaceLengthMax + "}");

  static {
    // Loads the native library once per class loader, before any RocksDB object is built.
    RocksDB.loadLibrary();
  }

  private final Path dir;
  private final RocksDB db;
  private final SmallNodeRocksOptions rocksOptions;
  private final SealedRecords records;
  /** What RocksDB holds at the locations the apply path touched last; only the apply path uses it. */
  private final RecentRecords recent;
  private final OrderedKeyIndex keyIndex = new OrderedKeyIndex();
  /** Point reads on the apply path that the key index answered as absent (apply thread only; for tests). */
  long absentReadsAnsweredByIndex;
  /** Readers hold it shared; close holds it exclusively, so no read touches a freed handle. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private final Object commitOrder = new Object();
  private volatile long appliedIndex;
  /** The index of the entry being written, set before its changes can be read ({@link #readIndexBound}). */
  private volatile long writingIndex;
  /** The root on disk; guarded by {@link #commitOrder} once the store is open. */
  private StateRoot root;
  private final NodeLocalMirror mirror;
  /** The node-local records as committed, which {@link #mirror} holds too; guarded by {@link #commitOrder}. */
  private NavigableMap<String, NavigableMap<byte[], byte[]>> nodeLocal = NodeLocalMirror.emptyRecords();
  private boolean closed;

  private RocksDbStateStore(Path dir, RocksDB db, SmallNodeRocksOptions rocksOptions, RecordCipher cipher,
      int recentRecordsMax) {
    this.dir = dir;
    this.db = db;
    this.rocksOptions = rocksOptions;
    this.records = new SealedRecords(dir, db, cipher, rocksOptions.writes());
    this.recent = new RecentRecords(recentRecordsMax);
    this.mirror = new NodeLocalMirror(dir, cipher);
  }

  /**
   * Opens or creates the store in {@code dir} under the node's 32-byte storage secret (which the
   * caller unsealed; this class keeps only keys derived from it).
   *
   * <p>Reads every record once to check the state digest (about the time of reading the store's
   * files; see DESIGN.md "State and storage" for measurements).
   *
   * @throws StateException when RocksDB cannot open the directory (damaged files, a lock held by
   *     another process), when the secret does not open this store, when the store is in record
   *     format v1, when it is an import that did not finish, when it has no state root, or when
   *     its records do not match the root ("state digest mismatch")
   */
  public static RocksDbStateStore open(Path dir, byte[] storageSecret) throws StateException {
    return open(dir, storageSecret, RecentRecords.entriesMax);
  }

  /**
   * {@link #open(Path, byte[])} with at most {@code recentRecordsMax} locations in the apply
   * path's cache ({@link RecentRecords}); 0 turns it off, for tests that compare the two.
   */
  static RocksDbStateStore open(Path dir, byte[] storageSecret, int recentRecordsMax) throws StateException {
    Objects.requireNonNull(dir, "dir");
    RecordCipher cipher = RecordCipher.fromStorageSecret(storageSecret);
    Path absolute = dir.toAbsolutePath();
    try {
      Files.createDirectories(absolute);
    } catch (IOException e) {
      throw new StateException("cannot create state directory " + absolute + ": " + e, e);
    }
    SmallNodeRocksOptions rocksOptions = SmallNodeRocksOptions.create();
    RocksDB db;
    try {
      db = RocksDB.open(rocksOptions.options(), absolute.toString());
    } catch (RocksDBException e) {
      rocksOptions.close();
      throw SealedRecords.rocksFailure("open", absolute, e);
    }
    RocksDbStateStore store = new RocksDbStateStore(absolute, db, rocksOptions, cipher, recentRecordsMax);
    try {
      store.records.checkCanary();
      if (store.records.importUnfinished()) {
        throw new StateException("state store " + absolute + " is an import that did not finish: delete the "
            + "directory and import the snapshot again");
      }
      store.root = store.verifiedRoot();
      store.appliedIndex = store.root.appliedIndex();
      store.syncNodeLocalMirror();
    } catch (StateException | RuntimeException e) {
      store.close();
      throw e;
    }
    log.info("opened state store at {} with applied index {} ({} records, digest verified)", absolute,
        store.appliedIndex, store.root.recordCount());
    return store;
  }

  /** Loads the node-local records from RocksDB and makes the mirror file match them. Holding commitOrder or before publication. */
  private void syncNodeLocalMirror() throws StateException {
    nodeLocal = records.nodeLocalRecords();
    mirror.sync(nodeLocal);
  }

  /** Reads the stored root and recomputes it from every record; they must agree. */
  private StateRoot verifiedRoot() throws StateException {
    StateRoot stored = records.readRoot(null);
    long started = System.nanoTime();
    StateRoot found = records.measureRoot(stored.appliedIndex());
    if (!found.matches(stored)) {
      String counts = found.recordCount() == stored.recordCount()
          ? "it holds the " + stored.recordCount() + " records the root names, but not the same ones or not the same "
              + "versions of them"
          : "the root names " + stored.recordCount() + " records, the files hold " + found.recordCount();
      throw new StateException("state digest mismatch: the store was modified outside veilraft (record rolled back, "
          + "deleted or replayed) in state store " + dir + " at applied index " + stored.appliedIndex() + ": " + counts
          + ". Move it aside and rebuild it from the cluster (veilraft node recover)");
    }
    log.debug("verified the state digest of {} records of {} in {} ms", found.recordCount(), dir,
        (System.nanoTime() - started) / 1_000_000);
    return stored;
  }

  /**
   * Builds a fresh store in {@code newDir} (absent or empty) from {@code source}'s records,
   * sealed under this node's {@code storageSecret}, at {@code appliedIndex}: the receiving half of
   * a snapshot. Records are written in batches of about {@value #importBatchBytesMax} bytes; a
   * namespace needs no declaration; a repeated (namespace, key) keeps its last value. The store
   * is flushed to synced table files before it is returned, open: the caller swaps it in for the
   * old one. Until the import finishes the store carries a marker that makes {@link #open} refuse
   * it, so a crash mid-import never passes for a store at index 0; after any failure the
   * directory is left for the caller to delete.
   *
   * @throws IllegalArgumentException for an applied index below 1, a record outside the limits
   *     of {@link StateTransaction#put} (the message gives its position), or when the source
   *     announces another applied index
   * @throws IOException from the source
   * @throws StateException when {@code newDir} is not empty or RocksDB fails
   */
  public static RocksDbStateStore importRecords(Path newDir, byte[] storageSecret, long appliedIndex,
      RecordSource source) throws StateException, IOException {
    Objects.requireNonNull(newDir, "newDir");
    Objects.requireNonNull(source, "source");
    // A store at index 0 holding records would have entry 1 applied on top of them again.
    Check.argument(appliedIndex >= 1, "applied index of an import must be 1 or more, got " + appliedIndex);
    Path absolute = newDir.toAbsolutePath();
    if (Files.exists(absolute)) {
      try (Stream<Path> entries = Files.list(absolute)) {
        if (entries.findAny().isPresent()) {
          throw new StateException("import target " + absolute + " is not empty: importRecords builds a fresh store");
        }
      } catch (IOException e) {
        throw new StateException("cannot list import target " + absolute + ": " + e, e);
      }
    }
    RocksDbStateStore store = open(absolute, storageSecret);
    try {
      synchronized (store.commitOrder) {
        store.root = new RecordImport(store.records, store.root, appliedIndex).run(source);
        // The import's batches write past the cache (they have none): clear it, so that no entry
        // can predate the imported records. It is empty in a new store; this keeps it so.
        store.recent.clear();
        store.syncNodeLocalMirror();
      }
      store.appliedIndex = appliedIndex;
    } catch (StateException | IOException | RuntimeException e) {
      store.close();
      throw e;
    }
    return store;
  }

  @Override
  public long appliedIndex() {
    return appliedIndex;
  }

  @Override
  public long readIndexBound() {
    return Math.max(appliedIndex, writingIndex);
  }

  @Override
  public Optional<byte[]> get(String namespace, byte[] key) throws StateException {
    checkNamespace(namespace);
    checkKey(key);
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return records.read(null, namespace, key);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * {@link #get} for a transaction on the apply thread (arguments checked by the caller): answered
   * from {@link #recent} when it knows the location, else as absent when the namespace is indexed
   * and its index does not hold the key, else read from RocksDB; an answer not from the cache is
   * offered to it. A cached value came from this store's own write or an authenticated read, so it
   * is not checked again.
   */
  Optional<byte[]> getForApply(String namespace, byte[] key) throws StateException {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      byte[] location = records.locate(namespace, key);
      RecentRecords.Entry cached = recent.get(location);
      if (cached != null && cached.answersReads()) {
        return cached.present() ? Optional.of(cached.value().clone()) : Optional.empty();
      }
      long generation = recent.generation();
      if (Boolean.FALSE.equals(keyIndex.holds(namespace, key))) {
        // An indexed namespace without the key: absent in the committed state, no read needed.
        absentReadsAnsweredByIndex++;
        recent.offerRead(location, null, null, generation);
        return Optional.empty();
      }
      SealedRecords.Stored stored = records.readAt(null, location, namespace, key);
      if (stored == null) {
        recent.offerRead(location, null, null, generation);
        return Optional.empty();
      }
      if (RecentRecords.keepsValuesOf(namespace)) {
        recent.offerRead(location, stored.sealed(), stored.value(), generation);
      }
      return Optional.of(stored.value().clone());
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Keys come from the namespace's in-memory index (built on the first scan of the namespace,
   * which reads and decrypts all of its records), values from point reads in a RocksDB snapshot
   * taken with the keys, so the result is one committed state even while the apply thread
   * commits.
   *
   * @throws IllegalArgumentException for a bad namespace, a limit outside 1..{@link
   *     #scanRecordsMax}, a bound over {@link #keySizeBytesMax}, {@code fromInclusive} after
   *     {@code toExclusive}, or records that would exceed {@link #scanSizeBytesMax}
   * @throws StateException when a record of the namespace does not authenticate
   */
  @Override
  public List<StateRecord> scan(String namespace, byte[] fromInclusive, byte[] toExclusive, int limit)
      throws StateException {
    checkNamespace(namespace);
    ScanRange range = ScanRange.of(fromInclusive, toExclusive, limit);
    lifecycle.readLock().lock();
    try {
      checkOpen();
      ensureIndexed(namespace);
      OrderedKeyIndex.Keys<Snapshot> keys = keyIndex.keys(namespace, range, range.limit(), records::snapshot);
      try (ReadOptions reads = new ReadOptions().setSnapshot(keys.pinned())) {
        List<StateRecord> out = new ArrayList<>(keys.keys().size());
        long sizeBytes = 0;
        for (byte[] key : keys.keys()) {
          byte[] value = records.readIndexed(reads, namespace, key);
          sizeBytes = checkScanSize(namespace, sizeBytes, out.size(), key, value);
          out.add(new StateRecord(key.clone(), value));
        }
        return out;
      } finally {
        records.release(keys.pinned());
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Adds one record to a scan's size, or refuses the scan when it would go over {@link
   * #scanSizeBytesMax}. Every replica holds the same records, so every replica refuses alike.
   */
  static long checkScanSize(String namespace, long sizeBytes, int recordsBefore, byte[] key, byte[] value) {
    long size = sizeBytes + key.length + value.length;
    Check.argument(size <= scanSizeBytesMax, "scan of namespace '" + namespace + "' would return over scanSizeBytesMax "
        + scanSizeBytesMax + " bytes of keys and values within its first " + (recordsBefore + 1)
        + " records: ask for fewer records");
    return size;
  }

  /** {@link StateTransaction#index}: builds the namespace's key index if it is not built yet. */
  void indexForApply(String namespace) throws StateException {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      ensureIndexed(namespace);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public StateTransaction begin() {
    return new RocksDbStateTransaction(this);
  }

  /**
   * Streams every application record (not those of {@value #META_NAMESPACE}) from one RocksDB
   * snapshot to {@code sink}: first {@link RecordSink#begin} with the snapshot's applied index,
   * then each record, grouped by namespace tag and otherwise in no useful order (the order of
   * this node's keyed hashes). Commits go on meanwhile and are not seen; {@link #close} waits for
   * the export to end. The records are plaintext: encrypt them before they leave the TEE.
   *
   * @return the applied index of the exported records
   * @throws StateException when a record does not authenticate or RocksDB fails
   * @throws IOException from the sink
   */
  @Override
  public long exportRecords(RecordSink sink) throws StateException, IOException {
    Objects.requireNonNull(sink, "sink");
    lifecycle.readLock().lock();
    try {
      checkOpen();
      Snapshot snapshot = records.snapshot();
      try {
        return records.export(snapshot, sink);
      } finally {
        records.release(snapshot);
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * How many keys the scan indexes hold, for a memory gauge: each costs about 56 bytes plus its
   * length rounded up to 8 (measured: 86 bytes for 32-byte keys, with compressed references).
   */
  public long indexedKeyCount() {
    return keyIndex.keyCount();
  }

  /** Closes the database and frees its native objects. Idempotent. */
  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      recent.clear();
      db.close();
      rocksOptions.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  /** The current root, for tests. */
  StateRoot root() {
    synchronized (commitOrder) {
      return root;
    }
  }

  /** The apply path's cache, for tests. */
  RecentRecords recentRecords() {
    return recent;
  }

  /** The sealed records, for tests that recompute the root. */
  SealedRecords records() {
    return records;
  }

  /** The directory of the store, for messages. */
  public Path directory() {
    return dir;
  }

  /**
   * The first {@code count} committed keys of {@code namespace} in {@code range}, for a
   * transaction's scan on the apply thread. The arrays are the index's: read them, never change them.
   */
  List<byte[]> committedKeys(String namespace, ScanRange range, int count) throws StateException {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      ensureIndexed(namespace);
      return keyIndex.keys(namespace, range, count, () -> null).keys();
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** The committed value of a key that {@link #committedKeys} returned; on the apply thread it cannot have gone. */
  byte[] committedValueOfIndexedKey(String namespace, byte[] key) throws StateException {
    lifecycle.readLock().lock();
    try {
      checkOpen();
      return records.readIndexed(null, namespace, key);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /**
   * Writes one entry's changes and the new state root (its index and the updated digest) in one
   * atomic batch, and updates the scan indexes with it.
   */
  void commit(List<RecordChange> changes, long entryIndex) throws StateException {
    synchronized (commitOrder) {
      if (entryIndex <= appliedIndex) {
        throw new IllegalStateException("applied index must increase: commit of entry " + entryIndex
            + " after entry " + appliedIndex + " in " + dir);
      }
      write(changes, entryIndex);
    }
  }

  /**
   * Writes node-local changes (namespaces under {@value StateStore#NODE_LOCAL_PREFIX}) in one
   * atomic batch without touching the applied index: they belong to no log entry. The state root
   * is rewritten with them (same index, new digest).
   */
  void commitNodeLocal(List<RecordChange> changes) throws StateException {
    for (RecordChange change : changes) {
      Check.argument(change.namespace().startsWith(NODE_LOCAL_PREFIX), "namespace " + change.namespace()
          + " is replicated: its changes are committed with the entry that made them, not as node-local");
    }
    synchronized (commitOrder) {
      write(changes, NO_INDEX);
    }
  }

  private static final long NO_INDEX = -1;

  /**
   * Called holding commitOrder. Writes the changes and the new state root in one batch: the root
   * records {@code entryIndex}, or keeps the applied index when it is {@link #NO_INDEX}. Each
   * change reads the record it replaces, to take that record's hash out of the digest.
   */
  private void write(List<RecordChange> changes, long entryIndex) throws StateException {
    lifecycle.readLock().lock();
    try (RootedBatch batch = new RootedBatch(records, root, recent, keyIndex)) {
      checkOpen();
      for (RecordChange change : changes) {
        if (change.isDelete()) {
          batch.delete(change.namespace(), change.key());
        } else {
          batch.put(change.namespace(), change.key(), change.value());
        }
      }
      StateRoot next = batch.seal(entryIndex != NO_INDEX ? entryIndex : root.appliedIndex());
      NavigableMap<String, NavigableMap<byte[], byte[]>> nextNodeLocal = nodeLocal;
      if (NodeLocalMirror.touchesNodeLocal(changes)) {
        // Before RocksDB: the mirror is never behind a committed node-local change (open repairs it if ahead).
        nextNodeLocal = NodeLocalMirror.apply(nodeLocal, changes);
        mirror.write(nextNodeLocal);
      }
      NavigableMap<String, NavigableMap<byte[], byte[]>> committedNodeLocal = nextNodeLocal;
      // Sealing happened above, outside the index lock; only the write itself holds readers back.
      keyIndex.commit(changes, () -> {
        if (entryIndex != NO_INDEX) {
          // Before the write: a point read may see the changes before appliedIndex names them.
          writingIndex = entryIndex;
        }
        batch.write(records.unsyncedWrites());
        root = next;
        nodeLocal = committedNodeLocal;
        if (entryIndex != NO_INDEX) {
          appliedIndex = entryIndex;
        }
      });
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Called under the lifecycle read lock, which keeps the database open while the index is built. */
  private void ensureIndexed(String namespace) throws StateException {
    keyIndex.ensureBuilt(namespace, () -> {
      Snapshot snapshot = records.snapshot();
      return new OrderedKeyIndex.PinnedView() {
        @Override
        public NavigableSet<byte[]> keys() throws StateException {
          return records.keysOf(snapshot, namespace);
        }

        @Override
        public void close() {
          records.release(snapshot);
        }
      };
    });
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("state store at " + dir + " is closed");
    }
  }

  /** Refuses namespaces outside [a-z0-9/_-]{1,64} and the reserved {@value #META_NAMESPACE}. */
  static void checkNamespace(String namespace) {
    // These checks run for every record an entry touches: the messages are built only on failure.
    Objects.requireNonNull(namespace, "namespace");
    if (!validNamespace(namespace)) {
      throw new IllegalArgumentException("namespace must be 1.." + namespaceLengthMax + " characters of [a-z0-9/_-] "
          + "(namespaceLengthMax " + namespaceLengthMax + "), got " + namespace.length() + " characters");
    }
    if (namespace.equals(META_NAMESPACE)) {
      throw new IllegalArgumentException("namespace " + META_NAMESPACE + " is reserved for the store");
    }
  }

  /** Same as matching {@link #NAMESPACE}, without a regex per record. */
  static boolean validNamespace(String namespace) {
    int length = namespace.length();
    if (length < 1 || length > namespaceLengthMax) {
      return false;
    }
    for (int i = 0; i < length; i++) {
      char c = namespace.charAt(i);
      if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '/' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }

  static void checkKey(byte[] key) {
    Objects.requireNonNull(key, "key");
    if (key.length > keySizeBytesMax) {
      throw new IllegalArgumentException("key is " + key.length + " bytes, over keySizeBytesMax " + keySizeBytesMax);
    }
  }

  static void checkValue(byte[] value) {
    Objects.requireNonNull(value, "value");
    if (value.length > valueSizeBytesMax) {
      throw new IllegalArgumentException("value is " + value.length + " bytes, over valueSizeBytesMax "
          + valueSizeBytesMax);
    }
  }
}
