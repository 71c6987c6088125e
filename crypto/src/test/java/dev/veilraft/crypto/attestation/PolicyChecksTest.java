package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The policy layer alone, on hand-made claims: order of checks and edge cases. */
class PolicyChecksTest {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("code"));
  static final byte[] REPORT_DATA = Hashes.sha512(Hashes.utf8("binding"));
  static final TcbVersion TCB = TcbVersion.newBuilder().setBootloader(3).setSnp(8).setMicrocode(115).build();

  static Claims claims(Platform platform, byte[] measurement, boolean debug, int vmpl) {
    return snpClaims(platform, measurement, 0x30000L | (debug ? SnpClaims.POLICY_DEBUG_BIT : 0), vmpl);
  }

  static Claims snpClaims(Platform platform, byte[] measurement, long guestPolicy, int vmpl) {
    SnpClaims snp = new SnpClaims(SnpProduct.MILAN, new byte[64], TCB, TCB, TCB, TCB, guestPolicy, vmpl, 1, 0,
        new byte[48], "1.55.29");
    return new Claims(platform, 3, "VCEK", measurement, REPORT_DATA, new byte[32],
        (guestPolicy & SnpClaims.POLICY_DEBUG_BIT) != 0, snp);
  }

  static Claims tdxClaims(byte[] teeTcbSvn, Optional<String> tcbStatus) {
    byte[] mr = new byte[48];
    TdxClaims tdx = new TdxClaims(teeTcbSvn, mr, mr, 0, 0, 0, mr, mr, mr, mr, List.of(mr, mr, mr, mr), new byte[0],
        new byte[0], new byte[6], Hashes.sha256(Hashes.utf8("pck spki")), tcbStatus, tcbStatus.isPresent() ? List.of("INTEL-SA-00837") : List.of());
    return new Claims(Platform.TDX, 4, "PCK", TDX_MEASUREMENT, REPORT_DATA, new byte[48], false, tdx);
  }

  static final byte[] TDX_MEASUREMENT = new byte[240];

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

  @Test
  void snpGuestPolicyBitsAndAbiAreCheckedAgainstThePolicy() {
    // Proves migration agent, SMT, single socket and minimum ABI each refuse with GUEST_POLICY_NOT_ALLOWED.
    long smt = SnpClaims.POLICY_SMT_BIT | (1L << 17);
    Claims migrating = snpClaims(Platform.SEV_SNP, MEASUREMENT, smt | SnpClaims.POLICY_MIGRATE_MA_BIT, 0);
    Claims smtGuest = snpClaims(Platform.SEV_SNP, MEASUREMENT, smt, 0);
    Claims abi = snpClaims(Platform.SEV_SNP, MEASUREMENT, smt | 0x0105, 0);

    assertThat(PolicyChecks.check(migrating, policy().build(), REPORT_DATA).detail()).contains("migration agent");
    assertThat(PolicyChecks.check(migrating, policy().setAllowMigrationAgent(true).build(), REPORT_DATA).accepted())
        .isTrue();
    assertThat(PolicyChecks.check(smtGuest, policy().build(), REPORT_DATA).accepted()).isTrue();
    assertThat(PolicyChecks.check(smtGuest, policy().setForbidSmt(true).build(), REPORT_DATA).reason())
        .isEqualTo(RejectReason.GUEST_POLICY_NOT_ALLOWED);
    assertThat(PolicyChecks.check(smtGuest, policy().setRequireSingleSocket(true).build(), REPORT_DATA).detail())
        .contains("single socket");
    assertThat(PolicyChecks.check(abi, policy().setMinAbiMajor(1).setMinAbiMinor(5).build(), REPORT_DATA).accepted())
        .isTrue();
    assertThat(PolicyChecks.check(abi, policy().setMinAbiMajor(1).setMinAbiMinor(6).build(), REPORT_DATA).detail())
        .contains("ABI 1.5, below the minimum 1.6");
  }

  @Test
  void allowedPlatformsAndHostDataNarrowWhatIsAccepted() {
    // Proves a platform list excludes other hardware, and host data must be listed when the policy lists any.
    Claims snp = claims(Platform.SEV_SNP, MEASUREMENT, false, 0);
    Policy tdxOnly = policy().addAllowedPlatforms(Platform.TDX).build();
    Policy hostData = policy().addAllowedHostData(ByteString.copyFrom(new byte[] {1})).build();

    assertThat(PolicyChecks.check(snp, tdxOnly, REPORT_DATA).reason()).isEqualTo(RejectReason.PLATFORM_NOT_ALLOWED);
    assertThat(PolicyChecks.check(snp, hostData, REPORT_DATA).reason()).isEqualTo(RejectReason.HOST_DATA_NOT_ALLOWED);
    assertThat(PolicyChecks.check(snp, policy().addAllowedHostData(ByteString.copyFrom(new byte[32])).build(),
        REPORT_DATA).accepted()).isTrue();
  }

  @Test
  void tdxTcbFloorAndStatusAreChecked() {
    // Proves the TEE_TCB_SVN floor is per byte, and an accepted-status list needs TCB info and a listed status.
    byte[] svn = new byte[16];
    svn[0] = 3;
    Policy base = Policy.newBuilder().setName("tdx").addAllowedMeasurements(ByteString.copyFrom(TDX_MEASUREMENT))
        .build();
    byte[] floor = new byte[16];
    floor[0] = 4;

    assertThat(PolicyChecks.check(tdxClaims(svn, Optional.empty()), base, REPORT_DATA).accepted()).isTrue();
    assertThat(PolicyChecks.check(tdxClaims(svn, Optional.empty()),
        base.toBuilder().setMinTdxTeeTcbSvn(ByteString.copyFrom(floor)).build(), REPORT_DATA).detail())
        .contains("TEE_TCB_SVN[0] 3 < 4");
    Policy upToDate = base.toBuilder().addAcceptedTcbStatuses("UpToDate").build();
    assertThat(PolicyChecks.check(tdxClaims(svn, Optional.empty()), upToDate, REPORT_DATA).detail())
        .contains("no TCB info");
    assertThat(PolicyChecks.check(tdxClaims(svn, Optional.of("OutOfDate")), upToDate, REPORT_DATA).detail())
        .contains("OutOfDate").contains("INTEL-SA-00837");
    assertThat(PolicyChecks.check(tdxClaims(svn, Optional.of("UpToDate")), upToDate, REPORT_DATA).accepted()).isTrue();
  }

  @Test
  void simulatedTdxClaimsNeedAllowSimulatedAndUseTheirPlatformEntry() {
    // Proves SIMULATED_TDX is refused as simulated, and once allowed is judged by its entry (not real TDX's statuses).
    Claims tdx = tdxClaims(new byte[16], Optional.empty());
    Claims simulated = new Claims(Platform.SIMULATED_TDX, 4, "PCK", TDX_MEASUREMENT, REPORT_DATA, new byte[48], false,
        tdx.details());
    Policy.Builder realNeedsStatus = Policy.newBuilder().setName("mixed")
        .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.TDX)
            .addAllowedMeasurements(ByteString.copyFrom(TDX_MEASUREMENT)).addAcceptedTcbStatuses("UpToDate"))
        .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.SIMULATED_TDX)
            .addAllowedMeasurements(ByteString.copyFrom(TDX_MEASUREMENT)));

    AttestationResult refused = PolicyChecks.check(simulated, realNeedsStatus.build(), REPORT_DATA);
    AttestationResult allowed = PolicyChecks.check(simulated, realNeedsStatus.setAllowSimulated(true).build(),
        REPORT_DATA);
    AttestationResult real = PolicyChecks.check(tdx, realNeedsStatus.build(), REPORT_DATA);

    assertThat(refused.reason()).isEqualTo(RejectReason.SIMULATED_NOT_ALLOWED);
    assertThat(refused.detail()).contains("SIMULATED_TDX");
    assertThat(allowed.accepted()).as(allowed.toString()).isTrue();
    assertThat(real.reason()).isEqualTo(RejectReason.TCB_STATUS_NOT_ALLOWED);
    assertThat(real.detail()).contains("platform_values for TDX");
  }

  @Test
  void failuresListEveryEntryCheckThatFails() {
    // Proves the every-failure view also reads the platform entry: measurement and host data from the entry both fail.
    Claims snp = claims(Platform.SEV_SNP, MEASUREMENT, false, 0);
    Policy policy = policy().addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.SEV_SNP)
        .addAllowedMeasurements(ByteString.copyFrom(new byte[48]))
        .addAllowedHostData(ByteString.copyFrom(new byte[] {1}))).build();

    assertThat(PolicyChecks.failures(snp, policy, REPORT_DATA)).extracting(AttestationResult::reason)
        .containsExactly(RejectReason.MEASUREMENT_NOT_ALLOWED, RejectReason.HOST_DATA_NOT_ALLOWED);
  }
}
