package dev.veilraft.membership;

/** A genesis document is malformed or invalid; the message names the field and the reason. */
public class GenesisException extends Exception {
  private static final long serialVersionUID = 1L;

  public GenesisException(String message) {
    super(message);
  }

  public GenesisException(String message, Throwable cause) {
    super(message, cause);
  }
}
