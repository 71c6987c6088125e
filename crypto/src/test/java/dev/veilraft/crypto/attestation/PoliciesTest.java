package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Policy validation: every value that could never match is refused with its field path, per-platform entries included. */
class PoliciesTest {
  static final ByteString ROOT = ByteString.copyFrom(Hashes.sha256(Hashes.utf8("simulated root")));

  static Policy.Builder simulated() {
    return Policy.newBuilder().setName("mixed").setAllowSimulated(true).setSimulatedRootSha256(ROOT)
        .setSimulatedTdxRootSha256(ROOT);
  }

  static PlatformValues.Builder entry(Platform platform, int measurementBytes) {
    return PlatformValues.newBuilder().setPlatform(platform)
        .addAllowedMeasurements(ByteString.copyFrom(new byte[measurementBytes]));
  }

  static Optional<String> problem(Policy.Builder policy) {
    return Policies.problem(policy.build(), "policy.");
  }

  @Test
  void aMeasurementOfTheWrongLengthForItsPlatformIsNamedWithItsPath() {
    // Proves a 40-byte SIMULATED_TDX measurement is refused with the entry, index, length and the platform's length.
    Policy.Builder policy = simulated().addPlatformValues(entry(Platform.SIMULATED_SNP, 48))
        .addPlatformValues(entry(Platform.SIMULATED_TDX, 40));

    assertThat(problem(policy)).contains("field policy.platform_values[1].allowed_measurements[0] is 40 bytes, "
        + "SIMULATED_TDX measurements are 240 (MRTD||RTMR0..3)");
  }

  @Test
  void aLengthValidForAnotherPlatformIsStillRefused() {
    // Proves a 48-byte (SNP-sized) measurement in a TDX entry and a 240-byte one in an SNP entry are both refused.
    assertThat(problem(simulated().addPlatformValues(entry(Platform.SIMULATED_TDX, 48)))).get().asString()
        .contains("platform_values[0].allowed_measurements[0] is 48 bytes, SIMULATED_TDX measurements are 240");
    assertThat(problem(simulated().addPlatformValues(entry(Platform.SIMULATED_SNP, 240)))).get().asString()
        .contains("SIMULATED_SNP measurements are 48");
    assertThat(problem(Policy.newBuilder().setName("n").addPlatformValues(entry(Platform.NITRO, 48)))).get()
        .asString().contains("NITRO measurements are 144 (PCR0||PCR1||PCR2)");
  }

  @Test
  void aPlatformHasAtMostOneEntry() {
    // Proves a repeated platform is refused naming both entries, since only one could ever be used.
    Policy.Builder policy = simulated().addPlatformValues(entry(Platform.SIMULATED_TDX, 240))
        .addPlatformValues(entry(Platform.SIMULATED_SNP, 48)).addPlatformValues(entry(Platform.SIMULATED_TDX, 240));

    assertThat(problem(policy)).contains("field policy.platform_values[2].platform repeats SIMULATED_TDX (already in "
        + "policy.platform_values[0]); a platform has at most one entry");
  }

  @Test
  void entriesNeedAPlatformTheyCanBeUsedFor() {
    // Proves entries with no platform, or for a platform the policy never admits, are refused as typos.
    assertThat(problem(simulated().addPlatformValues(PlatformValues.newBuilder()))).contains(
        "field policy.platform_values[0].platform names no platform");
    assertThat(problem(Policy.newBuilder().setName("prod").addPlatformValues(entry(Platform.SIMULATED_TDX, 240))))
        .get().asString().contains("platform_values[0] is for SIMULATED_TDX").contains("allow_simulated is not set");
    assertThat(problem(Policy.newBuilder().setName("prod").addAllowedPlatforms(Platform.SEV_SNP)
        .addPlatformValues(entry(Platform.TDX, 240)))).get().asString()
        .contains("platform_values[0] is for TDX").contains("allowed_platforms is [SEV_SNP]");
  }

