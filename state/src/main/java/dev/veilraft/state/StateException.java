package dev.veilraft.state;

/**
 * The store could not be read or written: an I/O error, or data that does not authenticate
 * (a file altered by the host, a wrong storage key). The message names the file or record.
 */
public class StateException extends Exception {
  private static final long serialVersionUID = 1L;
  private final boolean diskFailure;

  public StateException(String message) {
    this(message, null, false);
  }

  public StateException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private StateException(String message, Throwable cause, boolean diskFailure) {
    super(message, cause);
    this.diskFailure = diskFailure;
  }

  /**
   * The disk refused a read or write (full, failing, gone), as opposed to data that does not
   * authenticate or parse: nothing says the store is damaged, and what was committed before is
   * intact. A process that restarts once the disk is fixed resumes where it stopped.
   */
  public static StateException diskFailure(String message, Throwable cause) {
    return new StateException(message, cause, true);
  }

  /** Whether this is a {@link #diskFailure}: the disk refused, the data is not known to be damaged. */
  public boolean isDiskFailure() {
    return diskFailure;
  }
}
