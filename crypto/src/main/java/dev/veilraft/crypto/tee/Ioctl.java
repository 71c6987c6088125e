package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Check;

/**
 * Linux ioctl request numbers in the asm-generic encoding ({@code include/uapi/asm-generic/ioctl.h}),
 * which x86_64 and arm64 use: bits 0-7 the command number, 8-15 the type (a character naming the
 * driver), 16-29 the size of the argument struct, 30-31 the direction (1 = write to the kernel,
 * 2 = read from it). Other architectures (powerpc, mips, sparc, alpha) lay the bits out differently;
 * {@link LibcDeviceIo} refuses to run there.
 */
public final class Ioctl {
  static final int NR_BITS = 8;
  static final int TYPE_BITS = 8;
  static final int SIZE_BITS = 14;
  static final int NR_SHIFT = 0;
  static final int TYPE_SHIFT = NR_SHIFT + NR_BITS;
  static final int SIZE_SHIFT = TYPE_SHIFT + TYPE_BITS;
  static final int DIR_SHIFT = SIZE_SHIFT + SIZE_BITS;
  static final long DIR_WRITE = 1;
  static final long DIR_READ = 2;

  /** SNP_GET_REPORT = _IOWR('S', 0x0, struct snp_guest_request_ioctl) = 0xc0205300. */
  public static final long SNP_GET_REPORT = iowr('S', 0x0, KernelAbi.SNP_GUEST_REQUEST_IOCTL_BYTES);
  /** SNP_GET_DERIVED_KEY = _IOWR('S', 0x1, struct snp_guest_request_ioctl) = 0xc0205301. */
  public static final long SNP_GET_DERIVED_KEY = iowr('S', 0x1, KernelAbi.SNP_GUEST_REQUEST_IOCTL_BYTES);
  /** SNP_GET_EXT_REPORT = _IOWR('S', 0x2, struct snp_guest_request_ioctl) = 0xc0205302. */
  public static final long SNP_GET_EXT_REPORT = iowr('S', 0x2, KernelAbi.SNP_GUEST_REQUEST_IOCTL_BYTES);
  /** TDX_CMD_GET_REPORT0 = _IOWR('T', 1, struct tdx_report_req) = 0xc4405401. */
  public static final long TDX_CMD_GET_REPORT0 = iowr('T', 0x1, KernelAbi.TDX_REPORT_REQ_BYTES);
  /** NSM_IOCTL_RAW = _IOWR(0x0A, 0x0, struct nsm_raw) = 0xc0200a00. */
  public static final long NSM_IOCTL_RAW = iowr(0x0A, 0x0, KernelAbi.NSM_RAW_BYTES);

  private Ioctl() {}

  /** _IOWR(type, nr, size): the argument is read and written by the kernel. */
  public static long iowr(int type, int nr, int size) {
    return encode(DIR_READ | DIR_WRITE, type, nr, size);
  }

  /** _IOR(type, nr, size): the kernel writes the argument. */
  public static long ior(int type, int nr, int size) {
    return encode(DIR_READ, type, nr, size);
  }

  /** _IOW(type, nr, size): the kernel reads the argument. */
  public static long iow(int type, int nr, int size) {
    return encode(DIR_WRITE, type, nr, size);
  }

  private static long encode(long dir, int type, int nr, int size) {
    Check.argument(type >= 0 && type < 1 << TYPE_BITS, "ioctl type must fit in 8 bits, got " + type);
    Check.argument(nr >= 0 && nr < 1 << NR_BITS, "ioctl number must fit in 8 bits, got " + nr);
    Check.argument(size >= 0 && size < 1 << SIZE_BITS, "ioctl argument size must fit in 14 bits, got " + size);
    return dir << DIR_SHIFT | (long) size << SIZE_SHIFT | (long) type << TYPE_SHIFT | (long) nr << NR_SHIFT;
  }
}
