package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Real AMD SEV-SNP evidence from shared/vectors (see MANIFEST.md section 2) through the SEV_SNP path. */
class SnpRealVectorsTest {
  static final String MILAN = "sev-snp/amd-ark-ask/ask_ark_milan.pem";
  static final String MILAN_VLEK = "sev-snp/amd-ark-ask/ask_ark_milan_vlek.pem";
  static final Instant IN_2026 = Instant.parse("2026-01-01T00:00:00Z");
  static final Instant IN_2025 = Instant.parse("2025-06-01T00:00:00Z");
  static final AttestationVerifier verifier = new AttestationVerifier();

  /** A report and its chain; certificates as "file#index" (index into a PEM file), at an instant inside validity. */
  record Vector(String name, String report, int offset, String leaf, String ask, String ark, Instant at) {
    @Override
    public String toString() {
      return name;
    }

    byte[] reportBytes() throws IOException {
      byte[] file = SharedVectors.read(report);
      return Arrays.copyOfRange(file, offset, offset + SnpReport.BYTES);
    }

    Evidence evidence() throws IOException {
      return evidence(reportBytes());
    }

    Evidence evidence(byte[] reportBytes) throws IOException {
      return Evidence.newBuilder().setPlatform(Platform.SEV_SNP).setReport(ByteString.copyFrom(reportBytes))
          .addCertChain(ByteString.copyFrom(SharedVectors.certificate(leaf)))
          .addCertChain(ByteString.copyFrom(SharedVectors.certificate(ask)))
          .addCertChain(ByteString.copyFrom(SharedVectors.certificate(ark)))
          .build();
    }
  }

  static final Vector GO_SEV_GUEST = new Vector("go-sev-guest", "sev-snp/go-sev-guest/attestation.bin", 0,
      "sev-snp/go-sev-guest/vcek.testcer", MILAN + "#0", MILAN + "#1", IN_2026);
  static final Vector VIRTEE = new Vector("virtee-sev milan", "sev-snp/virtee-sev/report_milan.bin", 0,
      "sev-snp/virtee-sev/vcek_milan.der", "sev-snp/virtee-sev/cert_chain_milan#0",
      "sev-snp/virtee-sev/cert_chain_milan#1", IN_2026);

  static Stream<Vector> validVectors() {
    String azure = "azure/trustee-az-snp-vtpm/";
    return Stream.of(GO_SEV_GUEST, VIRTEE,
        new Vector("trustee vcek", "sev-snp/trustee/test-report.bin", 0, "sev-snp/trustee/test-vcek.der",
            MILAN + "#0", MILAN + "#1", IN_2026),
        new Vector("trustee vlek (v3, vmpl 1)", "sev-snp/trustee/test-vlek-report.bin", 0,
            "sev-snp/trustee/test-vlek.der", MILAN_VLEK + "#0", MILAN_VLEK + "#1", IN_2025),
        new Vector("dstack (v3)", "sev-snp/dstack/derived/sev_snp_attestation.report.bin", 0,
            "sev-snp/dstack/sev_snp_vcek.pem#0", "sev-snp/dstack/sev_snp_ask.pem#0", MILAN + "#1",
            Instant.parse("2027-01-01T00:00:00Z")),
        new Vector("constellation azure", "sev-snp/constellation/snp/attestation.bin", 0,
            "sev-snp/constellation/snp/vcek.cert", "sev-snp/constellation/snp/certchain.pem#0",
            "sev-snp/constellation/snp/certchain.pem#1", IN_2026),
        new Vector("constellation aws vlek (v3)", "sev-snp/constellation/derived/aws_report.bin", 0,
            "sev-snp/constellation/aws/vlek.pem#0", "sev-snp/constellation/aws/certchain.pem#0",
            "sev-snp/constellation/aws/certchain.pem#1", IN_2025),
        new Vector("azure hcl", azure + "hcl-report.bin", 0x20, azure + "vcek.pem#0", azure + "vcek.pem#1",
            azure + "vcek.pem#2", IN_2026),
        new Vector("azure evidence-v0 (v3)", azure + "derived/evidence-v0.snp-report.bin", 0,
            azure + "derived/evidence-v0.vcek.pem#0", MILAN + "#0", MILAN + "#1", IN_2026),
        new Vector("azure evidence-v1 (v3)", azure + "derived/evidence-v1.snp-report.bin", 0,
            azure + "derived/evidence-v1.vcek.der", MILAN + "#0", MILAN + "#1", IN_2026),
        new Vector("azure evidence-v2 (v3)", azure + "derived/evidence-v2.snp-report.bin", 0,
            azure + "derived/evidence-v2.vcek.der", MILAN + "#0", MILAN + "#1", IN_2026));
  }

  /** A policy that admits exactly this report: its measurement, debug and any VMPL allowed. */
  static Policy admitting(SnpReport report) {
    return Policy.newBuilder().setName("vectors").setAllowDebug(true).setMaxVmpl(3)
        .addAllowedMeasurements(ByteString.copyFrom(report.measurement())).build();
  }

