package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs and this machine lacks (the shared vectors, Conscrypt's native library): the
 * test is skipped with the reason outside CI, and fails in CI, which must run it.
 */
public final class NeededInCi {
  private NeededInCi() {}

  /** Fails with {@code message} and {@code inCi} when {@code CI} is set (and not "false"), else skips with {@code message}. */
  public static void missing(String message, String inCi) {
    if (isCi()) {
      fail(message + "; " + inCi);
    }
    Assumptions.assumeTrue(false, message);
  }

  /** Whether this run is CI's: the environment variable {@code CI} set, not blank and not "false". */
  public static boolean isCi() {
    String ci = System.getenv("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }
}
