package dev.veilraft.crypto.tee;

import com.sun.jna.Pointer;

/**
 * The three system calls device access needs. Production goes through libc with JNA
 * ({@link LibcDeviceIo}); tests put an emulation of the kernel driver here, which reads and writes
 * the same native memory the real driver would.
 */
interface DeviceIo {
  /** open(path, O_RDWR | O_CLOEXEC); the file descriptor. */
  int open(String path) throws ErrnoException;

  /** ioctl(fd, request, arg); its non-negative result. */
  int ioctl(int fd, long request, Pointer arg) throws ErrnoException;

  void close(int fd) throws ErrnoException;
}