  static AttestationResult verify(Vector vector, Evidence evidence, Instant at) throws Exception {
    SnpReport report = SnpReport.parse(vector.reportBytes());
    return verifier.verify(evidence, admitting(report), report.reportData(), at);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validVectors")
  void realReportsVerify(Vector vector) throws Exception {
    // Proves every valid real report in the vectors passes signature, chain, pinned AMD root, chip id and TCB checks.
    AttestationResult result = verify(vector, vector.evidence(), vector.at());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(result.claims().platform()).isEqualTo(Platform.SEV_SNP);
  }

  @Test
  void claimsOfTheGoSevGuestAndVirteeReportsMatchTheManifest() throws Exception {
    // Proves the decoded claims equal what MANIFEST.md lists for these reports (measurement, TCB, debug bit).
    Claims go = verify(GO_SEV_GUEST, GO_SEV_GUEST.evidence(), IN_2026).claims();
    Claims virtee = verify(VIRTEE, VIRTEE.evidence(), IN_2026).claims();

    assertThat(Hashes.hex(go.measurement())).isEqualTo("b07af9620f3b839b47996422ddec6058338951d984e312115131ea82"
        + "705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01");
    assertThat(((SnpClaims) go.details()).reportedTcb()).isEqualTo(TcbVersion.newBuilder().setBootloader(2).setSnp(5).setMicrocode(68).build());
    assertThat(go.debug()).isTrue(); // policy 0xb0000 has bit 19 set
    assertThat(Hashes.hex(virtee.measurement())).startsWith("7a1e5c266c0108db");
    assertThat(((SnpClaims) virtee.details()).reportedTcb()).isEqualTo(SimulatedSnpChip.DEFAULT_TCB);
    assertThat(virtee.debug()).isFalse();
  }

  @Test
  void thePlatformInstanceIdIsTheChipIdAndZeroWhenMasked() throws Exception {
    // Proves SEV-SNP claims name the chip by its 64-byte CHIP_ID (MANIFEST prefixes), and a VLEK report's masked all-zero id is reported as is.
    Claims go = verify(GO_SEV_GUEST, GO_SEV_GUEST.evidence(), IN_2026).claims();
    Claims virtee = verify(VIRTEE, VIRTEE.evidence(), IN_2026).claims();
    Vector vlek = validVectors().filter(v -> v.name().startsWith("trustee vlek")).findFirst().orElseThrow();
    Claims masked = verify(vlek, vlek.evidence(), IN_2025).claims();

    assertThat(go.platformInstanceId()).hasSize(64).isEqualTo(((SnpClaims) go.details()).chipId());
    assertThat(Hashes.hex(go.platformInstanceId())).startsWith("3ac3fe21e13fb0990eb28a802e3fb6a2");
    assertThat(Hashes.hex(virtee.platformInstanceId())).startsWith("d49554ec717f4e5b0fe6b143bcf0405b");
    assertThat(masked.platformInstanceId()).hasSize(64).containsOnly(0);
    assertThat(go.describe()).containsEntry("platform_instance_id", Hashes.hex(go.platformInstanceId()));
  }

  @Test
  void flippingByte21InvalidatesTheSignature() throws Exception {
    // Proves the corruption virtee's milan_report_invalid test uses (byte 21 ^ 0x80) is SIGNATURE_INVALID.
    for (Vector vector : List.of(GO_SEV_GUEST, VIRTEE)) {
      byte[] report = vector.reportBytes();
      report[21] ^= (byte) 0x80;
      assertThat(verify(vector, vector.evidence(report), vector.at()).reason()).as(vector.name())
          .isEqualTo(RejectReason.SIGNATURE_INVALID);
    }
  }

  @Test
  void theVcekHasExpiredBy2031() throws Exception {
    // Proves validity is judged at the given instant: go-sev-guest's VCEK (to 2029-09-24) is expired in 2031.
    AttestationResult result = verify(GO_SEV_GUEST, GO_SEV_GUEST.evidence(), Instant.parse("2031-01-01T00:00:00Z"));

    assertThat(result.reason()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(result.detail()).contains("2029-09-24");
  }

  @Test
  void policyChecksApplyToRealReports() throws Exception {
    // Proves the policy layer on real evidence: debug refused by default, a missing measurement named, binding checked.
    SnpReport go = SnpReport.parse(GO_SEV_GUEST.reportBytes());
    SnpReport virtee = SnpReport.parse(VIRTEE.reportBytes());
    Policy noDebug = admitting(go).toBuilder().setAllowDebug(false).build();
    Policy otherMeasurement = admitting(go).toBuilder().setName("prod-2026-11").build();

    assertThat(verifier.verify(GO_SEV_GUEST.evidence(), noDebug, go.reportData(), IN_2026).reason())
        .isEqualTo(RejectReason.DEBUG_ENABLED);
    AttestationResult measurement = verifier.verify(VIRTEE.evidence(), otherMeasurement, virtee.reportData(), IN_2026);
    assertThat(measurement.reason()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(measurement.detail()).contains("measurement 7a1e5c266c0108db… is not in policy 'prod-2026-11'");
    assertThat(verifier.verify(VIRTEE.evidence(), admitting(virtee), go.reportData(), IN_2026).reason())
        .isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void wrongKeysAndRootsAreRefused() throws Exception {
    // Proves a report checked against another chip's VCEK, a Milan ASK under the Genoa ARK, and a real chain
    // presented as simulated evidence are all refused with their specific reasons.
    Vector wrongVcek = new Vector("virtee report, go-sev-guest vcek", VIRTEE.report(), 0, GO_SEV_GUEST.leaf(),
        MILAN + "#0", MILAN + "#1", IN_2026);
    Vector wrongArk = new Vector("milan ask under genoa ark", GO_SEV_GUEST.report(), 0, GO_SEV_GUEST.leaf(),
        MILAN + "#0", "sev-snp/amd-ark-ask/ask_ark_genoa.pem#1", IN_2026);
    Vector constellationVlek = new Vector("constellation VLEK (known bad)",
        "sev-snp/constellation/derived/snp_AttestationReportVLEK.bin", 0, "sev-snp/constellation/snp/vlek.pem#0",
        "sev-snp/constellation/snp/vlekcertchain.pem#0", "sev-snp/constellation/snp/vlekcertchain.pem#1",
        Instant.parse("2024-01-01T00:00:00Z"));
    Evidence asSimulated = GO_SEV_GUEST.evidence().toBuilder().setPlatform(Platform.SIMULATED_SNP).build();
    SnpReport go = SnpReport.parse(GO_SEV_GUEST.reportBytes());
    Policy simulation = admitting(go).toBuilder().setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("some simulated root")))).build();

    assertThat(verify(wrongVcek, wrongVcek.evidence(), IN_2026).reason()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(verify(wrongArk, wrongArk.evidence(), IN_2026).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(constellationVlek, constellationVlek.evidence(), constellationVlek.at()).reason())
        .isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(verifier.verify(asSimulated, simulation, go.reportData(), IN_2026).reason())
        .isEqualTo(RejectReason.CHAIN_UNTRUSTED);
  }

  @Test
  void everyAmdRootIsPinnedWithItsProduct() throws Exception {
    // Proves the fingerprints pinned in code are the ARKs of the vector files, for VCEK and VLEK chains alike.
    String[][] files = {{"milan", "MILAN"}, {"milan_vlek", "MILAN"}, {"genoa", "GENOA"}, {"genoa_vlek", "GENOA"},
        {"turin_vcek", "TURIN"}, {"turin_vlek", "TURIN"}};
    for (String[] file : files) {
      byte[] ark = SharedVectors.certificate("sev-snp/amd-ark-ask/ask_ark_" + file[0] + ".pem#1");
      assertThat(SnpTrustAnchor.amdRoots()).as(file[0])
          .filteredOn(anchor -> anchor.pins(Hashes.sha256(ark)))
          .extracting(SnpTrustAnchor::product).containsExactly(SnpProduct.valueOf(file[1]));
    }
  }

  @Test
  void theTurinChainVerifiesAndCarriesAnEightByteHwId() throws Exception {
    // Proves the Turin VCEK chains to ARK-Turin and its extensions decode with the Turin layout (fmcSPL, 8-byte hwID).
    SnpChainVerifier chains = new SnpChainVerifier(SnpTrustAnchor.amdRoots());
    List<ByteString> chain = Stream.of("sev-snp/virtee-sev/vcek_turin.der", "sev-snp/virtee-sev/cert_chain_turin#0",
        "sev-snp/virtee-sev/cert_chain_turin#1").map(SnpRealVectorsTest::certificate).toList();

    SnpChainVerifier.VerifiedChain verified = chains.verify(chain);
    SnpChainVerifier.checkValidity(verified, IN_2026);

    assertThat(verified.product()).contains(SnpProduct.TURIN);
    assertThat(VcekExtensions.hwId(verified.leaf(), SnpProduct.TURIN.hwIdBytes()))
        .hasValueSatisfying(id -> assertThat(Hashes.hex(id)).isEqualTo("1e550a8ee5cf9f4d"));
    assertThat(VcekExtensions.tcb(verified.leaf(), SnpProduct.TURIN))
        .isEqualTo(TcbVersion.newBuilder().setMicrocode(9).build());
  }

  @Test
  void hwIdIsReadRawOrAsANestedOctetString() throws Exception {
    // Proves both hwID encodings seen in trustee's synthetic VCEKs (raw 64 bytes, OCTET STRING around it) decode alike.
    byte[] expected = new byte[64];
    for (int i = 0; i < 64; i++) {
      expected[i] = (byte) i;
    }
    for (String file : List.of("test-vcek-invalid-legacy.der", "test-vcek-invalid-new.der")) {
      X509Certificate cert = Certificates.parse(SharedVectors.read("sev-snp/trustee/" + file), file);
      assertThat(VcekExtensions.hwId(cert, 64)).as(file).hasValueSatisfying(id -> assertThat(id).isEqualTo(expected));
    }
  }

  private static ByteString certificate(String reference) {
    try {
      return ByteString.copyFrom(SharedVectors.certificate(reference));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
