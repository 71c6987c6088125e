package dev.veilraft.membership;

/** A join step failed; {@link #code()} is a JoinReason or RejectReason name. */
public class JoinException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public JoinException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
