package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.SnpEvidenceVerifier;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.proto.Evidence;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SevGuestDeviceTest {
  private static final Path DEVICE = Path.of("/dev/sev-guest");

  private static byte[] reportData(int fill) {
    byte[] data = new byte[64];
    Arrays.fill(data, (byte) fill);
    return data;
  }

  @Test
  void getsAReportThroughTheUapiLayout() throws Exception {
    // Proves SNP_GET_REPORT passes user data and VMPL at the UAPI offsets and takes the report from MSG_REPORT_RSP at 0x20.
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), new byte[0]);
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      byte[] report = device.report(reportData(0x11), 2);
      assertThat(driver.requests).containsExactly(Ioctl.SNP_GET_REPORT);
      assertThat(driver.lastVmpl).isEqualTo(2);
      assertThat(SnpReport.parse(report).reportData()).isEqualTo(reportData(0x11));
    }
  }

  @Test
  void growsTheCertificateBufferWhenTheKernelAsksForMore() throws Exception {
    // Proves an extended report whose certificates exceed the first buffer is retried with the size the kernel wrote to certs_len.
    byte[] table = Arrays.copyOf(ConfigfsTsmAttesterTest.milanTable(), 3 * 4096);
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), table);
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      SevGuestDevice.ExtendedReport extended = device.extendedReport(reportData(0x22), 0);
      assertThat(driver.certsLengthsOffered).containsExactly(SevGuestDevice.CERTS_BYTES_INITIAL, 3 * 4096);
      assertThat(driver.requests).containsOnly(Ioctl.SNP_GET_EXT_REPORT);
      assertThat(SnpCertificateTable.parse(extended.certificates()).entries()).hasSize(3);
      assertThat(extended.report()).hasSize(SnpReport.BYTES);
    }
  }

  @Test
  void refusesCertificateSizesBeyondTheBound() throws Exception {
    // Proves a kernel asking for more than CERTS_BYTES_MAX is refused with the sizes named.
    byte[] huge = new byte[SevGuestDevice.CERTS_BYTES_MAX + 4096];
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), huge);
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      assertThatThrownBy(() -> device.extendedReport(reportData(0), 0))
          .hasMessageContaining("need " + huge.length + " bytes").hasMessageContaining("bound of");
    }
  }

  @Test
  void derivesAKeyWithTheRequestedFields() throws Exception {
    // Proves SNP_GET_DERIVED_KEY lays out root key, field mask, VMPL, SVN and TCB at the UAPI offsets and returns the 32-byte key.
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), new byte[0]);
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      SnpDerivedKeyRequest request = new SnpDerivedKeyRequest(SnpDerivedKeyRequest.RootKey.VMRK,
          SnpDerivedKeyRequest.FIELD_MEASUREMENT | SnpDerivedKeyRequest.FIELD_TCB_VERSION, 1, 3, 0x0800000000000003L);
      byte[] key = device.derivedKey(request);
      assertThat(key).hasSize(32).containsOnly(0x5A);
      assertThat(driver.lastDerivedKeyFields).containsExactly(1, 0x28, 1, 3, 0x0800000000000003L);
      assertThatThrownBy(() -> new SnpDerivedKeyRequest(SnpDerivedKeyRequest.RootKey.VCEK, 1L << 6, 0, 0, 0))
          .hasMessageContaining("unknown bits");
    }
  }

  @Test
  void namesFirmwareAndVmmErrors() throws Exception {
    // Proves a firmware status, and an ioctl failure with the host busy, are reported with their codes and the device.
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), new byte[0]);
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      driver.firmwareStatus = 0x16;
      assertThatThrownBy(() -> device.report(reportData(0), 0)).isInstanceOf(AttestationException.class)
          .hasMessageContaining("status 0x16").hasMessageContaining("invalid parameters");
      driver.failWithErrno = Errno.EIO;
      driver.failWithExitinfo2 = 2L << 32;
      assertThatThrownBy(() -> device.extendedReport(reportData(0), 0))
          .hasMessageContaining("SNP_GET_EXT_REPORT on " + DEVICE + " failed: errno 5 (EIO")
          .hasMessageContaining("VMM error 0x2 (host busy");
    }
  }

  @Test
  void attesterProducesEvidenceTheAmdVerifierAccepts() throws Exception {
    // Proves SevGuestAttester turns an extended report and the host's table into verifiable evidence bound to the report data.
    byte[] vectorReport = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    byte[] table = Arrays.copyOf(ConfigfsTsmAttesterTest.milanTable(), 3 * 4096);
    FakeSevGuestDriver driver = new FakeSevGuestDriver(vectorReport, table);
    try (SevGuestAttester attester = SevGuestAttester.open(DEVICE, SnpEndorsements.tableOnly(), 0, driver)) {
      Evidence evidence = attester.attest(SnpReport.parse(vectorReport).reportData());
      assertThat(evidence.getReport().toByteArray()).isEqualTo(vectorReport);
      AttestationResult verdict = SnpEvidenceVerifier.forAmd().verifyPlatform(evidence, Instant.parse("2026-01-01T00:00:00Z"));
      assertThat(verdict.accepted()).as(verdict.detail()).isTrue();
      assertThat(attester.measurement()).isEqualTo(SnpReport.parse(vectorReport).measurement());
    }
  }

  @Test
  void realLibcNamesTheDeviceAndErrno() throws Exception {
    // Proves the JNA path for real: a missing device fails with ENOENT, and an ioctl on /dev/null with ENOTTY, both named.
    assumeTrue(LibcDeviceIo.supported(), "needs Linux on x86_64 or arm64");
    Path missing = Path.of("/dev/veilraft-no-such-sev-guest");
    assertThatThrownBy(() -> SevGuestDevice.open(missing)).isInstanceOf(AttestationException.class)
        .hasMessageContaining(missing.toString()).hasMessageContaining("errno 2 (ENOENT")
        .hasMessageContaining("not an SEV-SNP guest");
    try (SevGuestDevice notSev = SevGuestDevice.open(Path.of("/dev/null"))) {
      assertThatThrownBy(() -> notSev.report(reportData(0), 0))
          .hasMessageContaining("SNP_GET_REPORT on /dev/null failed: errno 25 (ENOTTY");
    }
    try (TdxGuestDevice notTdx = TdxGuestDevice.open(Path.of("/dev/null"))) {
      assertThatThrownBy(() -> notTdx.tdReport(reportData(0))).hasMessageContaining("errno 25 (ENOTTY");
    }
    try (NsmDevice notNsm = NsmDevice.open(Path.of("/dev/null"))) {
      assertThatThrownBy(() -> notNsm.attestation(reportData(0), null, null)).hasMessageContaining("errno 25 (ENOTTY");
    }
  }
}
