package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A RocksDB WriteBatch of sealed records that keeps the store's {@link StateRoot} in step with
 * it: every put adds the new record's hash and subtracts the hash of the record it replaces (read
 * from the batch itself, else from the database), every delete subtracts the record it removes.
 * {@link #seal} then adds the root record for the new applied index to the same batch, so the
 * root on disk always matches the records it is written with.
 *
 * <p>Several parts may be written before the root is sealed ({@link #writePart}, for imports): the
 * running digest is kept across them. Reads of replaced records go to the database without a
 * snapshot, so only the store's single writer (the apply thread, or an import) may use one.
 * Single use, not thread-safe; close it to free the native batch.
 *
 * <p>With the store's {@link RecentRecords}, a replaced record is looked up there first (its
 * digest element is usually known from the write that stored it), and every location a written
 * part changed is published to it once RocksDB accepted the write; a failed write clears it.
 */
final class RootedBatch implements AutoCloseable {
  private final SealedRecords records;
  private final RecordHasher hasher;
  private final WriteBatch batch = new WriteBatch();
  private final StateDigest digest;
  private long recordCount;
  /** The store's cache of what RocksDB holds, or null (imports, the canary). */
  private final RecentRecords recent;
  /**
   * Locations changed in the part not yet written, as they will be once it is written: their
   * record's digest element (and value, for {@link #recent}), or {@link RecentRecords.Entry#ABSENT}.
   */
  private final Map<ByteBuffer, RecentRecords.Entry> pending = new HashMap<>();
  private StateRoot sealed;

  /**
   * The store's index of committed keys, or null (imports, the canary): for an indexed namespace it
   * says exactly whether a record is stored under a key, so a change to a key that is not there
   * needs no read to find the record it replaces.
   */
  private final OrderedKeyIndex keyIndex;

  /** A batch that does not use a cache of recent records: for imports and a new store's canary. */
  RootedBatch(SealedRecords records, StateRoot start) {
    this(records, start, null, null);
  }

  /** The batch of one commit to {@code start}'s store: {@code recent} and {@code keyIndex} describe its committed state. */
  RootedBatch(SealedRecords records, StateRoot start, RecentRecords recent, OrderedKeyIndex keyIndex) {
    this.records = records;
    this.recent = recent;
    this.keyIndex = keyIndex;
    this.hasher = records.hasher();
    this.digest = start.digest().copy();
    this.recordCount = start.recordCount();
  }

  void put(String namespace, byte[] key, byte[] value) throws StateException {
    checkNotSealed();
    checkNotRoot(namespace, key);
    byte[] location = records.locate(namespace, key);
    removeCurrent(namespace, key, location);
    byte[] sealedValue = records.seal(location, namespace, key, value);
    try {
      batch.put(location, sealedValue);
    } catch (RocksDBException e) {
      throw records.rocksFailure("batch a write for", e);
    }
    byte[] element = hasher.hash(location, sealedValue);
    digest.add(element);
    recordCount++;
    pending.put(ByteBuffer.wrap(location), recent != null ? RecentRecords.Entry.written(namespace, element, value)
        : new RecentRecords.Entry(true, null, element, null));
  }

  void delete(String namespace, byte[] key) throws StateException {
    checkNotSealed();
    checkNotRoot(namespace, key);
    byte[] location = records.locate(namespace, key);
    removeCurrent(namespace, key, location);
    try {
      batch.delete(location);
    } catch (RocksDBException e) {
      throw records.rocksFailure("batch a delete for", e);
    }
    pending.put(ByteBuffer.wrap(location), RecentRecords.Entry.ABSENT);
  }

  /**
   * Takes the record now at {@code location} (of {@code key} in {@code namespace}) out of the
   * digest: the one pending in this part, else the one {@link #recent} knows is stored there, else
   * none when {@link #keyIndex} says the committed state has no such key, else the one RocksDB
   * returns.
   */
  private void removeCurrent(String namespace, byte[] key, byte[] location) throws StateException {
    RecentRecords.Entry current = pending.get(ByteBuffer.wrap(location));
    if (current == null && recent != null) {
      current = recent.get(location);
    }
    byte[] element;
    if (current != null) {
      element = !current.present() ? null
          : current.element() != null ? current.element() : hasher.hash(location, current.sealed());
    } else if (keyIndex != null && Boolean.FALSE.equals(keyIndex.holds(namespace, key))) {
      element = null;
    } else {
      byte[] stored = records.readSealed(location);
      element = stored == null ? null : hasher.hash(location, stored);
    }
    if (element != null) {
      digest.remove(element);
      recordCount--;
      Check.invariant(recordCount >= 0, "the record count of a store never goes below zero");
    }
  }

  /** Bytes batched in the current part. */
  long partSizeBytes() {
    return batch.getDataSize();
  }

  /** Writes the current part without a root (an import's records), and starts the next part. */
  void writePart(WriteOptions options) throws StateException {
    checkNotSealed();
    writeAndPublish(options);
  }

  /**
   * Adds the root record for {@code appliedIndex} to the batch and returns that root; the batch
   * takes no more changes. Write it with {@link #write}.
   */
  StateRoot seal(long appliedIndex) throws StateException {
    checkNotSealed();
    StateRoot root = new StateRoot(appliedIndex, recordCount, digest.copy());
    byte[] location = records.locate(SealedRecords.META_NAMESPACE, SealedRecords.ROOT_KEY);
    try {
      batch.put(location, records.seal(location, SealedRecords.META_NAMESPACE, SealedRecords.ROOT_KEY, root.encode()));
    } catch (RocksDBException e) {
      throw records.rocksFailure("batch the root for", e);
    }
    sealed = root;
    return root;
  }

  /** Writes the sealed batch: the changes and the root, atomically. */
  void write(WriteOptions options) throws StateException {
    Check.invariant(sealed != null, "a batch is sealed with its root before it is written");
    writeAndPublish(options);
  }

  /**
   * Writes the current part and only then tells {@link #recent} what its locations hold now. A
   * write that fails may or may not have reached RocksDB, so the cache is cleared instead.
   */
  private void writeAndPublish(WriteOptions options) throws StateException {
    try {
      records.write(batch, options);
    } catch (StateException | RuntimeException e) {
      if (recent != null) {
        recent.clear();
      }
      throw e;
    }
    if (recent != null) {
      recent.written(pending);
    }
    clearPart();
  }

  private void clearPart() {
    batch.clear();
    pending.clear();
  }

  /** The root is outside its own digest; only {@link #seal} writes it. */
  private static void checkNotRoot(String namespace, byte[] key) {
    Check.invariant(!(namespace.equals(SealedRecords.META_NAMESPACE) && Arrays.equals(key, SealedRecords.ROOT_KEY)),
        "the state root is written only by seal");
  }

  private void checkNotSealed() {
    Check.invariant(sealed == null, "a sealed batch takes no more changes");
  }

  @Override
  public void close() {
    batch.close();
  }
}
