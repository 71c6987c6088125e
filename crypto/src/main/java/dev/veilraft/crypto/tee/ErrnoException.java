package dev.veilraft.crypto.tee;

/** A system call failed with {@link #errno()}. */
final class ErrnoException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int errno;

  ErrnoException(String call, int errno) {
    super(call + " failed: " + Errno.describe(errno));
    this.errno = errno;
  }

  int errno() {
    return errno;
  }
}
