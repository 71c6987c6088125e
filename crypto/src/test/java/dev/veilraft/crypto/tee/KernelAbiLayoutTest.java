package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The JNA structures against the kernel UAPI. Expected sizes and offsets were printed by a C
 * program compiled with gcc against linux-libc-dev 6.1's {@code linux/sev-guest.h} (x86_64); the
 * tdx-guest.h and nsm.h structs were declared in that program as the kernel UAPI defines them.
 */
class KernelAbiLayoutTest {
  @Test
  void snpReportRequestMatchesSevGuestH() {
    // Proves struct snp_report_req is 96 bytes: user_data at 0, vmpl at 64, rsvd at 68.
    KernelAbi.SnpReportReq s = new KernelAbi.SnpReportReq();
    assertThat(s.size()).isEqualTo(KernelAbi.SNP_REPORT_REQ_BYTES).isEqualTo(96);
    assertThat(s.offsetOf("userData")).isZero();
    assertThat(s.offsetOf("vmpl")).isEqualTo(64);
    assertThat(s.offsetOf("rsvd")).isEqualTo(68);
  }

  @Test
  void snpExtendedReportRequestMatchesSevGuestH() {
    // Proves struct snp_ext_report_req is 112 bytes: the report request at 0, certs_address at 96, certs_len at 104.
    KernelAbi.SnpExtReportReq s = new KernelAbi.SnpExtReportReq();
    assertThat(s.size()).isEqualTo(KernelAbi.SNP_EXT_REPORT_REQ_BYTES).isEqualTo(112);
    assertThat(s.offsetOf("data")).isZero();
    assertThat(s.offsetOf("certsAddress")).isEqualTo(96);
    assertThat(s.offsetOf("certsLen")).isEqualTo(104);
  }

  @Test
  void snpDerivedKeyRequestMatchesSevGuestH() {
    // Proves struct snp_derived_key_req is 32 bytes with its six fields at 0, 4, 8, 16, 20 and 24.
    KernelAbi.SnpDerivedKeyReq s = new KernelAbi.SnpDerivedKeyReq();
    assertThat(s.size()).isEqualTo(KernelAbi.SNP_DERIVED_KEY_REQ_BYTES).isEqualTo(32);
    assertThat(s.offsetOf("rootKeySelect")).isZero();
    assertThat(s.offsetOf("rsvd")).isEqualTo(4);
    assertThat(s.offsetOf("guestFieldSelect")).isEqualTo(8);
    assertThat(s.offsetOf("vmpl")).isEqualTo(16);
    assertThat(s.offsetOf("guestSvn")).isEqualTo(20);
    assertThat(s.offsetOf("tcbVersion")).isEqualTo(24);
  }

  @Test
  void snpGuestRequestMatchesSevGuestH() {
    // Proves struct snp_guest_request_ioctl is 32 bytes: msg_version at 0, then 7 bytes of padding, req_data 8, resp_data 16, exitinfo2 24.
    KernelAbi.SnpGuestRequestIoctl s = new KernelAbi.SnpGuestRequestIoctl();
    assertThat(s.size()).isEqualTo(KernelAbi.SNP_GUEST_REQUEST_IOCTL_BYTES).isEqualTo(32);
    assertThat(s.offsetOf("msgVersion")).isZero();
    assertThat(s.offsetOf("reqData")).isEqualTo(8);
    assertThat(s.offsetOf("respData")).isEqualTo(16);
    assertThat(s.offsetOf("exitinfo2")).isEqualTo(24);
    s.exitinfo2 = 0x0000_0002_0000_0016L;
    assertThat(s.vmmError()).isEqualTo(2);
    assertThat(s.fwError()).isEqualTo(0x16);
  }

  @Test
  void tdxReportRequestMatchesTdxGuestH() {
    // Proves struct tdx_report_req is 1088 bytes: reportdata at 0, tdreport at 64.
    KernelAbi.TdxReportReq s = new KernelAbi.TdxReportReq();
    assertThat(s.size()).isEqualTo(KernelAbi.TDX_REPORT_REQ_BYTES).isEqualTo(1088);
    assertThat(s.offsetOf("reportData")).isZero();
    assertThat(s.offsetOf("tdReport")).isEqualTo(64);
  }

  @Test
  void nsmRawMatchesNsmH() {
    // Proves struct nsm_raw is two 16-byte nsm_iovecs: request at 0, response at 16 (its len at 24).
    KernelAbi.NsmRaw s = new KernelAbi.NsmRaw();
    assertThat(s.size()).isEqualTo(KernelAbi.NSM_RAW_BYTES).isEqualTo(32);
    assertThat(s.offsetOf("request")).isZero();
    assertThat(s.offsetOf("response")).isEqualTo(16);
    KernelAbi.NsmIovec iovec = new KernelAbi.NsmIovec();
    assertThat(iovec.size()).isEqualTo(16);
    assertThat(iovec.offsetOf("addr")).isZero();
    assertThat(iovec.offsetOf("len")).isEqualTo(8);
  }
}
