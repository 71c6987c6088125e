package dev.veilraft.node.api;

/** A request failed; becomes an HTTP status with an ApiError{code, message} body. */
public class ApiException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int status;
  private final String code;

  public ApiException(int status, String code, String message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }
}
