package dev.veilraft.node.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations as operators type them: {@code 500ms}, {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d}. */
final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");

  private Durations() {}

  /** Milliseconds; {@code option} names the option in the error. */
  static long parseMs(String text, String option) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + " '" + text + "' is not a duration such as 500ms, 30s, 10m, 24h or 7d");
    }
    long value = Long.parseLong(m.group(1));
    long unitMs = switch (m.group(2)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      default -> 86_400_000;
    };
    return Math.multiplyExact(value, unitMs);
  }
}
