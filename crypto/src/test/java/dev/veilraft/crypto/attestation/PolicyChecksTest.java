package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import org.junit.jupiter.api.Test;

/** The policy layer alone, on hand-made claims: order of checks and edge cases. */
class PolicyChecksTest {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("code"));
  static final byte[] REPORT_DATA = Hashes.sha512(Hashes.utf8("binding"));
  static final TcbVersion TCB = TcbVersion.newBuilder().setBootloader(3).setSnp(8).setMicrocode(115).build();

  static Claims claims(Platform platform, byte[] measurement, boolean debug, int vmpl) {
    SnpClaims snp = new SnpClaims(SnpProduct.MILAN, new byte[64], TCB, TCB, TCB, TCB, 0x30000L | (debug ? 1L << 19 : 0),
        vmpl, 1, 0, new byte[48], "1.55.29");
    return new Claims(platform, 3, "VCEK", measurement, REPORT_DATA, new byte[32], debug, snp);
  }

  static Policy.Builder policy() {
    return Policy.newBuilder().setName("unit").addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT));
  }

  @Test
  void acceptsClaimsThatMeetThePolicy() {
    // Proves claims meeting every reference value are accepted and carried in the result.
    Claims claims = claims(Platform.SEV_SNP, MEASUREMENT, false, 0);
    AttestationResult result = PolicyChecks.check(claims, policy().setMinTcb(TCB).build(), REPORT_DATA);

    assertThat(result.accepted()).isTrue();
    assertThat(result.claims()).isSameAs(claims);
  }

  @Test
  void checksRunInTheDocumentedOrder() {
    // Proves simulated, debug, VMPL, measurement, TCB and binding are checked in that order, one failure at a time.
    byte[] other = new byte[48];
    TcbVersion high = TCB.toBuilder().setSnp(99).build();
    Policy strict = policy().setMinTcb(high).build();

    assertThat(PolicyChecks.check(claims(Platform.SIMULATED_SNP, other, true, 3), strict, new byte[64]).reason())
        .isEqualTo(RejectReason.SIMULATED_NOT_ALLOWED);
    assertThat(PolicyChecks.check(claims(Platform.SEV_SNP, other, true, 3), strict, new byte[64]).reason())
        .isEqualTo(RejectReason.DEBUG_ENABLED);
    assertThat(PolicyChecks.check(claims(Platform.SEV_SNP, other, false, 3), strict, new byte[64]).reason())
        .isEqualTo(RejectReason.VMPL_NOT_ALLOWED);
    assertThat(PolicyChecks.check(claims(Platform.SEV_SNP, other, false, 0), strict, new byte[64]).reason())
        .isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(PolicyChecks.check(claims(Platform.SEV_SNP, MEASUREMENT, false, 0), strict, new byte[64]).reason())
        .isEqualTo(RejectReason.TCB_BELOW_MINIMUM);
    assertThat(PolicyChecks.check(claims(Platform.SEV_SNP, MEASUREMENT, false, 0), policy().build(), new byte[64])
        .reason()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }

  @Test
  void rejectionsKeepTheClaimsAndNameThePolicy() {
    // Proves policy-layer rejections carry the verified claims and a message naming the policy.
    Claims claims = claims(Platform.SIMULATED_SNP, MEASUREMENT, false, 0);
    AttestationResult result = PolicyChecks.check(claims, policy().setName("prod-2026-11").build(), REPORT_DATA);

    assertThat(result.claims()).isSameAs(claims);
    assertThat(result.detail()).contains("simulated").contains("insecure").contains("'prod-2026-11'");
  }

  @Test
  void anEmptyMeasurementListAllowsNothing() {
    // Proves a policy with no allowed measurements refuses every measurement rather than allowing all.
    AttestationResult result = PolicyChecks.check(claims(Platform.SEV_SNP, MEASUREMENT, false, 0),
        Policy.newBuilder().setName("empty").build(), REPORT_DATA);

    assertThat(result.reason()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(result.detail()).contains("0 allowed");
  }

  @Test
  void theTcbFloorCoversEveryComponentIncludingFmc() {
    // Proves the floor is component-wise (a higher snp does not excuse a lower ucode) and covers Turin's fmc.
    Claims claims = claims(Platform.SEV_SNP, MEASUREMENT, false, 0);
    Policy ucode = policy().setMinTcb(TCB.toBuilder().setSnp(1).setMicrocode(116)).build();
    Policy fmc = policy().setMinTcb(TCB.toBuilder().setFmc(1)).build();

    assertThat(PolicyChecks.check(claims, ucode, REPORT_DATA).detail()).contains("ucode 115 < 116");
    assertThat(PolicyChecks.check(claims, fmc, REPORT_DATA).detail()).contains("fmc 0 < 1");
  }

  @Test
  void expectedReportDataOfTheWrongLengthNeverMatches() {
    // Proves a caller's missing or short expected binding is a rejection, not an acceptance or an exception.
    Claims claims = claims(Platform.SEV_SNP, MEASUREMENT, false, 0);

    assertThat(PolicyChecks.check(claims, policy().build(), null).reason()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
    assertThat(PolicyChecks.check(claims, policy().build(), new byte[32]).reason())
        .isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
  }
}
