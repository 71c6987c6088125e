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
 */
final class RootedBatch implements AutoCloseable {
  /** Marks a location whose pending change is a delete. */
  private static final byte[] DELETED = new byte[0];

  private final SealedRecords records;
  private final RecordHasher hasher;
  private final WriteBatch batch = new WriteBatch();
  private final StateDigest digest;
  private long recordCount;
  /** Locations changed in the part not yet written: their record's hash, or {@link #DELETED}. */
  private final Map<ByteBuffer, byte[]> pending = new HashMap<>();
  private StateRoot sealed;

  RootedBatch(SealedRecords records, StateRoot start) {
    this.records = records;
    this.hasher = records.newHasher();
    this.digest = start.digest().copy();
    this.recordCount = start.recordCount();
  }

  void put(String namespace, byte[] key, byte[] value) throws StateException {
    checkNotSealed();
    checkNotRoot(namespace, key);
    byte[] location = records.locate(namespace, key);
    removeCurrent(location);
    byte[] sealedValue = records.seal(location, namespace, key, value);
    try {
      batch.put(location, sealedValue);
    } catch (RocksDBException e) {
      throw records.rocksFailure("batch a write for", e);
    }
    byte[] element = hasher.hash(location, sealedValue);
    digest.add(element);
    recordCount++;
    pending.put(ByteBuffer.wrap(location), element);
  }

  void delete(String namespace, byte[] key) throws StateException {
    checkNotSealed();
    checkNotRoot(namespace, key);
    byte[] location = records.locate(namespace, key);
    removeCurrent(location);
    try {
      batch.delete(location);
    } catch (RocksDBException e) {
      throw records.rocksFailure("batch a delete for", e);
    }
    pending.put(ByteBuffer.wrap(location), DELETED);
  }

  /** Takes the record now at {@code location} (pending in this part, else stored) out of the digest. */
  private void removeCurrent(byte[] location) throws StateException {
    byte[] element = pending.get(ByteBuffer.wrap(location));
    if (element == null) {
      byte[] stored = records.readSealed(location);
      element = stored == null ? DELETED : hasher.hash(location, stored);
    }
    if (element != DELETED) {
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
    records.write(batch, options);
    clearPart();
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
    records.write(batch, options);
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
