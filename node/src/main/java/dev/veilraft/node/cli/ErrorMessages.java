package dev.veilraft.node.cli;

/**
 * One line that names what went wrong for any exception, also for those without a message: the
 * JDK's HTTP client, for one, throws {@code ConnectException} with a null message when a node
 * refuses or drops a connection (e.g. the leader was killed during a governance request), which
 * {@code "error: " + e.getMessage()} printed as "null".
 */
public final class ErrorMessages {
  /** Causes followed to find one with a message (cause chains are short; cycles are cut). */
  static final int CAUSES_MAX = 4;

  /**
   * The exception's message when it has one; else its type, followed by the first cause (at most
   * {@link #CAUSES_MAX} deep) with a message, or by the causes' types.
   */
  public static String describe(Throwable e) {
    if (e == null) {
      return "unknown error";
    }
    if (hasMessage(e)) {
      return e.getMessage();
    }
    StringBuilder text = new StringBuilder(e.getClass().getSimpleName()).append(" (no message");
    Throwable cause = e.getCause();
    for (int depth = 0; cause != null && cause != e && depth < CAUSES_MAX; depth++) {
      text.append(", caused by ").append(cause.getClass().getSimpleName());
      if (hasMessage(cause)) {
        text.append(": ").append(cause.getMessage());
        break;
      }
      cause = cause.getCause();
    }
    return text.append(')').toString();
  }

  private static boolean hasMessage(Throwable e) {
    return e.getMessage() != null && !e.getMessage().isBlank() && !e.getMessage().equals("null");
  }

  private ErrorMessages() {}
}
