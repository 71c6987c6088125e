package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The changes of one log entry, buffered in memory until {@link #commit}: nothing reaches
 * RocksDB before then, so an entry that fails half-way leaves the store untouched. Reads and scans
 * see this transaction's own writes first, then the committed state. Used by one thread, the
 * store's apply thread (the committed state cannot change while the transaction reads it).
 */
final class RocksDbStateTransaction implements StateTransaction {
  /** A marker in the merge of a scan: the key's value is the committed one. */
  private static final byte[] COMMITTED = new byte[0];
  /** Ordered like scans: an empty map of natural order would fail to compare byte arrays. */
  private static final NavigableMap<byte[], RecordChange> NONE =
      Collections.unmodifiableNavigableMap(new TreeMap<>(ScanRange.KEY_ORDER));

  private final RocksDbStateStore store;
  /** Pending changes by namespace, each ordered like scans, so two writes of a record keep only the last. */
  private final Map<String, NavigableMap<byte[], RecordChange>> changes = new TreeMap<>();
  /** By type, in the order they were made: their {@code beforeCommit}s run in that order. */
  private final Map<Class<?>, Attachment> attachments = new LinkedHashMap<>();
  /** Their beforeCommits ran (once, even if the commit then failed): none may be made or changed now. */
  private boolean attachmentsWritten;
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
    RecordChange pending = pending(namespace).get(key);
    if (pending != null) {
      return pending.isDelete() ? Optional.empty() : Optional.of(pending.value().clone());
    }
    return store.getForApply(namespace, key);
  }

  /**
   * Merges the pending changes in the range with the committed keys. Each pending delete can hide
   * at most one committed key, so the first {@code limit + deletes} committed keys of the range
   * always hold every committed key of the first {@code limit} results.
   */
  @Override
  public List<StateRecord> scan(String namespace, byte[] fromInclusive, byte[] toExclusive, int limit)
      throws StateException {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    ScanRange range = ScanRange.of(fromInclusive, toExclusive, limit);
    NavigableMap<byte[], RecordChange> pending = range.of(pending(namespace));
    long deletes = pending.values().stream().filter(RecordChange::isDelete).count();
    int committedWanted = (int) Math.min(Integer.MAX_VALUE, limit + deletes);

    NavigableMap<byte[], byte[]> merged = new TreeMap<>(ScanRange.KEY_ORDER);
    for (byte[] key : store.committedKeys(namespace, range, committedWanted)) {
      merged.put(key, COMMITTED);
    }
    for (RecordChange change : pending.values()) {
      if (change.isDelete()) {
        merged.remove(change.key());
      } else {
        merged.put(change.key(), change.value());
      }
    }

    List<StateRecord> out = new ArrayList<>(Math.min(limit, merged.size()));
    long sizeBytes = 0;
    for (Map.Entry<byte[], byte[]> entry : merged.entrySet()) {
      if (out.size() == limit) {
        break;
      }
      byte[] key = entry.getKey();
      byte[] value = entry.getValue() == COMMITTED ? store.committedValueOfIndexedKey(namespace, key) : entry.getValue().clone();
      sizeBytes = RocksDbStateStore.checkScanSize(namespace, sizeBytes, out.size(), key, value);
      out.add(new StateRecord(key.clone(), value));
    }
    return out;
  }

  @Override
  public void put(String namespace, byte[] key, byte[] value) {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    RocksDbStateStore.checkKey(key);
    RocksDbStateStore.checkValue(value);
    record(new RecordChange(namespace, key.clone(), value.clone()));
  }

  @Override
  public void index(String namespace) throws StateException {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    store.indexForApply(namespace);
  }

  @Override
  public void delete(String namespace, byte[] key) {
    checkActive();
    RocksDbStateStore.checkNamespace(namespace);
    RocksDbStateStore.checkKey(key);
    record(new RecordChange(namespace, key.clone(), null));
  }

  @Override
  public <T extends Attachment> T attachment(Class<T> type, Supplier<T> create) {
    checkActive();
    if (attachmentsWritten) {
      throw new IllegalStateException("the transaction's attachments were written for its commit; one made or "
          + "changed now would be lost");
    }
    Attachment attached = attachments.get(type);
    if (attached == null) {
      attached = Objects.requireNonNull(create.get(), "an attachment's factory returned null");
      attachments.put(type, attached);
    }
    return type.cast(attached);
  }

  @Override
  public void commit(long appliedIndex) throws StateException {
    checkActive();
    runBeforeCommit();
    List<RecordChange> all = new ArrayList<>();
    for (NavigableMap<byte[], RecordChange> namespaceChanges : changes.values()) {
      all.addAll(namespaceChanges.values());
    }
    store.commit(all, appliedIndex);
    committed = true;
  }

  @Override
  public void commitNodeLocal() throws StateException {
    checkActive();
    runBeforeCommit();
    List<RecordChange> all = new ArrayList<>();
    for (NavigableMap<byte[], RecordChange> namespaceChanges : changes.values()) {
      all.addAll(namespaceChanges.values());
    }
    store.commitNodeLocal(all);
    committed = true;
  }

  /**
   * Runs every attachment's beforeCommit, once: a commit that fails after them (a refused index,
   * a failed write) and is tried again writes what they wrote, without writing it twice.
   */
  private void runBeforeCommit() throws StateException {
    if (attachmentsWritten) {
      return;
    }
    attachmentsWritten = true;
    for (Attachment attachment : List.copyOf(attachments.values())) {
      attachment.beforeCommit(this);
    }
  }

  private NavigableMap<byte[], RecordChange> pending(String namespace) {
    NavigableMap<byte[], RecordChange> pending = changes.get(namespace);
    return pending == null ? NONE : pending;
  }

  private void record(RecordChange change) {
    // Counts every write, even one that replaces an earlier write of the same record, so the
    // bound is conservative and cheap to keep. The location it will need is counted too.
    long size = RecordCipher.LOCATION_BYTES + change.key().length + (change.isDelete() ? 0 : change.value().length);
    Check.argument(sizeBytes + size <= RocksDbStateStore.transactionSizeBytesMax,
        "transaction is over transactionSizeBytesMax " + RocksDbStateStore.transactionSizeBytesMax);
    sizeBytes += size;
    changes.computeIfAbsent(change.namespace(), n -> new TreeMap<>(ScanRange.KEY_ORDER)).put(change.key(), change);
  }

  private void checkActive() {
    if (committed) {
      throw new IllegalStateException("transaction already committed; begin a new one for the next entry");
    }
  }
}
