package dev.veilraft.apps;

/** The replicated app refused a request; the message is the app's own (deterministic) reason. */
public final class AppRejectedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AppRejectedException(String message) {
    super(message);
  }
}
