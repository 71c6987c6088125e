package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import org.junit.jupiter.api.Test;

/** The YAML policy file: every key reaches the Policy, and every error names the key, the bad value and what is expected. */
class PolicyFileTest {
  static final String SNP_MEASUREMENT = "ab".repeat(48);
  static final String TDX_MEASUREMENT = "cd".repeat(240);
  static final String ROOT = "11".repeat(32);
  static final String TDX_ROOT = "22".repeat(32);

  static final String MIXED = """
      name: mixed-dev
      allow_simulated: true
      simulated_root_sha256: %s
      simulated_tdx_root_sha256: %s
      platform_values:
        - platform: simulated-snp
          measurements: ['%s']
          host_data: ['%s']
          min_tcb: {bl: 3, snp: 8, ucode: 115}
        - platform: simulated-tdx
          measurements: ['%s']
          host_data: ['%s']
          min_tdx_tee_tcb_svn: 05010200000000000000000000000000
        - platform: tdx
          measurements: ['%s']
          accepted_tcb_statuses: [UpToDate, SWHardeningNeeded]
      """.formatted(ROOT, TDX_ROOT, SNP_MEASUREMENT, "00".repeat(32), TDX_MEASUREMENT, "ef".repeat(48),
      TDX_MEASUREMENT);

  static Policy parse(String yaml) throws ConfigException {
    return PolicyFile.parse(yaml, "policy.yaml");
  }

  @Test
  void theTopLevelKeysReachThePolicyAsBefore() throws Exception {
    // Proves a policy file without the new keys reads exactly as it did: platforms, measurements, TCB floor, ABI, statuses.
    Policy policy = parse("""
        name: prod-2026-11
        platforms: [snp, tdx, nitro]
        measurements: ['%s']
        min_tcb: {bl: 3, tee: 0, snp: 8, ucode: 115}
        min_abi: '1.55'
        accepted_tcb_statuses: [UpToDate]
        """.formatted(SNP_MEASUREMENT));

    assertThat(policy.getName()).isEqualTo("prod-2026-11");
    assertThat(policy.getAllowedPlatformsList()).containsExactly(Platform.SEV_SNP, Platform.TDX, Platform.NITRO);
    assertThat(policy.getAllowedMeasurements(0)).isEqualTo(ByteString.copyFrom(Hashes.unhex(SNP_MEASUREMENT)));
    assertThat(policy.getMinTcb()).isEqualTo(TcbVersion.newBuilder().setBootloader(3).setSnp(8).setMicrocode(115).build());
    assertThat(policy.getMinAbiMajor()).isEqualTo(1);
    assertThat(policy.getMinAbiMinor()).isEqualTo(55);
    assertThat(policy.getAcceptedTcbStatusesList()).containsExactly("UpToDate");
    assertThat(policy.getAllowSimulated()).isFalse();
    assertThat(policy.getPlatformValuesList()).isEmpty();
  }

  @Test
  void platformValuesAndSimulatedRootsAreRead() throws Exception {
    // Proves each platform_values entry becomes a PlatformValues with its platform, lengths and floors, and both simulated roots are pinned.
    Policy policy = parse(MIXED);

    assertThat(policy.getAllowSimulated()).isTrue();
    assertThat(policy.getSimulatedRootSha256().toByteArray()).isEqualTo(Hashes.unhex(ROOT));
    assertThat(policy.getSimulatedTdxRootSha256().toByteArray()).isEqualTo(Hashes.unhex(TDX_ROOT));
    assertThat(policy.getPlatformValuesList()).extracting(PlatformValues::getPlatform)
        .containsExactly(Platform.SIMULATED_SNP, Platform.SIMULATED_TDX, Platform.TDX);
    PlatformValues snp = policy.getPlatformValues(0);
    assertThat(snp.getAllowedMeasurements(0).size()).isEqualTo(48);
    assertThat(snp.getAllowedHostData(0).size()).isEqualTo(32);
    assertThat(snp.getMinTcb()).isEqualTo(TcbVersion.newBuilder().setBootloader(3).setSnp(8).setMicrocode(115).build());
    PlatformValues tdx = policy.getPlatformValues(1);
    assertThat(tdx.getAllowedMeasurements(0).size()).isEqualTo(240);
    assertThat(tdx.getAllowedHostData(0).size()).isEqualTo(48);
    assertThat(tdx.getMinTdxTeeTcbSvn().toByteArray()).isEqualTo(Hashes.unhex("05010200000000000000000000000000"));
    assertThat(tdx.hasMinTcb()).isFalse();
    assertThat(policy.getPlatformValues(2).getAcceptedTcbStatusesList()).containsExactly("UpToDate", "SWHardeningNeeded");
  }

