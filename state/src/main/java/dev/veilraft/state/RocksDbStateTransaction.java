package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The changes of one log entry, buffered in memory until {@link #commit}: nothing reaches
 * RocksDB before then, so an entry that fails half-way leaves the store untouched. Reads see
 * this transaction's own writes first, then the committed state. Used by one thread.
 */
final class RocksDbStateTransaction implements StateTransaction {
  /** A pending change at one record location; a null value deletes the record. */
  record Change(byte[] location, byte[] value) {}

  private final RocksDbStateStore store;
  /** Keyed by location so two writes of the same record keep only the last one. */
  private final Map<ByteBuffer, Change> changes = new LinkedHashMap<>();
  private long sizeBytes;
  private boolean committed;

  RocksDbStateTransaction(RocksDbStateStore store) {
    this.store = store;
  }

  @Override
  public Optional<byte[]> get(String namespace, byte[] key) throws StateException {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    RocksDbStateStore.checkKey(key);
    byte[] location = store.locate(namespace, key);
    Change pending = changes.get(ByteBuffer.wrap(location));
    if (pending != null) {
      return pending.value() == null ? Optional.empty() : Optional.of(pending.value().clone());
    }
    return store.read(namespace, location);
  }

  @Override
  public void put(String namespace, byte[] key, byte[] value) {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    RocksDbStateStore.checkKey(key);
    RocksDbStateStore.checkValue(value);
    record(new Change(store.locate(namespace, key), value.clone()));
  }

  @Override
  public void delete(String namespace, byte[] key) {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    RocksDbStateStore.checkKey(key);
    record(new Change(store.locate(namespace, key), null));
  }

  @Override
  public void commit(long appliedIndex) throws StateException {
    checkActive();
    store.commit(changes.values(), appliedIndex);
    committed = true;
  }

  private void record(Change change) {
    // Counts every write, even one that replaces an earlier write of the same record, so the
    // bound is conservative and cheap to keep.
    long size = change.location().length + (change.value() == null ? 0 : change.value().length);
    Check.argument(sizeBytes + size <= RocksDbStateStore.transactionSizeBytesMax,
        "transaction is over transactionSizeBytesMax " + RocksDbStateStore.transactionSizeBytesMax);
    sizeBytes += size;
    changes.put(ByteBuffer.wrap(change.location()), change);
  }

  private void checkActive() {
    if (committed) {
      throw new IllegalStateException("transaction already committed; begin a new one for the next entry");
    }
  }
}
