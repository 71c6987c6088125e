package dev.veilraft.state.app;

import dev.veilraft.crypto.Check;
import java.util.Arrays;
import java.util.NavigableMap;
import java.util.TreeMap;

/** The argument rules of app scans, and key-range windows over sorted maps. */
final class AppScans {
  /** Bound on the records one scan returns; page with the last key for more. */
  static final int SCAN_RECORDS_MAX = 1000;

  private AppScans() {}

  static void check(byte[] fromInclusive, byte[] toExclusive, int limit) {
    Check.argument(limit >= 1 && limit <= SCAN_RECORDS_MAX, "scan limit must be 1.." + SCAN_RECORDS_MAX
        + " (SCAN_RECORDS_MAX), got " + limit);
    Check.argument(fromInclusive == null || toExclusive == null
        || Arrays.compareUnsigned(fromInclusive, toExclusive) <= 0, "scan range starts after it ends");
  }

  static <V> NavigableMap<byte[], V> window(TreeMap<byte[], V> map, byte[] fromInclusive, byte[] toExclusive) {
    if (fromInclusive == null && toExclusive == null) {
      return map;
    }
    if (fromInclusive == null) {
      return map.headMap(toExclusive, false);
    }
    if (toExclusive == null) {
      return map.tailMap(fromInclusive, true);
    }
    return map.subMap(fromInclusive, true, toExclusive, false);
  }
}
