package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The simulated TEE end to end: vendor, chip, attester, then the verifier's acceptance and policy layer. */
class SimulatedSnpAttestationTest {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft test code"));
  static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  static final byte[] NONCE = Hashes.utf8("nonce-1");
  static final byte[] SPKI = Hashes.utf8("identity spki");
  static final byte[] KEM = Hashes.utf8("kem public key");
  static final byte[] REPORT_DATA = ReportData.bind(NONCE, SPKI, KEM);

  @TempDir static Path dir;
  static SimulatedSnpVendor vendor;
  static SimulatedSnpChip chip;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createVendorAndChip() throws Exception {
    vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    chip = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor);
  }

  static Policy.Builder policy() {
    return Policy.newBuilder().setName("sim-test").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT));
  }

  static AttestationResult verify(SimulatedSnpAttester attester, Policy policy) throws Exception {
    return verifier.verify(attester.attest(REPORT_DATA), policy, REPORT_DATA, AT);
  }

  @Test
  void acceptsMatchingEvidenceWithItsClaims() throws Exception {
    // Proves the simulated TEE's evidence passes every check of a policy that allows it, and the claims are right.
    AttestationResult result = verify(SimulatedSnpAttester.create(chip, MEASUREMENT), policy().build());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    Claims claims = result.claims();
    assertThat(claims.platform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(claims.version()).isEqualTo(3);
    assertThat(claims.measurement()).isEqualTo(MEASUREMENT);
    assertThat(claims.reportData()).isEqualTo(REPORT_DATA);
    assertThat(claims.hostData()).containsOnly(0);
    assertThat(((SnpClaims) claims.details()).chipId()).isEqualTo(chip.chipId());
    assertThat(((SnpClaims) claims.details()).reportedTcb()).isEqualTo(SimulatedSnpChip.DEFAULT_TCB);
    assertThat(claims.debug()).isFalse();
    assertThat(((SnpClaims) claims.details()).vmpl()).isZero();
  }

  @Test
  void acceptsVersionTwoReportsWithoutCpuid() throws Exception {
    // Proves a v2 report (no CPUID) takes its product from the chain's names and still verifies.
    SimulatedSnpAttester attester = SimulatedSnpAttester.builder(chip, MEASUREMENT).reportVersion(2).build();
    AttestationResult result = verify(attester, policy().build());

    assertThat(result.accepted()).as(result.toString()).isTrue();
    assertThat(result.claims().version()).isEqualTo(2);
  }

  @Test
  void evidenceHasTheDocumentedShape() throws Exception {
    // Proves attest() returns SIMULATED_SNP evidence: a 1184-byte report and the chain VCEK, ASK, ARK.
    SimulatedSnpAttester attester = SimulatedSnpAttester.create(chip, MEASUREMENT);
    Evidence evidence = attester.attest(REPORT_DATA);
    SnpReport report = SnpReport.parse(evidence.getReport().toByteArray());

    assertThat(attester.platform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(evidence.getPlatform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(evidence.getCertChainList()).extracting(ByteString::toByteArray)
        .containsExactly(chip.vcekDer(), vendor.askDer(), vendor.arkDer());
    assertThat(report.policy()).isEqualTo(SimulatedSnpAttester.GUEST_POLICY_DEFAULT);
    assertThat(report.signingKey()).isEqualTo(SnpReport.SIGNING_KEY_VCEK);
    assertThat(report.productFromCpuid()).contains(SnpProduct.MILAN);
    assertThat(report.currentTcb()).isEqualTo(report.reportedTcb()).isEqualTo(report.launchTcb())
        .isEqualTo(report.committedTcb());
    assertThat(attester.measurement()).isEqualTo(MEASUREMENT);
    assertThatThrownBy(() -> attester.attest(new byte[32])).isInstanceOf(AttestationException.class)
        .hasMessageContaining("64");
  }

  @Test
  void simulatedEvidenceIsRefusedUnlessThePolicyAllowsIt() throws Exception {
    // Proves a policy without allow_simulated refuses simulated evidence, before even parsing it.
    Policy production = policy().setName("prod-2026-11").setAllowSimulated(false).build();
    AttestationResult result = verify(SimulatedSnpAttester.create(chip, MEASUREMENT), production);
    Evidence garbage = Evidence.newBuilder().setPlatform(Platform.SIMULATED_SNP)
        .setReport(ByteString.copyFromUtf8("not a report")).build();

    assertThat(result.reason()).isEqualTo(RejectReason.SIMULATED_NOT_ALLOWED);
    assertThat(result.detail()).contains("insecure").contains("'prod-2026-11'");
    assertThat(verifier.verify(garbage, production, REPORT_DATA, AT).reason())
        .isEqualTo(RejectReason.SIMULATED_NOT_ALLOWED);
  }

  @Test
  void measurementNotInThePolicyIsRefused() throws Exception {
    // Proves altered code (another measurement) is refused, and the message names the measurement and policy.
    byte[] evil = Hashes.sha384(Hashes.utf8("altered code"));
    AttestationResult result = verify(SimulatedSnpAttester.create(chip, evil), policy().build());

    assertThat(result.reason()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(result.detail()).contains("measurement " + Hashes.shortHex(evil, 8) + " is not in policy 'sim-test'");
    assertThat(result.claims().measurement()).isEqualTo(evil);
  }

  @Test
  void debugGuestsNeedAllowDebug() throws Exception {
    // Proves guest policy bit 19 is refused by default and accepted (and reported) when the policy allows debug.
    SimulatedSnpAttester debug = SimulatedSnpAttester.builder(chip, MEASUREMENT)
        .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | SnpReport.POLICY_DEBUG_BIT).build();

    assertThat(verify(debug, policy().build()).reason()).isEqualTo(RejectReason.DEBUG_ENABLED);
    AttestationResult allowed = verify(debug, policy().setAllowDebug(true).build());
    assertThat(allowed.accepted()).as(allowed.toString()).isTrue();
    assertThat(allowed.claims().debug()).isTrue();
  }

  @Test
  void vmplAboveThePolicyMaximumIsRefused() throws Exception {
    // Proves a report requested from a less privileged VMPL is refused unless max_vmpl allows it.
    SimulatedSnpAttester vmpl2 = SimulatedSnpAttester.builder(chip, MEASUREMENT).vmpl(2).build();

    AttestationResult refused = verify(vmpl2, policy().build());
    assertThat(refused.reason()).isEqualTo(RejectReason.VMPL_NOT_ALLOWED);
    assertThat(refused.detail()).contains("VMPL 2").contains("at most VMPL 0");
    assertThat(verify(vmpl2, policy().setMaxVmpl(2).build()).accepted()).isTrue();
  }

  @Test
  void tcbBelowThePolicyMinimumIsRefused() throws Exception {
    // Proves the TCB floor is component-wise and the message names the component that is too low.
    TcbVersion floor = SimulatedSnpChip.DEFAULT_TCB.toBuilder().setSnp(9).build();
    AttestationResult refused = verify(SimulatedSnpAttester.create(chip, MEASUREMENT), policy().setMinTcb(floor).build());

    assertThat(refused.reason()).isEqualTo(RejectReason.TCB_BELOW_MINIMUM);
    assertThat(refused.detail()).contains("snp 8 < 9");
    assertThat(verify(SimulatedSnpAttester.create(chip, MEASUREMENT),
        policy().setMinTcb(SimulatedSnpChip.DEFAULT_TCB).build()).accepted()).isTrue();
  }

  @Test
  void reportDataBoundToOtherKeysOrNonceIsRefused() throws Exception {
    // Proves a replay (other nonce) and a key substitution (other KEM key) are both refused as REPORT_DATA_MISMATCH.
    Evidence evidence = SimulatedSnpAttester.create(chip, MEASUREMENT).attest(REPORT_DATA);
    byte[] otherNonce = ReportData.bind(Hashes.utf8("nonce-2"), SPKI, KEM);
    byte[] otherKem = ReportData.bind(NONCE, SPKI, Hashes.utf8("attacker kem key"));

    for (byte[] expected : List.of(otherNonce, otherKem)) {
      AttestationResult result = verifier.verify(evidence, policy().build(), expected, AT);
      assertThat(result.reason()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
      assertThat(result.detail()).contains("evidence is bound to other keys or another nonce (replay or key substitution)");
    }
    assertThat(verifier.verify(evidence, policy().build(), null, AT).reason())
        .isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void concurrentVerificationsAllAgree() throws Exception {
    // Proves one verifier instance can be shared by threads (the chain cache is the only shared state).
    List<Evidence> evidences = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      evidences.add(SimulatedSnpAttester.create(chip, MEASUREMENT).attest(REPORT_DATA));
    }
    AttestationVerifier shared = new AttestationVerifier();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<AttestationResult>> results = new ArrayList<>();
      for (Evidence evidence : evidences) {
        results.add(pool.submit(() -> shared.verify(evidence, policy().build(), REPORT_DATA, AT)));
      }
      for (Future<AttestationResult> result : results) {
        assertThat(result.get().accepted()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void vendorAndChipReopenFromTheirDirectories() throws Exception {
    // Proves openOrCreate loads the persisted ARK, ASK, chip id and VCEK instead of making new ones.
    SimulatedSnpVendor reopened = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    SimulatedSnpChip reopenedChip = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), reopened);

    assertThat(reopened.arkDer()).isEqualTo(vendor.arkDer());
    assertThat(reopened.arkSha256()).isEqualTo(Hashes.sha256(vendor.arkDer()));
    assertThat(reopenedChip.chipId()).isEqualTo(chip.chipId());
    assertThat(reopenedChip.vcekDer()).isEqualTo(chip.vcekDer());
    assertThat(verify(SimulatedSnpAttester.create(reopenedChip, MEASUREMENT), policy().build()).accepted()).isTrue();
  }

  @Test
  void vcekLooksLikeAmds() throws Exception {
    // Proves the simulated VCEK has serial 0, a P-384 key, the hwID and SPL extensions, and the 2020-2100 validity.
    X509Certificate vcek = Certificates.parse(chip.vcekDer(), "simulated VCEK");

    assertThat(vcek.getSerialNumber()).isZero();
    assertThat(vcek.getSigAlgName()).isEqualTo("RSASSA-PSS");
    assertThat(VcekExtensions.hwId(vcek, 64)).hasValueSatisfying(id -> assertThat(id).isEqualTo(chip.chipId()));
    assertThat(VcekExtensions.tcb(vcek, SnpProduct.MILAN)).isEqualTo(SimulatedSnpChip.DEFAULT_TCB);
    assertThat(vcek.getNotBefore().toInstant()).isEqualTo(SimulatedSnpVendor.NOT_BEFORE);
    assertThat(vcek.getNotAfter().toInstant()).isEqualTo(SimulatedSnpVendor.NOT_AFTER);
    assertThat(vcek.getSubjectX500Principal().getName()).contains("SIMULATED");
  }
}
