package dev.veilraft.state;

/**
 * The store could not be read or written: an I/O error, or data that does not authenticate
 * (a file altered by the host, a wrong storage key). The message names the file or record.
 */
public class StateException extends Exception {
  private static final long serialVersionUID = 1L;

  public StateException(String message) {
    super(message);
  }

  public StateException(String message, Throwable cause) {
    super(message, cause);
  }
}
