package dev.veilraft.node.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long wait (joining, catching up, installing a snapshot) for an operator: on a
 * terminal one line that rewrites itself (at most every {@link #TERMINAL_INTERVAL}); otherwise
 * (logs, pipes, supervisors) plain lines at most every {@link #LOG_INTERVAL}, so a slow catch-up
 * cannot flood a log. Steps (named stages) always print, on a line of their own.
 *
 * <p>The rate is the average since the first measurement of this wait, the ETA the remaining
 * amount at that rate; neither is shown before there is a rate to speak of.
 */
final class Progress {
  static final Duration TERMINAL_INTERVAL = Duration.ofMillis(200);
  static final Duration LOG_INTERVAL = Duration.ofSeconds(5);
  /** ETAs beyond this are shown as unknown: the rate is too low to say anything useful. */
  static final Duration ETA_MAX = Duration.ofDays(7);

  /** What is counted: entries of the Raft log, or bytes (shown as KiB, MiB, GiB). */
  enum Unit { ENTRIES, BYTES }

  private final String task;
  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanos;
  private final long intervalNanos;
  private long firstNanos = -1;
  private long firstDone;
  /** What the rate is measured for; another label or unit starts a new measurement. */
  private String measuredLabel;
  private Unit measuredUnit;
  private long lastPrintNanos;
  private boolean linePending;
  private int lastLineLength;

  Progress(String task, PrintStream out, boolean terminal, LongSupplier nanos) {
    this.task = task;
    this.out = out;
    this.terminal = terminal;
    this.nanos = nanos;
    this.intervalNanos = (terminal ? TERMINAL_INTERVAL : LOG_INTERVAL).toNanos();
  }

  /** Progress on this process's standard output, self-updating when it is a terminal. */
  static Progress onConsole(String task, PrintStream out) {
    return new Progress(task, out, System.console() != null, System::nanoTime);
  }

  boolean terminal() {
    return terminal;
  }

  /** A named stage ("admitted at index 12"): always printed, on its own line. */
  synchronized void step(String text) {
    endLine();
    out.println(task + ": " + text);
    out.flush();
  }

  /**
   * {@code done} of {@code total} (total may be unknown, 0): printed when the interval since the
   * last print passed, or when done reached total.
   */
  synchronized void update(long done, long total, Unit unit) {
    update(null, done, total, unit);
  }

  /**
   * As {@link #update(long, long, Unit)}, for a part of the wait named {@code label} ("installing
   * snapshot"), shown before the numbers. The rate and ETA restart when the label or the unit
   * changes, so bytes of a snapshot transfer and entries of the catch-up after it are measured
   * apart.
   */
  synchronized void update(String label, long done, long total, Unit unit) {
    long now = nanos.getAsLong();
    if (!java.util.Objects.equals(label, measuredLabel) || unit != measuredUnit) {
      measuredLabel = label;
      measuredUnit = unit;
      firstNanos = -1;
    }
    if (firstNanos < 0) {
      firstNanos = now;
      firstDone = done;
    } else if (now - lastPrintNanos < intervalNanos && (total <= 0 || done < total)) {
      return;
    }
    lastPrintNanos = now;
    double seconds = (now - firstNanos) / 1e9;
    double rate = seconds > 0 ? (done - firstDone) / seconds : 0;
    String line = task + ": " + (label == null ? "" : label + " ") + render(done, total, unit, rate);
    if (terminal) {
      int pad = Math.max(0, lastLineLength - line.length());
      out.print("\r" + line + " ".repeat(pad));
      lastLineLength = line.length();
      linePending = true;
    } else {
      out.println(line);
    }
    out.flush();
  }

  /** Ends the wait with a last line (the self-updating one is kept on screen). */
  synchronized void finish(String text) {
    step(text);
  }

  private void endLine() {
    if (linePending) {
      out.println();
      linePending = false;
      lastLineLength = 0;
    }
  }

  /** "45% 4500/10000 entries 1200 entries/s ETA 4s"; parts without data (no total, no rate yet) are left out. */
  static String render(long done, long total, Unit unit, double ratePerSecond) {
    StringBuilder line = new StringBuilder();
    if (total > 0) {
      line.append(percent(done, total)).append("% ");
    }
    line.append(amount(done, unit));
    if (total > 0) {
      line.append('/').append(amount(total, unit));
    }
    if (unit == Unit.ENTRIES) {
      line.append(" entries");
    }
    if (ratePerSecond > 0) {
      line.append(' ').append(unit == Unit.BYTES ? amount((long) ratePerSecond, unit) + "/s"
          : String.format(Locale.ROOT, "%.0f entries/s", ratePerSecond));
      if (total > 0) {
        line.append(" ETA ").append(eta(total - done, ratePerSecond).map(Progress::duration).orElse("unknown"));
      }
    }
    return line.toString();
  }

  /** 0..100, rounded down (100 only when done); done beyond total counts as total. */
  static int percent(long done, long total) {
    if (total <= 0) {
      return 0;
    }
    long clamped = Math.max(0, Math.min(done, total));
    return (int) (clamped * 100 / total);
  }

  /** The time {@code remaining} takes at {@code ratePerSecond}; empty without a rate or when beyond {@link #ETA_MAX}. */
  static java.util.Optional<Duration> eta(long remaining, double ratePerSecond) {
    if (remaining <= 0) {
      return java.util.Optional.of(Duration.ZERO);
    }
    if (!(ratePerSecond > 0)) {
      return java.util.Optional.empty();
    }
    double seconds = Math.ceil(remaining / ratePerSecond);
    if (seconds > ETA_MAX.toSeconds()) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(Duration.ofSeconds((long) seconds));
  }

  /** 42s, 3m05s, 2h07m. */
  static String duration(Duration d) {
    long s = d.toSeconds();
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  static String amount(long value, Unit unit) {
    if (unit == Unit.ENTRIES) {
      return Long.toString(value);
    }
    if (value < 1024) {
      return value + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double scaled = value;
    int i = -1;
    while (scaled >= 1024 && i < units.length - 1) {
      scaled /= 1024;
      i++;
    }
    return String.format(Locale.ROOT, "%.1f %s", scaled, units[i]);
  }
}