  @Test
  void simulatedPlatformsCanBeListedAndTheirNamesAreChecked() throws Exception {
    // Proves platforms may name simulated-snp / simulated-tdx, and an unknown name is refused with its key, value and the choices.
    Policy policy = parse(MIXED + "platforms: [simulated-snp, SIMULATED_TDX, tdx]\n");

    assertThat(policy.getAllowedPlatformsList()).containsExactly(Platform.SIMULATED_SNP, Platform.SIMULATED_TDX,
        Platform.TDX);
    assertThatThrownBy(() -> parse(MIXED.replace("platform: tdx", "platform: sgx")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("key 'platform_values[2].platform' is 'sgx'")
        .hasMessageContaining("expected one of snp, tdx, nitro, simulated-snp, simulated-tdx");
    assertThatThrownBy(() -> parse(MIXED + "platforms: [sim]\n")).hasMessageContaining("key 'platforms[0]' is 'sim'");
  }

  @Test
  void aMeasurementOfTheWrongLengthNamesTheYamlKey() {
    // Proves a 40-byte simulated TDX measurement is refused naming the entry's YAML key (measurements, not allowed_measurements).
    String bad = MIXED.replaceFirst(TDX_MEASUREMENT, "cd".repeat(40)); // the simulated-tdx entry's, listed first

    assertThatThrownBy(() -> parse(bad)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("policy.yaml: field platform_values[1].measurements[0] is 40 bytes, SIMULATED_TDX "
            + "measurements are 240");
  }

  @Test
  void duplicatesWrongFloorsAndBadHexAreNamed() {
    // Proves a repeated platform, a TDX floor on an SNP entry, non-hex bytes and a missing platform each name their key.
    String duplicate = MIXED.replace("platform: tdx", "platform: simulated-tdx");
    String snpWithTdxFloor = MIXED.replace("min_tcb: {bl: 3, snp: 8, ucode: 115}",
        "min_tdx_tee_tcb_svn: 05010200000000000000000000000000");

    assertThatThrownBy(() -> parse(duplicate)).hasMessageContaining("platform_values[2].platform repeats SIMULATED_TDX");
    assertThatThrownBy(() -> parse(snpWithTdxFloor))
        .hasMessageContaining("platform_values[0].min_tdx_tee_tcb_svn is set, but SIMULATED_SNP is not a TDX platform");
    assertThatThrownBy(() -> parse(MIXED.replace("simulated_tdx_root_sha256: " + TDX_ROOT,
        "simulated_tdx_root_sha256: xyz")))
        .hasMessageContaining("key 'simulated_tdx_root_sha256' is 'xyz', expected hex digits");
    assertThatThrownBy(() -> parse(MIXED.replace("- platform: tdx\n", "- measurements: []\n")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("platform");
    assertThatThrownBy(() -> parse(MIXED.replace("min_tdx_tee_tcb_svn: 0501", "min_tdx_tee_tcb_svm: 0501")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("min_tdx_tee_tcb_svm");
  }

  @Test
  void simulationNeedsARootAndEntriesNeedAnAdmittedPlatform() {
    // Proves allow_simulated without any simulated root, and a simulated entry without allow_simulated, are refused.
    String noRoots = MIXED.replace("simulated_root_sha256: " + ROOT + "\n", "")
        .replace("simulated_tdx_root_sha256: " + TDX_ROOT + "\n", "");
    String notAllowed = MIXED.replace("allow_simulated: true", "allow_simulated: false");

    assertThatThrownBy(() -> parse(noRoots)).hasMessageContaining("simulated_root_sha256 is 0 bytes");
    assertThatThrownBy(() -> parse(notAllowed))
        .hasMessageContaining("platform_values[0] is for SIMULATED_SNP").hasMessageContaining("allow_simulated");
  }

  @Test
  void minAbiPartsMustFitOneByte() {
    // Proves an ABI part above 255 is refused naming the key and the value, not with the proto's field names.
    assertThatThrownBy(() -> parse("name: p\nmin_abi: '1.256'\n"))
        .hasMessageContaining("key 'min_abi' is '1.256', expected major.minor with each part 0 to 255");
  }
}
