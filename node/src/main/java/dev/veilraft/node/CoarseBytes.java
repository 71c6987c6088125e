package dev.veilraft.node;

/**
 * Byte counts that {@code GET /v1/status} tells anyone, coarsened: the exact size of a member's
 * snapshot, sampled over time, would tell anyone how the encrypted state grows (a side channel on
 * what clients do). A joiner only needs the size to show progress, percent and ETA, so the
 * public value keeps about one digit: sizes up to {@link #FLOOR_BYTES} read as that floor, larger
 * ones are rounded to a multiple of 1/{@link #STEPS_PER_DOUBLING} of their highest power of two
 * (at most 12.5% off). Totals round up (a progress bar never passes 100%), counts received round
 * down.
 */
public final class CoarseBytes {
  /** Below this, every size reads the same: small states reveal nothing of their size. */
  public static final long FLOOR_BYTES = 1L << 20;
  /** Public sizes between two powers of two take this many values. */
  public static final int STEPS_PER_DOUBLING = 8;

  /** {@code bytes} rounded up to its public step; 0 stays 0 (nothing to say). */
  public static long roundUp(long bytes) {
    if (bytes <= 0) {
      return 0;
    }
    if (bytes <= FLOOR_BYTES) {
      return FLOOR_BYTES;
    }
    long step = step(bytes);
    long rounded = (bytes + step - 1) / step * step;
    return rounded < bytes ? Long.MAX_VALUE : rounded;
  }

  /** {@code bytes} rounded down to its public step (0 below {@link #FLOOR_BYTES}). */
  public static long roundDown(long bytes) {
    if (bytes < FLOOR_BYTES) {
      return 0;
    }
    long step = step(bytes);
    return bytes / step * step;
  }

  private static long step(long bytes) {
    return Math.max(1, Long.highestOneBit(bytes) / STEPS_PER_DOUBLING);
  }

  private CoarseBytes() {}
}
