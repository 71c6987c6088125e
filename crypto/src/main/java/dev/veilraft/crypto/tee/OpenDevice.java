package dev.veilraft.crypto.tee;

import com.sun.jna.Pointer;
import dev.veilraft.crypto.attestation.AttestationException;
import java.nio.file.Path;
import java.util.Objects;

/** An open device node: its path, the system calls behind it and the descriptor. Closing is idempotent. */
final class OpenDevice implements AutoCloseable {
  private final Path path;
  private final DeviceIo io;
  private int fd;

  private OpenDevice(Path path, DeviceIo io, int fd) {
    this.path = path;
    this.io = io;
    this.fd = fd;
  }

  /**
   * Opens {@code path} read-write; a failure names {@code what}, the path and errno, and for a
   * missing node adds {@code missingHint} (why this machine may have none).
   */
  static OpenDevice open(Path path, DeviceIo io, String what, String missingHint) throws AttestationException {
    Objects.requireNonNull(path, "device path");
    try {
      return new OpenDevice(path, io, io.open(path.toString()));
    } catch (ErrnoException e) {
      String hint = switch (e.errno()) {
        case Errno.ENOENT -> "; " + missingHint;
        case Errno.EACCES, Errno.EPERM -> "; the device needs root (or a group with access to it)";
        default -> "";
      };
      throw new AttestationException("cannot open the " + what + " " + path + ": " + Errno.describe(e.errno()) + hint,
          e);
    }
  }

  Path path() {
    return path;
  }

  synchronized int ioctl(long request, Pointer arg) throws ErrnoException {
    if (fd < 0) {
      throw new ErrnoException("ioctl on closed " + path, Errno.EBADF);
    }
    return io.ioctl(fd, request, arg);
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      try {
        io.close(fd);
      } catch (ErrnoException e) {
        // Nothing to recover: the descriptor is gone either way.
      }
      fd = -1;
    }
  }
}
