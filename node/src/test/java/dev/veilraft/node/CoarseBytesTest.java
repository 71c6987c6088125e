package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Public byte counts are coarse: a floor for small sizes, at most 1/8 off above it, rounded in the safe direction. */
class CoarseBytesTest {
  private static final long MIB = 1L << 20;

  @Test
  void smallSizesAllReadAsTheFloor() {
    // Proves sizes up to 1 MiB are indistinguishable in public and that nothing stays nothing.
    assertThat(CoarseBytes.roundUp(0)).isZero();
    assertThat(CoarseBytes.roundUp(1)).isEqualTo(CoarseBytes.FLOOR_BYTES);
    assertThat(CoarseBytes.roundUp(MIB)).isEqualTo(CoarseBytes.FLOOR_BYTES);
    assertThat(CoarseBytes.roundDown(MIB - 1)).isZero();
  }

  @Test
  void largerSizesKeepAboutOneDigitAndRoundInTheSafeDirection() {
    // Proves totals round up and received counts round down, each within 1/8 of the true value.
    assertThat(CoarseBytes.roundUp(100 * MIB)).isEqualTo(104 * MIB);
    assertThat(CoarseBytes.roundDown(100 * MIB)).isEqualTo(96 * MIB);
    assertThat(CoarseBytes.roundUp(100 * MIB + 1)).isEqualTo(104 * MIB);
    assertThat(CoarseBytes.roundUp(100 * MIB - 12345)).isEqualTo(CoarseBytes.roundUp(97 * MIB));
    for (long bytes = MIB + 1; bytes < (1L << 40); bytes = bytes * 3 / 2 + 7) {
      long up = CoarseBytes.roundUp(bytes);
      long down = CoarseBytes.roundDown(bytes);
      assertThat(up).isGreaterThanOrEqualTo(bytes).isLessThanOrEqualTo(bytes + bytes / CoarseBytes.STEPS_PER_DOUBLING);
      assertThat(down).isLessThanOrEqualTo(bytes).isGreaterThanOrEqualTo(bytes - bytes / CoarseBytes.STEPS_PER_DOUBLING);
    }
    assertThat(CoarseBytes.roundUp(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
  }
}
