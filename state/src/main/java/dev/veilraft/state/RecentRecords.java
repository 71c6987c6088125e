package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What RocksDB holds now at the record locations the apply path touched last: a bounded LRU of
 * location to {@link Entry} (nothing there, or the record's plaintext value and its digest
 * element or stored bytes). Applying an entry reads most records twice or more: a kv put reads
 * the key it overwrites, exactly-once admission reads the client's session record and rewrites
 * it, and the commit reads every replaced record again to take it out of the {@link StateDigest};
 * the session record is rewritten by every put of its client and a result record is deleted a
 * few hundred puts after it was written. Each of those reads is a RocksDB lookup (and, for a
 * value, an AES-GCM open) that this cache answers from memory.
 *
 * <p>Coherence: the cache only ever says what RocksDB holds. It is filled (1) by {@link
 * RootedBatch} after a batch write succeeded, with every location that batch changed, and (2) by
 * the apply thread's reads of committed records ({@link #offerRead}), which are refused when a write
 * was published after the read began, so a read that raced a commit can never put an older
 * value back. A write that fails clears the cache, as does {@link RocksDbStateStore#close};
 * imports build a fresh store, whose cache is empty. Other threads' reads (queries) neither
 * consult nor fill it. So a hit is byte-for-byte what a RocksDB read would return, and the
 * digest and every answer are the same with and without the cache.
 *
 * <p>Integrity: a cached value came from this store's own write or from a read that
 * authenticated it (AES-GCM, location and key checked), so a hit is not checked again. The
 * plaintext values stay in the TEE's memory, where the apply path already holds them. Records of
 * node-local namespaces (the node's epoch secrets) are kept without their values ({@link
 * #keepsValuesOf}): the cache is no second long-lived copy of secrets the keyring erases.
 *
 * <p>Thread-safety: every method is synchronized (the apply thread is its only user, so the lock
 * is uncontended; it keeps a commit from another thread, such as a node-local erase, safe).
 */
final class RecentRecords {
  /**
   * Locations kept. Each put touches about four (its key, its client's session record, its
   * result, the result it forgets), so 65,536 keep the last 16,000 or so puts: a kv working set
   * of about 10,000 keys with values up to about 1 KiB (a put's result holds the value it
   * replaced; {@link #bytesMax} bounds the rest) is re-read from memory, not RocksDB. At 4,096
   * (before session 25) only the session records and results stayed, and every put of the
   * cluster benchmark's 10,000 round-robin keys read its previous value from RocksDB.
   */
  static final int entriesMax = 65_536;
  /**
   * Bounds the bytes of values and stored records kept (with {@link #entryOverheadBytes} per
   * entry), so large values cannot hold much memory: roughly this much heap at most, whatever the
   * load (the per-entry figure is an estimate).
   */
  static final long bytesMax = 32L * 1024 * 1024;
  /**
   * A record whose value is larger is kept without its bytes (a write keeps its digest element
   * only; a read keeps nothing): large values are rarely re-read, and would evict many small ones.
   */
  static final int recordBytesMax = 64 * 1024;
  /**
   * Per entry besides the bytes of its value, element and stored record (an estimate, 64-bit JVM
   * with compressed pointers): the map node and its table slot (about 48 B), the location's
   * {@code ByteBuffer} (56) and array (about 56 with its bytes), the {@link Entry} (32) and the
   * headers of up to two arrays (32).
   */
  static final int entryOverheadBytes = 224;

  /**
   * What RocksDB holds at one location: nothing ({@link #ABSENT}), or a record with its plaintext
   * {@code value} when it was small enough to keep, and either its digest {@code element} or, when
   * that was not computed yet, its {@code sealed} bytes as stored (the element is their hash).
   * The arrays are the cache's own: never changed, and values are copied before they leave.
   */
  record Entry(boolean present, byte[] value, byte[] element, byte[] sealed) {
    /** The location holds no record. */
    static final Entry ABSENT = new Entry(false, null, null, null);

    Entry {
      Check.invariant(present || (value == null && element == null && sealed == null), "an absent record has no bytes");
      Check.invariant(!present || element != null || sealed != null, "a cached record has its digest element or bytes");
    }

    /**
     * A record a batch wrote in {@code namespace}: its digest element, and a copy of its value
     * unless it is over {@link #recordBytesMax} or node-local.
     */
    static Entry written(String namespace, byte[] element, byte[] value) {
      boolean keepValue = value.length <= recordBytesMax && keepsValuesOf(namespace);
      return new Entry(true, keepValue ? value.clone() : null, element, null);
    }

    /** Whether a point read can be answered: the location is empty, or the value was kept. */
    boolean answersReads() {
      return !present || value != null;
    }

    long sizeBytes() {
      return entryOverheadBytes + length(value) + length(element) + length(sealed);
    }

    private static int length(byte[] bytes) {
      return bytes == null ? 0 : bytes.length;
    }
  }

  /** Whether values of {@code namespace} may be kept: not those of node-local namespaces (secrets). */
  static boolean keepsValuesOf(String namespace) {
    return !namespace.startsWith(StateStore.NODE_LOCAL_PREFIX);
  }

  private final int entriesLimit;
  /** Access order: the eldest entry is the least recently used. */
  private final LinkedHashMap<ByteBuffer, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long sizeBytes;
  /** Bumped by every published write and clear; a read is kept only if none happened since it began. */
  private long generation;

  /** @param entriesLimit at most {@link #entriesMax}; 0 keeps nothing (for tests comparing with and without) */
  RecentRecords(int entriesLimit) {
    Check.argument(entriesLimit >= 0 && entriesLimit <= entriesMax,
        "recent records limit must lie in 0.." + entriesMax + ", got " + entriesLimit);
    this.entriesLimit = entriesLimit;
  }

  /** The entry for {@code location}, or null when the cache does not know it. */
  synchronized Entry get(byte[] location) {
    return entries.get(ByteBuffer.wrap(location));
  }

  /** Take before reading RocksDB, and pass to {@link #offerRead} with what the read found. */
  synchronized long generation() {
    return generation;
  }

  /**
   * Keeps what a read of committed state found at {@code location}: no record ({@code sealed}
   * null), or the record's stored bytes and its opened value, which become the cache's own. Not
   * kept when a write or clear was published since {@code readGeneration} (the read may predate
   * it), when the cache already knows the location (its entry is at least as new as the read),
   * or when the record is over {@link #recordBytesMax}.
   */
  synchronized void offerRead(byte[] location, byte[] sealed, byte[] value, long readGeneration) {
    if (readGeneration != generation || entries.containsKey(ByteBuffer.wrap(location))) {
      return;
    }
    if (sealed == null) {
      keep(location, Entry.ABSENT);
    } else if ((long) sealed.length + value.length <= recordBytesMax) {
      keep(location, new Entry(true, value, null, sealed));
    }
  }

  /**
   * Publishes what a batch just wrote, once RocksDB accepted it: every location the batch
   * changed, with its new entry ({@link Entry#written} or {@link Entry#ABSENT}). Called by the
   * single writer, after its write and before its next one.
   */
  synchronized void written(Map<ByteBuffer, Entry> changes) {
    generation++;
    for (Map.Entry<ByteBuffer, Entry> change : changes.entrySet()) {
      keep(change.getKey().array(), change.getValue());
    }
  }

  /** Forgets everything: after a failed write, when RocksDB's state is not known. */
  synchronized void clear() {
    generation++;
    entries.clear();
    sizeBytes = 0;
  }

  synchronized int size() {
    return entries.size();
  }

  /** One hash lookup: in access order, replacing a location's entry also makes it the most recent. */
  private void keep(byte[] location, Entry entry) {
    if (entriesLimit == 0) {
      return;
    }
    Entry replaced = entries.put(ByteBuffer.wrap(location), entry);
    if (replaced != null) {
      sizeBytes -= replaced.sizeBytes();
    }
    sizeBytes += entry.sizeBytes();
    Iterator<Entry> eldest = entries.values().iterator();
    while (entries.size() > entriesLimit || sizeBytes > bytesMax) {
      sizeBytes -= eldest.next().sizeBytes();
      eldest.remove();
    }
  }
}
