package dev.veilraft.crypto;

/**
 * Always-on invariant checks. Java {@code assert} is off by default in production, so the
 * invariants that protect safety are checked with this helper instead.
 */
public final class Check {
  private Check() {}

  /** Fails with {@link IllegalStateException} when an internal invariant does not hold. */
  public static void invariant(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException("invariant violated: " + message);
    }
  }

  /** Fails with {@link IllegalArgumentException} naming the bad argument. */
  public static void argument(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Returns {@code bytes} after checking it has exactly {@code length} bytes. */
  public static byte[] length(byte[] bytes, int length, String what) {
    if (bytes == null || bytes.length != length) {
      throw new IllegalArgumentException(
          what + ": expected " + length + " bytes, got " + (bytes == null ? "none" : bytes.length));
    }
    return bytes;
  }

  /** Untrusted text for an error message or a log line: at most 64 characters, control characters replaced. */
  public static String printable(String untrusted) {
    String cut = untrusted.length() > 64 ? untrusted.substring(0, 64) + "…" : untrusted;
    return cut.replaceAll("\\p{Cntrl}", "?");
  }
}
