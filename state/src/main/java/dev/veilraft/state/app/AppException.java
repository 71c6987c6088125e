package dev.veilraft.state.app;

/**
 * An app refused a request or query. The message goes back to the client as it is, so it must be
 * the same on every replica and must not reveal other clients' data.
 */
public final class AppException extends Exception {
  private static final long serialVersionUID = 1L;

  public AppException(String message) {
    super(message, null, false, false);
  }
}
