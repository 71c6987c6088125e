package dev.veilraft.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Policies;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An attestation policy as an operator writes it (YAML, hex for bytes), turned into the
 * {@link Policy} every verifier applies. Unknown keys are errors, and the result must pass
 * {@link Policies#problem}, so a typo is reported with its key instead of silently matching
 * nothing. Example:
 *
 * <pre>
 * name: prod-2026-11
 * platforms: [snp, tdx, nitro]
 * measurements: [7a1e5c26…]        # 96, 288 or 480 hex digits
 * host_data: []                     # SEV-SNP HOST_DATA or TDX MRCONFIGID; empty = any
 * min_tcb: {bl: 3, tee: 0, snp: 8, ucode: 115}
 * accepted_tcb_statuses: [UpToDate]
 * </pre>
 */
public record PolicyFile(
    @JsonProperty(value = "name", required = true) String name,
    @JsonProperty("platforms") List<String> platforms,
    @JsonProperty("measurements") List<String> measurements,
    @JsonProperty("host_data") List<String> hostData,
    @JsonProperty("allow_debug") Boolean allowDebug,
    @JsonProperty("max_vmpl") Integer maxVmpl,
    @JsonProperty("min_tcb") MinTcb minTcb,
    @JsonProperty("allow_migration_agent") Boolean allowMigrationAgent,
    @JsonProperty("forbid_smt") Boolean forbidSmt,
    @JsonProperty("require_single_socket") Boolean requireSingleSocket,
    @JsonProperty("min_abi") String minAbi,
    @JsonProperty("min_tdx_tee_tcb_svn") String minTdxTeeTcbSvn,
    @JsonProperty("accepted_tcb_statuses") List<String> acceptedTcbStatuses) {

  /** SEV-SNP TCB floor; components left out are 0. */
  public record MinTcb(
      @JsonProperty("bl") Integer bootloader,
      @JsonProperty("tee") Integer tee,
      @JsonProperty("snp") Integer snp,
      @JsonProperty("ucode") Integer microcode,
      @JsonProperty("fmc") Integer fmc) {}

  private static final Pattern ABI = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})");
  public static Policy read(Path file) throws ConfigException {
    return parse(YamlFiles.read(file, "policy file"), file.toString());
  }

  public static Policy parse(String yaml, String source) throws ConfigException {
    PolicyFile file = YamlFiles.parse(yaml, PolicyFile.class, source, "policy file");
    Policy policy = file.toPolicy(source);
    Optional<String> problem = Policies.problem(policy);
    if (problem.isPresent()) {
      throw new ConfigException(source + ": " + problem.get());
    }
    return policy;
  }

  private Policy toPolicy(String source) throws ConfigException {
    Policy.Builder policy = Policy.newBuilder().setName(name == null ? "" : name);
    for (String platform : orEmpty(platforms)) {
      policy.addAllowedPlatforms(platform(platform, source));
    }
    for (int i = 0; i < orEmpty(measurements).size(); i++) {
      policy.addAllowedMeasurements(hex(measurements.get(i), "measurements[" + i + "]", source));
    }
    for (int i = 0; i < orEmpty(hostData).size(); i++) {
      policy.addAllowedHostData(hex(hostData.get(i), "host_data[" + i + "]", source));
    }
    policy.setAllowDebug(Boolean.TRUE.equals(allowDebug));
    policy.setMaxVmpl(maxVmpl == null ? 0 : maxVmpl);
    if (minTcb != null) {
      policy.setMinTcb(TcbVersion.newBuilder().setBootloader(orZero(minTcb.bootloader())).setTee(orZero(minTcb.tee()))
          .setSnp(orZero(minTcb.snp())).setMicrocode(orZero(minTcb.microcode())).setFmc(orZero(minTcb.fmc())));
    }
    policy.setAllowMigrationAgent(Boolean.TRUE.equals(allowMigrationAgent));
    policy.setForbidSmt(Boolean.TRUE.equals(forbidSmt));
    policy.setRequireSingleSocket(Boolean.TRUE.equals(requireSingleSocket));
    if (minAbi != null) {
      Matcher abi = ABI.matcher(minAbi);
      if (!abi.matches()) {
        throw new ConfigException(source + ": key 'min_abi' is '" + minAbi + "', expected major.minor such as 1.55");
      }
      policy.setMinAbiMajor(Integer.parseInt(abi.group(1))).setMinAbiMinor(Integer.parseInt(abi.group(2)));
    }
    if (minTdxTeeTcbSvn != null) {
      policy.setMinTdxTeeTcbSvn(hex(minTdxTeeTcbSvn, "min_tdx_tee_tcb_svn", source));
    }
    policy.addAllAcceptedTcbStatuses(orEmpty(acceptedTcbStatuses));
    return policy.build();
  }

  /** "snp", "tdx" or "nitro" (the CLI's names), or the proto names SEV_SNP, TDX, NITRO. */
  public static Platform platform(String name, String source) throws ConfigException {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "snp", "sev-snp", "sev_snp":
        return Platform.SEV_SNP;
      case "tdx":
        return Platform.TDX;
      case "nitro":
        return Platform.NITRO;
      default:
        throw new ConfigException(source + ": platform '" + name + "' is not one of snp, tdx, nitro");
    }
  }

  private static ByteString hex(String value, String key, String source) throws ConfigException {
    try {
      return ByteString.copyFrom(Hashes.unhex(value.trim()));
    } catch (RuntimeException e) {
      throw new ConfigException(source + ": key '" + key + "' is not hex: " + e.getMessage());
    }
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }
}
