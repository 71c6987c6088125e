package dev.veilraft.node;

/** The node could not start, join or serve; the message says what failed and why. */
public class NodeException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public NodeException(String code, String message) {
    super(message);
    this.code = code;
  }

  public NodeException(String code, String message, Throwable cause) {
    super(message, cause);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