  @Test
  void tcbFloorsMustBeThePlatformsOwn() {
    // Proves an SNP TCB on a TDX entry, a TDX floor or TCB status on an SNP entry, and a short TDX floor are each refused.
    PlatformValues.Builder tdxWithSnpTcb = entry(Platform.SIMULATED_TDX, 240).setMinTcb(TcbVersion.newBuilder().setSnp(8));
    PlatformValues.Builder snpWithTdxFloor = entry(Platform.SIMULATED_SNP, 48)
        .setMinTdxTeeTcbSvn(ByteString.copyFrom(new byte[16]));
    PlatformValues.Builder snpWithStatus = entry(Platform.SIMULATED_SNP, 48).addAcceptedTcbStatuses("UpToDate");
    PlatformValues.Builder shortFloor = entry(Platform.SIMULATED_TDX, 240)
        .setMinTdxTeeTcbSvn(ByteString.copyFrom(new byte[15]));
    PlatformValues.Builder badStatus = entry(Platform.SIMULATED_TDX, 240).addAcceptedTcbStatuses("Fine");
    PlatformValues.Builder bigTcb = entry(Platform.SIMULATED_SNP, 48).setMinTcb(TcbVersion.newBuilder().setSnp(256));

    assertThat(problem(simulated().addPlatformValues(tdxWithSnpTcb))).contains("field policy.platform_values[0].min_tcb "
        + "is set, but SIMULATED_TDX has no SEV-SNP TCB; use min_tdx_tee_tcb_svn");
    assertThat(problem(simulated().addPlatformValues(snpWithTdxFloor))).contains("field policy.platform_values[0]"
        + ".min_tdx_tee_tcb_svn is set, but SIMULATED_SNP is not a TDX platform; use min_tcb");
    assertThat(problem(simulated().addPlatformValues(snpWithStatus))).get().asString()
        .contains("platform_values[0].accepted_tcb_statuses is set");
    assertThat(problem(simulated().addPlatformValues(shortFloor))).contains(
        "field policy.platform_values[0].min_tdx_tee_tcb_svn is 15 bytes; expected 16");
    assertThat(problem(simulated().addPlatformValues(badStatus))).get().asString()
        .startsWith("field policy.platform_values[0].accepted_tcb_statuses[0] 'Fine' is not a TCB status");
    assertThat(problem(simulated().addPlatformValues(bigTcb))).get().asString()
        .startsWith("field policy.platform_values[0].min_tcb has a component above 255");
  }

  @Test
  void hostDataMustFitThePlatform() {
    // Proves host data of the other format's length, and any host data for Nitro, are refused with the field named.
    PlatformValues.Builder tdx = entry(Platform.SIMULATED_TDX, 240).addAllowedHostData(ByteString.copyFrom(new byte[32]));
    PlatformValues.Builder nitro = entry(Platform.NITRO, 144).addAllowedHostData(ByteString.copyFrom(new byte[32]));

    assertThat(problem(simulated().addPlatformValues(tdx))).contains(
        "field policy.platform_values[0].allowed_host_data[0] is 32 bytes, SIMULATED_TDX MRCONFIGID is 48");
    assertThat(problem(Policy.newBuilder().setName("n").addPlatformValues(nitro))).contains(
        "field policy.platform_values[0].allowed_host_data[0] is set, but NITRO evidence has no host data; leave it empty");
  }

  @Test
  void simulationNeedsARootOfTheRightLengthThatIsNotIntels() {
    // Proves allow_simulated needs at least one simulated root, either alone suffices, each must be 32 bytes,
    // and Intel's root can never be named as the simulated TDX root.
    Policy.Builder none = Policy.newBuilder().setName("sim").setAllowSimulated(true);

    assertThat(problem(none)).get().asString().startsWith("field policy.simulated_root_sha256 is 0 bytes; expected 32");
    assertThat(problem(none.clone().setSimulatedTdxRootSha256(ROOT))).isEmpty();
    assertThat(problem(none.clone().setSimulatedRootSha256(ROOT))).isEmpty();
    assertThat(problem(none.clone().setSimulatedTdxRootSha256(ROOT.substring(1)))).contains(
        "field policy.simulated_tdx_root_sha256 is 31 bytes; expected 32");
    assertThat(problem(none.clone().setSimulatedTdxRootSha256(ByteString.copyFrom(
        Hashes.unhex(PinnedRoot.INTEL_SGX_ROOT_SHA256))))).get().asString()
        .contains("simulated_tdx_root_sha256 is the SHA-256 of Intel's SGX Root CA");
  }

  @Test
  void policiesWithoutEntriesValidateAsBefore() {
    // Proves the top-level rules are unchanged: any of the three measurement lengths, and the old messages.
    Policy.Builder policy = Policy.newBuilder().setName("legacy")
        .addAllowedMeasurements(ByteString.copyFrom(new byte[48]))
        .addAllowedMeasurements(ByteString.copyFrom(new byte[144]))
        .addAllowedMeasurements(ByteString.copyFrom(new byte[240]));

    assertThat(problem(policy)).isEmpty();
    assertThat(problem(policy.addAllowedMeasurements(ByteString.copyFrom(new byte[47])))).contains(
        "field policy.allowed_measurements[3] is 47 bytes; expected 48 (SEV-SNP), 144 (Nitro PCR0||PCR1||PCR2) or "
            + "240 (TDX MRTD||RTMR0..3)");
  }
}
