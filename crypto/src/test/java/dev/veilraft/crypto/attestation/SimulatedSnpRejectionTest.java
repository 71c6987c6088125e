package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Platform-layer rejections of simulated evidence: forged, re-rooted, inconsistent, expired or garbage input. */
class SimulatedSnpRejectionTest {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft test code"));
  static final byte[] REPORT_DATA = ReportData.bind(Hashes.utf8("nonce"), Hashes.utf8("spki"), Hashes.utf8("kem"));
  static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  static final long SEED = 20261121L;

  @TempDir static Path dir;
  static SimulatedSnpVendor vendor;
  static SimulatedSnpVendor otherVendor;
  static SimulatedSnpChip chip;
  static SimulatedSnpChip otherChip;
  static Evidence good;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createVendorsAndChips() throws Exception {
    vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    otherVendor = SimulatedSnpVendor.openOrCreate(dir.resolve("other-vendor"));
    chip = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor);
    otherChip = SimulatedSnpChip.openOrCreate(dir.resolve("other-chip"), vendor);
    good = SimulatedSnpAttester.create(chip, MEASUREMENT).attest(REPORT_DATA);
  }

  static Policy policy() {
    return Policy.newBuilder().setName("sim-test").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)).build();
  }

  static AttestationResult verify(Evidence evidence) {
    return verifier.verify(evidence, policy(), REPORT_DATA, AT);
  }

  static Evidence withReport(byte[] report) {
    return good.toBuilder().setReport(ByteString.copyFrom(report)).build();
  }

  static Evidence withChain(List<byte[]> chain) {
    Evidence.Builder evidence = good.toBuilder().clearCertChain();
    chain.forEach(der -> evidence.addCertChain(ByteString.copyFrom(der)));
    return evidence.build();
  }

  @Test
  void theUnmodifiedEvidenceIsAccepted() {
    // Proves the baseline every other test here corrupts is itself accepted.
    assertThat(verify(good).accepted()).as(verify(good).toString()).isTrue();
  }

  @Test
  void aChainFromAnotherSimulatedVendorIsNotTrusted() throws Exception {
    // Proves simulated evidence must chain to the exact root the policy pins, not to any simulated root.
    Policy otherRoot = policy().toBuilder().setSimulatedRootSha256(ByteString.copyFrom(otherVendor.arkSha256())).build();
    SimulatedSnpChip foreignChip = SimulatedSnpChip.openOrCreate(dir.resolve("foreign-chip"), otherVendor);
    Evidence foreign = SimulatedSnpAttester.create(foreignChip, MEASUREMENT).attest(REPORT_DATA);

    AttestationResult result = verifier.verify(good, otherRoot, REPORT_DATA, AT);
    assertThat(result.reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(result.detail()).contains("SIMULATED-ARK-Milan");
    assertThat(verify(foreign).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verifier.verify(good, policy().toBuilder().clearSimulatedRootSha256().build(), REPORT_DATA, AT)
        .reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
  }

  @Test
  void simulatedEvidenceRelabelledAsSevSnpIsNotTrusted() {
    // Proves a simulated chain can never pass as real SEV-SNP: only AMD's pinned ARKs are trusted for SEV_SNP.
    Evidence relabelled = good.toBuilder().setPlatform(Platform.SEV_SNP).build();

    AttestationResult result = verify(relabelled);
    assertThat(result.reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(result.detail()).contains("ARK-Milan");
  }

  @Test
  void aChipReopenedUnderAnotherVendorGetsItsVcekReissued() throws Exception {
    // Proves a chip keeps its id and key when its vendor changes, and its reissued VCEK chains to the new root.
    SimulatedSnpChip original = SimulatedSnpChip.openOrCreate(dir.resolve("moving-chip"), vendor);
    SimulatedSnpChip moved = SimulatedSnpChip.openOrCreate(dir.resolve("moving-chip"), otherVendor);
    Policy otherRoot = policy().toBuilder().setSimulatedRootSha256(ByteString.copyFrom(otherVendor.arkSha256())).build();

    assertThat(moved.chipId()).isEqualTo(original.chipId());
    assertThat(moved.vcekDer()).isNotEqualTo(original.vcekDer());
    AttestationResult result = verifier.verify(SimulatedSnpAttester.create(moved, MEASUREMENT).attest(REPORT_DATA),
        otherRoot, REPORT_DATA, AT);
    assertThat(result.accepted()).as(result.toString()).isTrue();
  }

  @Test
  void anAskNotSignedByTheArkBreaksTheChain() {
    // Proves each link is checked: another vendor's ASK under the pinned ARK is CHAIN_UNTRUSTED.
    List<byte[]> chain = List.of(chip.vcekDer(), otherVendor.askDer(), vendor.arkDer());
    List<byte[]> swapped = List.of(vendor.askDer(), chip.vcekDer(), vendor.arkDer());

    assertThat(verify(withChain(chain)).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
    assertThat(verify(withChain(swapped)).reason()).isEqualTo(RejectReason.CHAIN_UNTRUSTED);
  }

  @Test
  void aFlippedReportByteInvalidatesTheSignature() {
    // Proves any change to the signed part, including the measurement, is caught by the VCEK signature.
    byte[] report = good.getReport().toByteArray();
    report[SnpReport.OFFSET_MEASUREMENT] ^= 0x01;

    AttestationResult result = verify(withReport(report));
    assertThat(result.reason()).isEqualTo(RejectReason.SIGNATURE_INVALID);
    assertThat(result.detail()).contains("report signature does not verify");
  }

  @Test
  void aReportSignedByAnotherChipsVcekDoesNotVerify() throws Exception {
    // Proves the report must be signed by the leaf of its own chain: another chip's chain fails the signature.
    Evidence mixed = withChain(otherChip.certChain());

    assertThat(verify(mixed).reason()).isEqualTo(RejectReason.SIGNATURE_INVALID);
  }

  @Test
  void aChipIdOtherThanTheVcekHwIdIsRefused() throws Exception {
    // Proves a correctly signed report that claims another chip's id mismatches its VCEK's hwID.
    Evidence claimsOtherChip = SimulatedSnpAttester.builder(chip, MEASUREMENT).chipIdOverride(otherChip.chipId())
        .build().attest(REPORT_DATA);

    AttestationResult result = verify(claimsOtherChip);
    assertThat(result.reason()).isEqualTo(RejectReason.CHIP_ID_MISMATCH);
    assertThat(result.detail()).contains(Hashes.shortHex(otherChip.chipId(), 8));
  }

  @Test
  void aReportedTcbOtherThanTheVcekTcbIsRefused() throws Exception {
    // Proves the reported TCB must equal the SPL extensions of the VCEK that signed it.
    Evidence newerMicrocode = SimulatedSnpAttester.builder(chip, MEASUREMENT)
        .reportedTcb(SimulatedSnpChip.DEFAULT_TCB.toBuilder().setMicrocode(116).build()).build().attest(REPORT_DATA);

    AttestationResult result = verify(newerMicrocode);
    assertThat(result.reason()).isEqualTo(RejectReason.TCB_MISMATCH_VCEK);
    assertThat(result.detail()).contains("ucode=116").contains("ucode=115");
  }

  @Test
  void certificatesAreCheckedAtTheGivenInstant() {
    // Proves validity is judged at the caller's instant: after notAfter and before notBefore are both CERT_EXPIRED.
    AttestationResult late = verifier.verify(good, policy(), REPORT_DATA, Instant.parse("2100-01-02T00:00:00Z"));
    AttestationResult early = verifier.verify(good, policy(), REPORT_DATA, Instant.parse("2019-12-31T00:00:00Z"));

    assertThat(late.reason()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(late.detail()).contains("expired at 2100-01-01T00:00:00Z");
    assertThat(early.reason()).isEqualTo(RejectReason.CERT_EXPIRED);
    assertThat(early.detail()).contains("not valid before");
  }

  @Test
  void unsupportedVersionsAndAlgorithmsAreNamed() throws Exception {
    // Proves report version 1 and signature algorithm 2 get their own reasons, even when correctly signed.
    Evidence version1 = SimulatedSnpAttester.builder(chip, MEASUREMENT).reportVersion(1).build().attest(REPORT_DATA);
    byte[] algo2 = SnpReport.builder().version(3).signatureAlgo(2).measurement(MEASUREMENT).reportData(REPORT_DATA)
        .chipId(chip.chipId()).sign(chip.vcekKey());
    byte[] unsigned = SnpReport.builder().version(3).signatureAlgo(1).signerInfo(false, false, 7).sign(chip.vcekKey());

    assertThat(verify(version1).reason()).isEqualTo(RejectReason.UNSUPPORTED_REPORT_VERSION);
    assertThat(verify(withReport(algo2)).reason()).isEqualTo(RejectReason.UNSUPPORTED_SIGNATURE_ALGORITHM);
    assertThat(verify(withReport(unsigned)).reason()).isEqualTo(RejectReason.SIGNATURE_INVALID);
  }

  @Test
  void anSnpReportRelabelledAsAnotherPlatformIsRefused() {
    // Proves an SNP report claiming to be TDX or Nitro is malformed for that format, and unknown platforms are named.
    AttestationResult tdx = verify(good.toBuilder().setPlatform(Platform.TDX).build());
    AttestationResult nitro = verify(good.toBuilder().setPlatform(Platform.NITRO).build());

    assertThat(tdx.accepted()).isFalse();
    assertThat(tdx.reason()).isIn(RejectReason.MALFORMED, RejectReason.UNSUPPORTED_REPORT_VERSION);
    assertThat(nitro.reason()).isEqualTo(RejectReason.MALFORMED);
    assertThat(verify(good.toBuilder().setPlatform(Platform.PLATFORM_UNSPECIFIED).build()).reason())
        .isEqualTo(RejectReason.PLATFORM_NOT_SUPPORTED);
    assertThat(verify(good.toBuilder().setPlatformValue(99).build()).detail())
        .contains("no supported platform");
  }

  @Test
  void garbageIsMalformedAndNeverThrows() {
    // Proves empty, truncated, oversized and random input is rejected as MALFORMED without an exception.
    Random random = new Random(SEED);
    byte[] noise = new byte[SnpReport.BYTES];
    random.nextBytes(noise);
    byte[] report = good.getReport().toByteArray();
    byte[] vcek = chip.vcekDer();

    List<Evidence> garbage = List.of(
        withReport(new byte[0]),
        withReport(Arrays.copyOf(report, 1000)),
        withReport(Arrays.copyOf(report, SnpReport.BYTES + 1)),
        withChain(List.of()),
        withChain(List.of(vcek)),
        withChain(List.of(Arrays.copyOf(vcek, vcek.length / 2), vendor.askDer(), vendor.arkDer())),
        withChain(List.of(new byte[0], vendor.askDer(), vendor.arkDer())),
        withChain(List.of(new byte[SnpChainVerifier.CERTIFICATE_BYTES_MAX + 1], vendor.askDer(), vendor.arkDer())),
        withChain(List.of(Hashes.concat(vcek, new byte[] {0}), vendor.askDer(), vendor.arkDer())),
        withReport(tailByte(report)),
        Evidence.newBuilder().setPlatform(Platform.SIMULATED_SNP).build());

    for (Evidence evidence : garbage) {
      AttestationResult result = verify(evidence);
      assertThat(result.reason()).as(result.toString()).isEqualTo(RejectReason.MALFORMED);
    }
    assertThat(verifier.verify(null, policy(), REPORT_DATA, AT).reason()).isEqualTo(RejectReason.MALFORMED);
    assertThat(verify(withReport(noise)).accepted()).isFalse();
    assertThat(verify(withReport(withVersion(noise, 2))).accepted()).isFalse();
  }

  @Test
  void randomCorruptionsAreAlwaysRejected() {
    // Proves no single flipped byte anywhere in the report or the chain yields acceptance or an exception.
    Random random = new Random(SEED);
    Set<RejectReason> seen = EnumSet.noneOf(RejectReason.class);
    for (int i = 0; i < 300; i++) {
      Evidence corrupted = corruptOneByte(random);
      String replay = "seed " + SEED + " step " + i;
      assertThatCode(() -> {
        AttestationResult result = verify(corrupted);
        assertThat(result.accepted()).as(replay).isFalse();
        seen.add(result.reason());
      }).as(replay).doesNotThrowAnyException();
    }
    assertThat(seen).contains(RejectReason.SIGNATURE_INVALID);
  }

  private static Evidence corruptOneByte(Random random) {
    int part = random.nextInt(4);
    if (part == 0) {
      byte[] report = good.getReport().toByteArray();
      report[random.nextInt(report.length)] ^= (byte) (1 + random.nextInt(255));
      return withReport(report);
    }
    List<byte[]> chain = new java.util.ArrayList<>(chip.certChain());
    byte[] cert = chain.get(part - 1).clone();
    cert[random.nextInt(cert.length)] ^= (byte) (1 + random.nextInt(255));
    chain.set(part - 1, cert);
    return withChain(chain);
  }

  private static byte[] withVersion(byte[] report, int version) {
    byte[] copy = report.clone();
    copy[0] = (byte) version;
    copy[1] = 0;
    copy[2] = 0;
    copy[3] = 0;
    return copy;
  }

  private static byte[] tailByte(byte[] report) {
    byte[] copy = report.clone();
    copy[SnpReport.BYTES - 1] = 1;
    return copy;
  }
}
