package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One policy for a group that mixes simulated SEV-SNP and simulated TDX members: each platform is
 * judged by its own platform_values entry, both roots live in one simulated vendor directory, and
 * every member can verify every other member's evidence.
 */
class MixedPlatformPolicyTest {
  static final Instant AT = Instant.parse("2026-06-01T00:00:00Z");
  static final byte[] CODE = Hashes.sha384(Hashes.utf8("veilraft mixed-group code"));
  static final byte[] SNP_MEASUREMENT = CODE;
  static final byte[] TDX_MEASUREMENT = SimulatedTdxAttester.measurementOfCode(CODE);
  static final byte[] MR_CONFIG_ID = Hashes.sha384(Hashes.utf8("tdx members' config"));

  @TempDir static Path dir;
  static SimulatedSnpVendor snpVendor;
  static SimulatedTdxVendor tdxVendor;
  static final AttestationVerifier verifier = new AttestationVerifier();

  @BeforeAll
  static void createOneVendorDirectoryForBoth() throws Exception {
    snpVendor = SimulatedSnpVendor.openOrCreate(dir.resolve("sim-vendor"));
    tdxVendor = SimulatedTdxVendor.openOrCreate(dir.resolve("sim-vendor"));
  }

  static PlatformValues.Builder snpValues() {
    return PlatformValues.newBuilder().setPlatform(Platform.SIMULATED_SNP)
        .addAllowedMeasurements(ByteString.copyFrom(SNP_MEASUREMENT)).setMinTcb(SimulatedSnpChip.DEFAULT_TCB);
  }

  static PlatformValues.Builder tdxValues() {
    return PlatformValues.newBuilder().setPlatform(Platform.SIMULATED_TDX)
        .addAllowedMeasurements(ByteString.copyFrom(TDX_MEASUREMENT))
        .addAllowedHostData(ByteString.copyFrom(MR_CONFIG_ID))
        .setMinTdxTeeTcbSvn(ByteString.copyFrom(SimulatedTdxMachine.defaultTeeTcbSvn()));
  }

