package dev.veilraft.crypto.attestation;

/**
 * Unsigned little-endian integers of the hardware formats (SEV-SNP reports, TDX quotes and QE
 * reports). Callers check bounds first; these only read.
 */
final class LittleEndian {
  private LittleEndian() {}

  static int u16(byte[] b, int offset) {
    return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8;
  }

  static long u32(byte[] b, int offset) {
    return (b[offset] & 0xFFL) | (b[offset + 1] & 0xFFL) << 8 | (b[offset + 2] & 0xFFL) << 16
        | (b[offset + 3] & 0xFFL) << 24;
  }

  static long u64(byte[] b, int offset) {
    return u32(b, offset) | u32(b, offset + 4) << 32;
  }
}
