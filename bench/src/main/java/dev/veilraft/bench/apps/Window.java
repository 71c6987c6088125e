package dev.veilraft.bench.apps;

import java.time.Duration;
import org.HdrHistogram.Histogram;

/**
 * The measured part of a run: operations that complete between {@code startNanos} and {@code
 * endNanos} ({@link System#nanoTime}) count; those of the warm-up before it do not.
 */
record Window(long startNanos, long endNanos) {
  /** Latencies above this are clamped in the histograms; a healthy cluster answers far sooner. */
  static final long LATENCY_NANOS_MAX = Duration.ofMinutes(2).toNanos();
  private static final int SIGNIFICANT_DIGITS = 3;

  /** A window opening after {@code warmup} from now and lasting {@code measure}. */
  static Window after(Duration warmup, Duration measure) {
    long start = System.nanoTime() + warmup.toNanos();
    return new Window(start, start + measure.toNanos());
  }

  boolean counts(long completedNanos) {
    return completedNanos >= startNanos && completedNanos <= endNanos;
  }

  boolean over() {
    return System.nanoTime() > endNanos;
  }

  double seconds() {
    return (endNanos - startNanos) / 1e9;
  }

  static Histogram histogram() {
    return new Histogram(LATENCY_NANOS_MAX, SIGNIFICANT_DIGITS);
  }

  static void record(Histogram histogram, long nanos) {
    histogram.recordValue(Math.min(Math.max(nanos, 0), LATENCY_NANOS_MAX));
  }

  /** The {@code percentile} of a histogram of nanoseconds, in milliseconds. */
  static double millis(Histogram histogram, double percentile) {
    return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getValueAtPercentile(percentile) / 1e6;
  }
}
