package dev.veilraft.client;

/** A client call failed; {@link #code()} is the node's error code or a client-side one. */
public class ClientException extends Exception {
  private static final long serialVersionUID = 1L;
  private final String code;

  public ClientException(String code, String message) {
    super(code + ": " + message);
    this.code = code;
  }

  public ClientException(String code, String message, Throwable cause) {
    super(code + ": " + message, cause);
    this.code = code;
  }

  public String code() {
    return code;
  }
}
