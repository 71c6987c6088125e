package dev.veilraft.crypto.tee;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

/**
 * The kernel UAPI structs of the TEE guest devices as JNA structures, field for field:
 * {@code include/uapi/linux/sev-guest.h}, {@code tdx-guest.h} and {@code nsm.h}. The sizes and
 * offsets below were checked with gcc against the linux-libc-dev 6.1 headers (sev-guest.h; the
 * tdx-guest.h and nsm.h structs transcribed from the kernel's UAPI), x86_64, and tests assert
 * that JNA lays the structures out the same way. The nested classes are public only because JNA
 * reads their fields by reflection.
 */
final class KernelAbi {
  /** sizeof(struct snp_report_req). */
  static final int SNP_REPORT_REQ_BYTES = 96;
  /** sizeof(struct snp_report_resp): the firmware's MSG_REPORT_RSP, padded. */
  static final int SNP_REPORT_RESP_BYTES = 4000;
  /** sizeof(struct snp_derived_key_req). */
  static final int SNP_DERIVED_KEY_REQ_BYTES = 32;
  /** sizeof(struct snp_derived_key_resp): the firmware's MSG_KEY_RSP, padded. */
  static final int SNP_DERIVED_KEY_RESP_BYTES = 64;
  /** sizeof(struct snp_guest_request_ioctl): u8, 7 bytes of padding, three u64. */
  static final int SNP_GUEST_REQUEST_IOCTL_BYTES = 32;
  /** sizeof(struct snp_ext_report_req): 96 + u64 + u32, padded to 8. */
  static final int SNP_EXT_REPORT_REQ_BYTES = 112;
  /** sizeof(struct tdx_report_req). */
  static final int TDX_REPORT_REQ_BYTES = 1088;
  /** sizeof(struct nsm_raw). */
  static final int NSM_RAW_BYTES = 32;

  /** snp_guest_request_ioctl.msg_version: the SNP firmware ABI's MSG_REPORT_REQ/MSG_KEY_REQ version 1. */
  static final byte SNP_MSG_VERSION = 1;
  /** exitinfo2 bits 63:32 hold the VMM error; 31:0 the firmware error. */
  static final int SNP_VMM_ERROR_SHIFT = 32;
  /** SNP_GUEST_VMM_ERR_INVALID_LEN: the certificate buffer is too small; certs_len says how large. */
  static final long SNP_VMM_ERROR_INVALID_LEN = 1;
  /** SNP_GUEST_VMM_ERR_BUSY: the host is busy. */
  static final long SNP_VMM_ERROR_BUSY = 2;
  /** Offsets in MSG_REPORT_RSP and MSG_KEY_RSP (SNP firmware ABI, 56860): status, size, then the payload. */
  static final int SNP_RSP_STATUS = 0;
  static final int SNP_RSP_REPORT_SIZE = 4;
  static final int SNP_RSP_PAYLOAD = 0x20;
  /** MSG_KEY_RSP carries a 32-byte key. */
  static final int SNP_DERIVED_KEY_BYTES = 32;
  static final int TDX_REPORT_DATA_BYTES = 64;
  static final int TDX_REPORT_BYTES = 1024;

  private KernelAbi() {}

  /** struct snp_report_req: user_data[64], vmpl, rsvd[28]. */
  @Structure.FieldOrder({"userData", "vmpl", "rsvd"})
  public static class SnpReportReq extends Structure {
    public byte[] userData = new byte[64];
    public int vmpl;
    public byte[] rsvd = new byte[28];

    public SnpReportReq() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** struct snp_ext_report_req: the report request, then where and how large the certificate buffer is. */
  @Structure.FieldOrder({"data", "certsAddress", "certsLen"})
  public static class SnpExtReportReq extends Structure {
    public SnpReportReq data = new SnpReportReq();
    public long certsAddress;
    public int certsLen;

    public SnpExtReportReq() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** struct snp_derived_key_req. */
  @Structure.FieldOrder({"rootKeySelect", "rsvd", "guestFieldSelect", "vmpl", "guestSvn", "tcbVersion"})
  public static class SnpDerivedKeyReq extends Structure {
    public int rootKeySelect;
    public int rsvd;
    public long guestFieldSelect;
    public int vmpl;
    public int guestSvn;
    public long tcbVersion;

    public SnpDerivedKeyReq() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /**
   * struct snp_guest_request_ioctl: msg_version, req_data and resp_data (user addresses), and the
   * exitinfo2 union (fw_error in the low, vmm_error in the high 32 bits).
   */
  @Structure.FieldOrder({"msgVersion", "reqData", "respData", "exitinfo2"})
  public static class SnpGuestRequestIoctl extends Structure {
    public byte msgVersion;
    public long reqData;
    public long respData;
    public long exitinfo2;

    public SnpGuestRequestIoctl() {
      super();
    }

    long fwError() {
      return exitinfo2 & 0xFFFF_FFFFL;
    }

    long vmmError() {
      return exitinfo2 >>> SNP_VMM_ERROR_SHIFT;
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** struct tdx_report_req: reportdata[64] in, tdreport[1024] out. */
  @Structure.FieldOrder({"reportData", "tdReport"})
  public static class TdxReportReq extends Structure {
    public byte[] reportData = new byte[TDX_REPORT_DATA_BYTES];
    public byte[] tdReport = new byte[TDX_REPORT_BYTES];

    public TdxReportReq() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** struct nsm_iovec: a user address and a length. */
  @Structure.FieldOrder({"addr", "len"})
  public static class NsmIovec extends Structure {
    public long addr;
    public long len;

    public NsmIovec() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** struct nsm_raw: the CBOR request and the response buffer, whose len the driver sets to what it wrote. */
  @Structure.FieldOrder({"request", "response"})
  public static class NsmRaw extends Structure {
    public NsmIovec request = new NsmIovec();
    public NsmIovec response = new NsmIovec();

    public NsmRaw() {
      super();
    }

    int offsetOf(String field) {
      return fieldOffset(field);
    }
  }

  /** The user-space address of native memory, as the UAPI's __u64 fields take it. */
  static long address(Pointer pointer) {
    return Pointer.nativeValue(pointer);
  }
}
