package dev.veilraft.simulator.cluster;

/** A simulated cluster could not do what was asked; the message says which node and why. */
public final class SimException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public SimException(String code, String message) {
    super(code + " " + message);
    this.code = code;
  }

  public SimException(String code, String message, Throwable cause) {
    super(code + " " + message, cause);
    this.code = code;
  }

  /** The node's failure code (e.g. MEASUREMENT_NOT_ALLOWED) or the simulator's own. */
  public String code() {
    return code;
  }
}
