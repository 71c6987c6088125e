package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.RejectReason;
import java.util.Arrays;

/**
 * The few fields of a TDX DCAP quote (v4 or v5) an attester needs to check what it got back:
 * REPORTDATA, to see that the quote answers this request, and MRTD || RTMR0..3, the measurement
 * policies compare. Offsets from shared/vectors/LAYOUTS.md (go-tdx-guest {@code abi}). Verifying a
 * quote is the verifier's job; this only locates fields, with bounds checks.
 */
final class TdxQuoteFields {
  static final int HEADER_BYTES = 0x30;
  static final int TEE_TYPE_OFFSET = 0x04;
  static final int TEE_TYPE_TDX = 0x81;
  static final int VERSION_4 = 4;
  static final int VERSION_5 = 5;
  /** v5 puts a u16 body type and a u32 body size between the header and the body. */
  static final int V5_BODY_DESCRIPTOR_BYTES = 6;
  static final int BODY_BYTES_TDX10 = 584;
  static final int BODY_MRTD = 0x88;
  static final int BODY_RTMR0 = 0x148;
  static final int BODY_REPORT_DATA = 0x208;
  static final int MR_BYTES = 48;
  static final int RTMR_COUNT = 4;
  static final int REPORT_DATA_BYTES = 64;
  /** MRTD and the four RTMRs: what {@code Policy.allowed_measurements} holds for TDX. */
  static final int MEASUREMENT_BYTES = MR_BYTES * (1 + RTMR_COUNT);

  private TdxQuoteFields() {}

  static byte[] reportData(byte[] quote) throws MalformedReportException {
    int body = bodyOffset(quote);
    return Arrays.copyOfRange(quote, body + BODY_REPORT_DATA, body + BODY_REPORT_DATA + REPORT_DATA_BYTES);
  }

  static byte[] measurement(byte[] quote) throws MalformedReportException {
    int body = bodyOffset(quote);
    byte[] out = new byte[MEASUREMENT_BYTES];
    System.arraycopy(quote, body + BODY_MRTD, out, 0, MR_BYTES);
    System.arraycopy(quote, body + BODY_RTMR0, out, MR_BYTES, MR_BYTES * RTMR_COUNT);
    return out;
  }

  private static int bodyOffset(byte[] quote) throws MalformedReportException {
    if (quote == null || quote.length < HEADER_BYTES + V5_BODY_DESCRIPTOR_BYTES + BODY_BYTES_TDX10) {
      throw malformed("TDX quote is " + (quote == null ? "missing" : quote.length + " bytes")
          + ", too short for a header and a TD report body");
    }
    int version = u16(quote, 0);
    int teeType = u16(quote, TEE_TYPE_OFFSET) | u16(quote, TEE_TYPE_OFFSET + 2) << 16;
    if (teeType != TEE_TYPE_TDX) {
      throw malformed("quote TEE type is 0x" + Integer.toHexString(teeType) + ", not TDX (0x81)");
    }
    if (version == VERSION_4) {
      return HEADER_BYTES;
    }
    if (version == VERSION_5) {
      return HEADER_BYTES + V5_BODY_DESCRIPTOR_BYTES;
    }
    throw new MalformedReportException(RejectReason.UNSUPPORTED_REPORT_VERSION,
        "TDX quote version " + version + " is not supported (4 and 5 are)");
  }

  private static int u16(byte[] b, int offset) {
    return (b[offset] & 0xFF) | (b[offset + 1] & 0xFF) << 8;
  }

  private static MalformedReportException malformed(String message) {
    return new MalformedReportException(RejectReason.MALFORMED, message);
  }
}
