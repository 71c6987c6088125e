package dev.veilraft.crypto.tee;

import java.util.Map;

/**
 * Linux errno values this package meets (x86_64 and arm64 share them, asm-generic/errno*.h), for
 * messages an operator can act on.
 */
final class Errno {
  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int EIO = 5;
  static final int ENXIO = 6;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int ENOMEM = 12;
  static final int EACCES = 13;
  static final int EFAULT = 14;
  static final int EBUSY = 16;
  static final int ENODEV = 19;
  static final int EINVAL = 22;
  static final int ENOTTY = 25;
  static final int ENOSPC = 28;
  static final int EMSGSIZE = 90;
  static final int ETIMEDOUT = 110;

  private static final Map<Integer, String> NAMES = Map.ofEntries(
      Map.entry(EPERM, "EPERM, operation not permitted"),
      Map.entry(ENOENT, "ENOENT, no such file or directory"),
      Map.entry(EINTR, "EINTR, interrupted system call"),
      Map.entry(EIO, "EIO, input/output error"),
      Map.entry(ENXIO, "ENXIO, no such device or address"),
      Map.entry(EBADF, "EBADF, bad file descriptor"),
      Map.entry(EAGAIN, "EAGAIN, try again"),
      Map.entry(ENOMEM, "ENOMEM, out of memory"),
      Map.entry(EACCES, "EACCES, permission denied"),
      Map.entry(EFAULT, "EFAULT, bad address"),
      Map.entry(EBUSY, "EBUSY, device or resource busy"),
      Map.entry(ENODEV, "ENODEV, no such device"),
      Map.entry(EINVAL, "EINVAL, invalid argument"),
      Map.entry(ENOTTY, "ENOTTY, inappropriate ioctl for device"),
      Map.entry(ENOSPC, "ENOSPC, no space left"),
      Map.entry(EMSGSIZE, "EMSGSIZE, message too long"),
      Map.entry(ETIMEDOUT, "ETIMEDOUT, timed out"));

  private Errno() {}

  /** "errno 25 (ENOTTY, inappropriate ioctl for device)". */
  static String describe(int errno) {
    String name = NAMES.get(errno);
    return "errno " + errno + (name == null ? "" : " (" + name + ")");
  }
}
