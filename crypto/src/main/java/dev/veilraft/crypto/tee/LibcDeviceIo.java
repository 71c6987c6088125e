package dev.veilraft.crypto.tee;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.util.Locale;
import java.util.Set;

/**
 * {@link DeviceIo} on the C library through JNA. libc is loaded on first use, so code that never
 * touches a device never loads native code; JNA clears errno before each call and throws
 * {@link LastErrorException} when the call sets it.
 */
final class LibcDeviceIo implements DeviceIo {
  static final int O_RDWR = 0x2;
  static final int O_CLOEXEC = 0x80000;
  /** Architectures whose ioctl encoding and errno values {@link Ioctl} and {@link Errno} match. */
  private static final Set<String> ARCHITECTURES = Set.of("amd64", "x86_64", "aarch64");

  static final LibcDeviceIo INSTANCE = new LibcDeviceIo();

  /** The libc calls; public because JNA builds a proxy of it. */
  public interface CLibrary extends Library {
    int open(String path, int flags) throws LastErrorException;

    int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;
  }

  private static final class Holder {
    static final CLibrary LIBC = Native.load(Platform.C_LIBRARY_NAME, CLibrary.class);
  }

  private LibcDeviceIo() {}

  /** Whether this JVM runs on Linux on an architecture whose ioctl layout this package knows. */
  static boolean supported() {
    return Platform.isLinux() && ARCHITECTURES.contains(System.getProperty("os.arch", "").toLowerCase(Locale.ROOT));
  }

  private static CLibrary libc(String call) throws ErrnoException {
    if (!supported()) {
      throw new ErrnoException(call + " (device access needs Linux on x86_64 or arm64, this is "
          + System.getProperty("os.name") + " on " + System.getProperty("os.arch") + ")", Errno.ENODEV);
    }
    try {
      return Holder.LIBC;
    } catch (LinkageError e) {
      // JNA's native stub could not load (for example a noexec temporary directory): report, do not crash.
      throw new ErrnoException(call + " (JNA could not load the C library: " + e + ")", Errno.ENODEV);
    }
  }

  @Override
  public int open(String path) throws ErrnoException {
    try {
      return libc("open").open(path, O_RDWR | O_CLOEXEC);
    } catch (LastErrorException e) {
      throw new ErrnoException("open(" + path + ")", e.getErrorCode());
    }
  }

  @Override
  public int ioctl(int fd, long request, Pointer arg) throws ErrnoException {
    try {
      return libc("ioctl").ioctl(fd, new NativeLong(request), arg);
    } catch (LastErrorException e) {
      throw new ErrnoException("ioctl(0x" + Long.toHexString(request) + ")", e.getErrorCode());
    }
  }

  @Override
  public void close(int fd) throws ErrnoException {
    try {
      libc("close").close(fd);
    } catch (LastErrorException e) {
      throw new ErrnoException("close", e.getErrorCode());
    }
  }
}
