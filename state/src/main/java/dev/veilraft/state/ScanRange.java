package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.util.Arrays;
import java.util.Comparator;
import java.util.NavigableMap;
import java.util.NavigableSet;

/**
 * The checked arguments of one scan: keys in [{@code fromInclusive}, {@code toExclusive}) in
 * unsigned lexicographic byte order (a null bound is open), at most {@code limit} records.
 */
final class ScanRange {
  /** The order of keys in scans: unsigned bytes, so 0x7f sorts before 0x80, and a prefix before its extensions. */
  static final Comparator<byte[]> KEY_ORDER = Arrays::compareUnsigned;

  private final byte[] fromInclusive;
  private final byte[] toExclusive;
  private final int limit;

  private ScanRange(byte[] fromInclusive, byte[] toExclusive, int limit) {
    this.fromInclusive = fromInclusive;
    this.toExclusive = toExclusive;
    this.limit = limit;
  }

  /** Checks the arguments of a scan; each refusal is an {@link IllegalArgumentException} naming the problem. */
  static ScanRange of(byte[] fromInclusive, byte[] toExclusive, int limit) {
    Check.argument(limit >= 1 && limit <= RocksDbStateStore.scanRecordsMax,
        "scan limit must be 1.." + RocksDbStateStore.scanRecordsMax + " (scanRecordsMax), got " + limit);
    checkBound(fromInclusive, "fromInclusive");
    checkBound(toExclusive, "toExclusive");
    Check.argument(fromInclusive == null || toExclusive == null || KEY_ORDER.compare(fromInclusive, toExclusive) <= 0,
        "scan range is reversed: fromInclusive sorts after toExclusive (unsigned byte order)");
    return new ScanRange(
        fromInclusive == null ? null : fromInclusive.clone(), toExclusive == null ? null : toExclusive.clone(), limit);
  }

  private static void checkBound(byte[] bound, String name) {
    Check.argument(bound == null || bound.length <= RocksDbStateStore.keySizeBytesMax,
        "scan bound " + name + " is " + (bound == null ? 0 : bound.length) + " bytes, over keySizeBytesMax "
            + RocksDbStateStore.keySizeBytesMax);
  }

  int limit() {
    return limit;
  }

  /** The part of {@code keys} (ordered by {@link #KEY_ORDER}) inside the range, as a view. */
  NavigableSet<byte[]> of(NavigableSet<byte[]> keys) {
    if (fromInclusive == null) {
      return toExclusive == null ? keys : keys.headSet(toExclusive, false);
    }
    return toExclusive == null ? keys.tailSet(fromInclusive, true) : keys.subSet(fromInclusive, true, toExclusive, false);
  }

  /** The part of {@code map} (ordered by {@link #KEY_ORDER}) inside the range, as a view. */
  <V> NavigableMap<byte[], V> of(NavigableMap<byte[], V> map) {
    if (fromInclusive == null) {
      return toExclusive == null ? map : map.headMap(toExclusive, false);
    }
    return toExclusive == null ? map.tailMap(fromInclusive, true) : map.subMap(fromInclusive, true, toExclusive, false);
  }
}
