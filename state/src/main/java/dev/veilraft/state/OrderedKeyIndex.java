package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;

/**
 * The plaintext keys of each scanned namespace in {@link ScanRange#KEY_ORDER}, in memory: on disk
 * keys are keyed hashes, so their order exists only here, inside the TEE. Keys only, no values:
 * one key costs a {@code TreeMap} entry (40 bytes with compressed references) plus its array (16
 * bytes of header plus the key rounded up to 8); measured, 62 bytes for an 8-byte key, 86 for 32
 * bytes and 158 for 100 bytes.
 *
 * <p>A namespace is indexed the first time it is scanned or a transaction asks for it
 * ({@link #ensureBuilt}) and kept up to date by every commit ({@link #commit}); nothing is ever
 * evicted. Besides ordering scans, an index answers the apply path's point reads of keys that are
 * not there ({@link #holds}) without a RocksDB read. The store's writes to RocksDB
 * happen inside {@link #commit} under the write lock, and readers copy keys under the read lock
 * together with whatever pins the same committed state (a RocksDB snapshot), so a scan never mixes
 * two commits. Thread-safe.
 */
final class OrderedKeyIndex {
  /** A write to the store that must become visible together with its index changes. */
  @FunctionalInterface
  interface Write {
    void run() throws StateException;
  }

  /** A point-in-time view of the store taken while no commit runs, from which a namespace's keys are read. */
  interface PinnedView extends AutoCloseable {
    NavigableSet<byte[]> keys() throws StateException;

    @Override
    void close();
  }

  /** Keys read under the read lock, with what was pinned at the same committed state. */
  record Keys<T>(List<byte[]> keys, T pinned) {}

  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** Guarded by {@link #lock}. Sets are changed only under the write lock. */
  private final Map<String, NavigableSet<byte[]>> built = new HashMap<>();
  /** Guarded by {@link #lock}: the changes committed to each namespace while its index is being built. */
  private final Map<String, List<RecordChange>> changedDuringBuild = new HashMap<>();
  /** One build at a time; commits never take it, so a build on a reader thread does not stop apply. */
  private final Object buildOrder = new Object();

  static NavigableSet<byte[]> newKeySet() {
    return new TreeSet<>(ScanRange.KEY_ORDER);
  }

  boolean isBuilt(String namespace) {
    lock.readLock().lock();
    try {
      return built.containsKey(namespace);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Whether the committed state holds {@code key} in {@code namespace}, as this index knows it:
   * null when the namespace is not indexed (the index knows nothing of it), else exactly whether
   * the key is there. Exact because every commit updates the index under the same write lock as
   * its RocksDB write.
   */
  Boolean holds(String namespace, byte[] key) {
    lock.readLock().lock();
    try {
      NavigableSet<byte[]> keys = built.get(namespace);
      return keys == null ? null : keys.contains(key);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** How many keys are indexed across all namespaces; the index's memory is about 88 bytes times this for 32-byte keys. */
  long keyCount() {
    lock.readLock().lock();
    try {
      long count = 0;
      for (NavigableSet<byte[]> keys : built.values()) {
        count += keys.size();
      }
      return count;
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * Builds the index of {@code namespace} unless it exists. The view is pinned under the write
   * lock (so no commit is half-done in it), read without any lock (commits go on meanwhile and
   * are remembered), then the remembered changes are replayed onto what was read. A build that
   * fails leaves no index, so the next scan tries again and fails the same way.
   */
  void ensureBuilt(String namespace, Supplier<PinnedView> pin) throws StateException {
    if (isBuilt(namespace)) {
      return;
    }
    synchronized (buildOrder) {
      if (isBuilt(namespace)) {
        return;
      }
      PinnedView view;
      lock.writeLock().lock();
      try {
        view = pin.get();
        changedDuringBuild.put(namespace, new ArrayList<>());
      } finally {
        lock.writeLock().unlock();
      }
      NavigableSet<byte[]> keys = null;
      try {
        keys = view.keys();
      } finally {
        lock.writeLock().lock();
        try {
          List<RecordChange> changes = changedDuringBuild.remove(namespace);
          if (keys != null) {
            for (RecordChange change : changes) {
              apply(keys, change);
            }
            built.put(namespace, keys);
          }
        } finally {
          lock.writeLock().unlock();
          view.close();
        }
      }
    }
  }

  /** Runs {@code write} and applies {@code changes} to the indexes, with no reader seeing one without the other. */
  void commit(Collection<RecordChange> changes, Write write) throws StateException {
    lock.writeLock().lock();
    try {
      write.run();
      for (RecordChange change : changes) {
        NavigableSet<byte[]> keys = built.get(change.namespace());
        if (keys != null) {
          apply(keys, change);
        } else {
          List<RecordChange> remembered = changedDuringBuild.get(change.namespace());
          if (remembered != null) {
            remembered.add(change);
          }
        }
      }
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * The first {@code count} keys of {@code namespace} in {@code range}, and {@code pin}'s result
   * taken under the same read lock, so both describe the same committed state. The namespace
   * must be built. The arrays are the index's own: callers must not change them or hand them out.
   */
  <T> Keys<T> keys(String namespace, ScanRange range, int count, Supplier<T> pin) {
    lock.readLock().lock();
    try {
      NavigableSet<byte[]> keys = built.get(namespace);
      Check.invariant(keys != null, "namespace is indexed before its keys are read");
      List<byte[]> out = new ArrayList<>(Math.min(count, 1024));
      for (byte[] key : range.of(keys)) {
        if (out.size() == count) {
          break;
        }
        out.add(key);
      }
      return new Keys<>(out, pin.get());
    } finally {
      lock.readLock().unlock();
    }
  }

  private static void apply(NavigableSet<byte[]> keys, RecordChange change) {
    if (change.isDelete()) {
      keys.remove(change.key());
    } else {
      keys.add(change.key());
    }
  }
}
