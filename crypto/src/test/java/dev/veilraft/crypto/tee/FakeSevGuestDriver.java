package dev.veilraft.crypto.tee;

import com.sun.jna.Pointer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Plays the kernel's sev-guest driver and the AMD secure processor behind it, on the raw memory the
 * ioctl argument points at, using the UAPI offsets (not the JNA structures): a report is a real
 * report with the requested user data written in, the certificate buffer gets the host's table,
 * and a too-small buffer fails as the kernel fails it (EIO, VMM error INVALID_LEN, certs_len set).
 */
final class FakeSevGuestDriver implements DeviceIo {
  static final int FD = 7;
  private final byte[] report;
  private final byte[] certificates;
  final List<Long> requests = new ArrayList<>();
  final List<Integer> certsLengthsOffered = new ArrayList<>();
  long firmwareStatus;
  int failWithErrno;
  long failWithExitinfo2;
  byte[] lastUserData;
  int lastVmpl;
  long[] lastDerivedKeyFields;
  /** The byte the derived key is filled with: another value plays another chip or measurement. */
  byte derivedKeyFill = 0x5A;

  /** {@code certificates} is the host's table padded as the host pads it (page multiples). */
  FakeSevGuestDriver(byte[] report, byte[] certificates) {
    this.report = report.clone();
    this.certificates = certificates.clone();
  }

  @Override
  public int open(String path) {
    return FD;
  }

  @Override
  public int ioctl(int fd, long request, Pointer arg) throws ErrnoException {
    requests.add(request);
    if (fd != FD) {
      throw new ErrnoException("ioctl", Errno.EBADF);
    }
    if (arg.getByte(0) != 1) {
      throw new ErrnoException("ioctl", Errno.EINVAL);
    }
    Pointer req = new Pointer(arg.getLong(8));
    Pointer resp = new Pointer(arg.getLong(16));
    if (failWithErrno != 0) {
      arg.setLong(24, failWithExitinfo2);
      throw new ErrnoException("ioctl", failWithErrno);
    }
    if (request == Ioctl.SNP_GET_REPORT || request == Ioctl.SNP_GET_EXT_REPORT) {
      lastUserData = req.getByteArray(0, 64);
      lastVmpl = req.getInt(64);
      if (request == Ioctl.SNP_GET_EXT_REPORT) {
        long certsAddress = req.getLong(96);
        int certsLen = req.getInt(104);
        certsLengthsOffered.add(certsLen);
        if (certificates.length > certsLen) {
          req.setInt(104, certificates.length);
          arg.setLong(24, 1L << 32);
          throw new ErrnoException("ioctl", Errno.EIO);
        }
        new Pointer(certsAddress).write(0, certificates, 0, certificates.length);
      }
      resp.setInt(0, (int) firmwareStatus);
      resp.setInt(4, report.length);
      byte[] out = report.clone();
      System.arraycopy(lastUserData, 0, out, 0x50, 64);
      resp.write(0x20, out, 0, out.length);
      return 0;
    }
    if (request == Ioctl.SNP_GET_DERIVED_KEY) {
      lastDerivedKeyFields = new long[] {req.getInt(0), req.getLong(8), req.getInt(16), req.getInt(20), req.getLong(24)};
      resp.setInt(0, (int) firmwareStatus);
      byte[] key = new byte[32];
      Arrays.fill(key, derivedKeyFill);
      resp.write(0x20, key, 0, key.length);
      return 0;
    }
    throw new ErrnoException("ioctl", Errno.ENOTTY);
  }

  @Override
  public void close(int fd) {}
}
