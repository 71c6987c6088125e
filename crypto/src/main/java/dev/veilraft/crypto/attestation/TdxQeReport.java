package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.util.Arrays;

/**
 * The Quoting Enclave's SGX REPORT body (384 bytes) inside a TDX quote's certification data: the
 * PCK key signs it, and its report data binds the quote's attestation key. Layout as in the SGX
 * REPORTBODY (shared/vectors/LAYOUTS.md); integers little-endian. Immutable.
 */
public final class TdxQeReport {
  public static final int BYTES = 384;

  static final int OFFSET_CPU_SVN = 0x00;
  static final int OFFSET_MISC_SELECT = 0x10;
  static final int OFFSET_ATTRIBUTES = 0x30;
  static final int OFFSET_MR_ENCLAVE = 0x40;
  static final int OFFSET_MR_SIGNER = 0x80;
  static final int OFFSET_ISV_PROD_ID = 0x100;
  static final int OFFSET_ISV_SVN = 0x102;
  static final int OFFSET_REPORT_DATA = 0x140;

  static final int CPU_SVN_BYTES = 16;
  static final int MISC_SELECT_BYTES = 4;
  static final int ATTRIBUTES_BYTES = 16;
  static final int MR_BYTES = 32;
  static final int REPORT_DATA_BYTES = 64;

  private final byte[] bytes;

  private TdxQeReport(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Wraps a copy of exactly {@value #BYTES} bytes; the quote parser has checked the length. */
  static TdxQeReport of(byte[] report) {
    Check.length(report, BYTES, "QE report");
    return new TdxQeReport(report.clone());
  }

  public byte[] toByteArray() {
    return bytes.clone();
  }

  public byte[] cpuSvn() {
    return slice(OFFSET_CPU_SVN, CPU_SVN_BYTES);
  }

  /** MISCSELECT as stored (4 bytes, little-endian), compared bytewise under Intel's mask. */
  public byte[] miscSelect() {
    return slice(OFFSET_MISC_SELECT, MISC_SELECT_BYTES);
  }

  public byte[] attributes() {
    return slice(OFFSET_ATTRIBUTES, ATTRIBUTES_BYTES);
  }

  public byte[] mrEnclave() {
    return slice(OFFSET_MR_ENCLAVE, MR_BYTES);
  }

  public byte[] mrSigner() {
    return slice(OFFSET_MR_SIGNER, MR_BYTES);
  }

  public int isvProdId() {
    return u16(OFFSET_ISV_PROD_ID);
  }

  /** The QE's security version, which Intel's QE identity maps to a TCB status. */
  public int isvSvn() {
    return u16(OFFSET_ISV_SVN);
  }

  public byte[] reportData() {
    return slice(OFFSET_REPORT_DATA, REPORT_DATA_BYTES);
  }

  private int u16(int offset) {
    return LittleEndian.u16(bytes, offset);
  }

  private byte[] slice(int offset, int length) {
    return Arrays.copyOfRange(bytes, offset, offset + length);
  }

  @Override
  public String toString() {
    return "TdxQeReport{mrSigner=" + Hashes.shortHex(mrSigner(), 8) + ", isvProdId=" + isvProdId()
        + ", isvSvn=" + isvSvn() + "}";
  }
}