  /** Top-level values that admit nothing, so any acceptance below comes from a platform entry. */
  static Policy.Builder mixed() {
    return Policy.newBuilder().setName("mixed-sim").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(snpVendor.arkSha256()))
        .setSimulatedTdxRootSha256(ByteString.copyFrom(tdxVendor.rootSha256()))
        .addPlatformValues(snpValues()).addPlatformValues(tdxValues());
  }

  static AttestationResult verify(Attester attester, Policy policy) throws Exception {
    byte[] reportData = ReportData.bind(Hashes.utf8("nonce"), Hashes.utf8("spki"), Hashes.utf8("kem"));
    return verifier.verify(attester.attest(reportData), policy, reportData, AT);
  }

  static SimulatedSnpAttester snpMember(String name) throws Exception {
    return SimulatedSnpAttester.create(SimulatedSnpChip.openOrCreate(dir.resolve(name), snpVendor), SNP_MEASUREMENT);
  }

  static SimulatedTdxAttester tdxMember(String name) throws Exception {
    return SimulatedTdxAttester.builder(SimulatedTdxMachine.openOrCreate(dir.resolve(name), tdxVendor), TDX_MEASUREMENT)
        .mrConfigId(MR_CONFIG_ID).build();
  }

  @Test
  void theMixedPolicyIsValidAndAdmitsBothPlatforms() throws Exception {
    // Proves a policy with SIMULATED_SNP and SIMULATED_TDX entries passes validation and admits a member of each, judged by its entry.
    Policy policy = mixed().build();

    AttestationResult snp = verify(snpMember("snp-1"), policy);
    AttestationResult tdx = verify(tdxMember("tdx-1"), policy);

    assertThat(Policies.problem(policy, "policy.")).isEmpty();
    assertThat(snp.accepted()).as(snp.toString()).isTrue();
    assertThat(snp.claims().platform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(tdx.accepted()).as(tdx.toString()).isTrue();
    assertThat(tdx.claims().platform()).isEqualTo(Platform.SIMULATED_TDX);
  }

  @Test
  void eachPlatformIsJudgedOnlyByItsOwnEntry() throws Exception {
    // Proves the TDX entry's host data and TCB floor never apply to SNP members and vice versa, and rejections name the entry.
    byte[] higherSvn = SimulatedTdxMachine.defaultTeeTcbSvn();
    higherSvn[0]++;
    Policy tdxFloorRaised = mixed().setPlatformValues(1, tdxValues()
        .setMinTdxTeeTcbSvn(ByteString.copyFrom(higherSvn))).build();
    Policy snpFloorRaised = mixed().setPlatformValues(0, snpValues()
        .setMinTcb(SimulatedSnpChip.DEFAULT_TCB.toBuilder().setSnp(99))).build();

    AttestationResult tdxBelow = verify(tdxMember("tdx-1"), tdxFloorRaised);
    AttestationResult snpBelow = verify(snpMember("snp-1"), snpFloorRaised);

    assertThat(verify(snpMember("snp-1"), tdxFloorRaised).accepted()).isTrue();
    assertThat(verify(tdxMember("tdx-1"), snpFloorRaised).accepted()).isTrue();
    assertThat(tdxBelow.reason()).isEqualTo(RejectReason.TCB_BELOW_MINIMUM);
    assertThat(tdxBelow.detail()).contains("platform_values for SIMULATED_TDX");
    assertThat(snpBelow.reason()).isEqualTo(RejectReason.TCB_BELOW_MINIMUM);
    assertThat(snpBelow.detail()).contains("platform_values for SIMULATED_SNP");
  }

  @Test
  void anEntryReplacesTheTopLevelValuesAndOtherPlatformsKeepThem() throws Exception {
    // Proves a top-level measurement does not admit a platform that has an entry, while a platform without one still uses the top level.
    SimulatedTdxAttester otherCode = SimulatedTdxAttester.builder(
        SimulatedTdxMachine.openOrCreate(dir.resolve("tdx-1"), tdxVendor),
        SimulatedTdxAttester.measurementOfCode(Hashes.sha384(Hashes.utf8("other code")))).mrConfigId(MR_CONFIG_ID).build();
    Policy topLevelAllowsOther = mixed().addAllowedMeasurements(ByteString.copyFrom(otherCode.measurement())).build();
    Policy snpEntryOnly = mixed().removePlatformValues(1)
        .addAllowedMeasurements(ByteString.copyFrom(TDX_MEASUREMENT)).build();

    AttestationResult viaTopLevel = verify(otherCode, topLevelAllowsOther);
    AttestationResult tdxByTopLevel = verify(tdxMember("tdx-1"), snpEntryOnly);

    assertThat(viaTopLevel.reason()).isEqualTo(RejectReason.MEASUREMENT_NOT_ALLOWED);
    assertThat(viaTopLevel.detail()).contains("platform_values for SIMULATED_TDX").contains("1 allowed");
    assertThat(tdxByTopLevel.accepted()).as(tdxByTopLevel.toString()).isTrue();
    assertThat(verify(snpMember("snp-1"), snpEntryOnly).accepted()).isTrue();
  }

  @Test
  void listingOneSimulatedPlatformRefusesTheOther() throws Exception {
    // Proves allowed_platforms naming SIMULATED_SNP alone refuses SIMULATED_TDX evidence, while allow_simulated alone admits both.
    Policy snpOnly = mixed().removePlatformValues(1).addAllowedPlatforms(Platform.SIMULATED_SNP).build();

    AttestationResult tdx = verify(tdxMember("tdx-1"), snpOnly);

    assertThat(Policies.problem(snpOnly)).isEmpty();
    assertThat(verify(snpMember("snp-1"), snpOnly).accepted()).isTrue();
    assertThat(tdx.reason()).isEqualTo(RejectReason.PLATFORM_NOT_ALLOWED);
    assertThat(tdx.detail()).contains("SIMULATED_TDX");
  }

  @Test
  void everyMemberOfAMixedGroupVerifiesEveryOtherOnDistinctPlatforms() throws Exception {
    // Proves a group of two SNP chips and two TDX machines under one policy: all pairs verify, and instance ids are distinct per chip or machine.
    List<Attester> members = List.of(snpMember("group-snp-a"), snpMember("group-snp-b"), tdxMember("group-tdx-a"),
        tdxMember("group-tdx-b"));
    Policy policy = mixed().build();
    Set<String> instanceIds = new HashSet<>();
    List<Platform> platforms = new ArrayList<>();
    for (Attester verifierMember : members) {
      for (Attester member : members) {
        byte[] nonce = Hashes.utf8("challenge from " + verifierMember + " to " + member);
        byte[] reportData = ReportData.bind(nonce, Hashes.utf8("spki"), Hashes.utf8("kem"));
        Evidence evidence = member.attest(reportData);

        AttestationResult result = verifier.verify(evidence, policy, reportData, AT);

        assertThat(result.accepted()).as(member + " verified by " + verifierMember + ": " + result).isTrue();
        if (verifierMember == members.get(0)) {
          instanceIds.add(Hashes.hex(result.claims().platformInstanceId()));
          platforms.add(result.claims().platform());
        }
      }
    }
    assertThat(instanceIds).hasSize(4);
    assertThat(platforms).containsExactly(Platform.SIMULATED_SNP, Platform.SIMULATED_SNP, Platform.SIMULATED_TDX,
        Platform.SIMULATED_TDX);
  }

  @Test
  void realPlatformsMayHaveEntriesBesideSimulatedOnes() {
    // Proves a policy can carry SEV_SNP, TDX and NITRO entries with their own lengths, and the resolved values are each entry's.
    Policy policy = mixed()
        .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.SEV_SNP)
            .addAllowedMeasurements(ByteString.copyFrom(new byte[48])).setMinTcb(TcbVersion.newBuilder().setSnp(8)))
        .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.TDX)
            .addAllowedMeasurements(ByteString.copyFrom(new byte[240])).addAcceptedTcbStatuses("UpToDate"))
        .addPlatformValues(PlatformValues.newBuilder().setPlatform(Platform.NITRO)
            .addAllowedMeasurements(ByteString.copyFrom(new byte[144])))
        .build();

    assertThat(Policies.problem(policy)).isEmpty();
    assertThat(ReferenceValues.of(policy, Platform.TDX).acceptedTcbStatuses()).containsExactly("UpToDate");
    assertThat(ReferenceValues.of(policy, Platform.SIMULATED_TDX).acceptedTcbStatuses()).isEmpty();
    assertThat(ReferenceValues.of(policy, Platform.NITRO).allowedMeasurements()).containsExactly(
        ByteString.copyFrom(new byte[144]));
    assertThat(ReferenceValues.of(policy, Platform.SEV_SNP).minTcb()).contains(TcbVersion.newBuilder().setSnp(8).build());
  }
}
