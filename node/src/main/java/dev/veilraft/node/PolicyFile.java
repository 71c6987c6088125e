package dev.veilraft.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Policies;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * platform_values:                  # per platform, replacing the values above for it
 *   - platform: tdx
 *     measurements: [a1b2…]         # 480 hex digits: MRTD||RTMR0..3
 *     min_tdx_tee_tcb_svn: 05010200000000000000000000000000
 *     accepted_tcb_statuses: [UpToDate]
 * </pre>
 *
 * A development cluster that mixes simulated TEEs adds {@code allow_simulated: true}, the pinned
 * simulated roots ({@code simulated_root_sha256} for simulated SEV-SNP,
 * {@code simulated_tdx_root_sha256} for simulated TDX, 64 hex digits each) and entries for
 * {@code simulated-snp} and {@code simulated-tdx}. INSECURE: never in production.
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
    @JsonProperty("accepted_tcb_statuses") List<String> acceptedTcbStatuses,
    @JsonProperty("platform_values") List<Entry> platformValues,
    @JsonProperty("allow_simulated") Boolean allowSimulated,
    @JsonProperty("simulated_root_sha256") String simulatedRootSha256,
    @JsonProperty("simulated_tdx_root_sha256") String simulatedTdxRootSha256) {

  /** SEV-SNP TCB floor; components left out are 0. */
  public record MinTcb(
      @JsonProperty("bl") Integer bootloader,
      @JsonProperty("tee") Integer tee,
      @JsonProperty("snp") Integer snp,
      @JsonProperty("ucode") Integer microcode,
      @JsonProperty("fmc") Integer fmc) {}

  /**
   * One {@code platform_values} entry: the reference values for one platform, with the same keys
   * (and meanings) as at the top level. It replaces the top-level values for that platform as a
   * whole; a key left out means what it means at the top level, not "inherit".
   */
  public record Entry(
      @JsonProperty(value = "platform", required = true) String platform,
      @JsonProperty("measurements") List<String> measurements,
      @JsonProperty("host_data") List<String> hostData,
      @JsonProperty("min_tcb") MinTcb minTcb,
      @JsonProperty("min_tdx_tee_tcb_svn") String minTdxTeeTcbSvn,
      @JsonProperty("accepted_tcb_statuses") List<String> acceptedTcbStatuses) {}

  private static final Pattern ABI = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})");
  /** SEV-SNP ABI major and minor are one byte each. */
  private static final int ABI_PART_MAX = 255;
  /** Platform names a policy file accepts, simulated ones included, and what they mean. */
  private static final Map<String, Platform> POLICY_PLATFORMS = Map.ofEntries(
      Map.entry("snp", Platform.SEV_SNP), Map.entry("sev-snp", Platform.SEV_SNP), Map.entry("sev_snp", Platform.SEV_SNP),
      Map.entry("tdx", Platform.TDX), Map.entry("nitro", Platform.NITRO),
      Map.entry("simulated-snp", Platform.SIMULATED_SNP), Map.entry("simulated_snp", Platform.SIMULATED_SNP),
      Map.entry("simulated-tdx", Platform.SIMULATED_TDX), Map.entry("simulated_tdx", Platform.SIMULATED_TDX));
  private static final String POLICY_PLATFORM_NAMES = "snp, tdx, nitro, simulated-snp, simulated-tdx";
  /**
   * Policy fields whose YAML key differs from the proto field {@link Policies#problem} names, so its
   * messages can name the key the operator wrote.
   */
  private static final Map<String, String> YAML_KEYS = Map.of("allowed_measurements", "measurements",
      "allowed_host_data", "host_data", "allowed_platforms", "platforms");
  private static final Pattern PROTO_FIELD = Pattern.compile("\\b(" + String.join("|", YAML_KEYS.keySet()) + ")\\b");
  /** Bound on a value quoted back in an error message. */
  private static final int QUOTED_CHARS_MAX = 40;

  public static Policy read(Path file) throws ConfigException {
    return parse(YamlFiles.read(file, "policy file"), file.toString());
  }

  public static Policy parse(String yaml, String source) throws ConfigException {
    PolicyFile file = YamlFiles.parse(yaml, PolicyFile.class, source, "policy file");
    Policy policy = file.toPolicy(source);
    Optional<String> problem = Policies.problem(policy);
    if (problem.isPresent()) {
      throw new ConfigException(source + ": " + yamlKeys(problem.get()));
    }
    return policy;
  }

  private Policy toPolicy(String source) throws ConfigException {
    Policy.Builder policy = Policy.newBuilder().setName(name == null ? "" : name);
    for (int i = 0; i < orEmpty(platforms).size(); i++) {
      policy.addAllowedPlatforms(policyPlatform(platforms.get(i), "platforms[" + i + "]", source));
    }
    policy.addAllAllowedMeasurements(hexList(measurements, "measurements", source));
    policy.addAllAllowedHostData(hexList(hostData, "host_data", source));
    policy.setAllowDebug(Boolean.TRUE.equals(allowDebug));
    policy.setMaxVmpl(maxVmpl == null ? 0 : maxVmpl);
    if (minTcb != null) {
      policy.setMinTcb(tcb(minTcb));
    }
    policy.setAllowMigrationAgent(Boolean.TRUE.equals(allowMigrationAgent));
    policy.setForbidSmt(Boolean.TRUE.equals(forbidSmt));
    policy.setRequireSingleSocket(Boolean.TRUE.equals(requireSingleSocket));
    if (minAbi != null) {
      Matcher abi = ABI.matcher(minAbi);
      if (!abi.matches()) {
        throw new ConfigException(source + ": key 'min_abi' is '" + quoted(minAbi) + "', expected major.minor such as 1.55");
      }
      int major = Integer.parseInt(abi.group(1));
      int minor = Integer.parseInt(abi.group(2));
      if (major > ABI_PART_MAX || minor > ABI_PART_MAX) {
        throw new ConfigException(source + ": key 'min_abi' is '" + quoted(minAbi) + "', expected major.minor with "
            + "each part 0 to " + ABI_PART_MAX);
      }
      policy.setMinAbiMajor(major).setMinAbiMinor(minor);
    }
    if (minTdxTeeTcbSvn != null) {
      policy.setMinTdxTeeTcbSvn(hex(minTdxTeeTcbSvn, "min_tdx_tee_tcb_svn", source));
    }
    policy.addAllAcceptedTcbStatuses(orEmpty(acceptedTcbStatuses));
    for (int i = 0; i < orEmpty(platformValues).size(); i++) {
      policy.addPlatformValues(platformValues(platformValues.get(i), "platform_values[" + i + "]", source));
    }
    policy.setAllowSimulated(Boolean.TRUE.equals(allowSimulated));
    if (simulatedRootSha256 != null) {
      policy.setSimulatedRootSha256(hex(simulatedRootSha256, "simulated_root_sha256", source));
    }
    if (simulatedTdxRootSha256 != null) {
      policy.setSimulatedTdxRootSha256(hex(simulatedTdxRootSha256, "simulated_tdx_root_sha256", source));
    }
    return policy.build();
  }

  private static PlatformValues platformValues(Entry entry, String key, String source) throws ConfigException {
    if (entry == null) {
      throw new ConfigException(source + ": key '" + key + "' is empty, expected a map with at least 'platform'");
    }
    PlatformValues.Builder values = PlatformValues.newBuilder()
        .setPlatform(policyPlatform(entry.platform(), key + ".platform", source))
        .addAllAllowedMeasurements(hexList(entry.measurements(), key + ".measurements", source))
        .addAllAllowedHostData(hexList(entry.hostData(), key + ".host_data", source))
        .addAllAcceptedTcbStatuses(orEmpty(entry.acceptedTcbStatuses()));
    if (entry.minTcb() != null) {
      values.setMinTcb(tcb(entry.minTcb()));
    }
    if (entry.minTdxTeeTcbSvn() != null) {
      values.setMinTdxTeeTcbSvn(hex(entry.minTdxTeeTcbSvn(), key + ".min_tdx_tee_tcb_svn", source));
    }
    return values.build();
  }

  private static TcbVersion tcb(MinTcb tcb) {
    return TcbVersion.newBuilder().setBootloader(orZero(tcb.bootloader())).setTee(orZero(tcb.tee()))
        .setSnp(orZero(tcb.snp())).setMicrocode(orZero(tcb.microcode())).setFmc(orZero(tcb.fmc())).build();
  }

  /**
   * A hardware platform by the CLI's names ("snp", "tdx", "nitro") or the proto names SEV_SNP,
   * TDX, NITRO. Simulated platforms are not hardware and only appear in policy files.
   */
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

  /** A platform as a policy file names it: a hardware platform or "simulated-snp" / "simulated-tdx". */
  private static Platform policyPlatform(String name, String key, String source) throws ConfigException {
    Platform platform = POLICY_PLATFORMS.get(name == null ? "" : name.trim().toLowerCase(Locale.ROOT));
    if (platform == null) {
      throw new ConfigException(source + ": key '" + key + "' is '" + quoted(String.valueOf(name))
          + "', expected one of " + POLICY_PLATFORM_NAMES);
    }
    return platform;
  }

  private static List<ByteString> hexList(List<String> values, String key, String source) throws ConfigException {
    List<String> list = orEmpty(values);
    ByteString[] out = new ByteString[list.size()];
    for (int i = 0; i < list.size(); i++) {
      out[i] = hex(list.get(i), key + "[" + i + "]", source);
    }
    return List.of(out);
  }

  private static ByteString hex(String value, String key, String source) throws ConfigException {
    if (value == null) {
      throw new ConfigException(source + ": key '" + key + "' is empty, expected hex digits");
    }
    try {
      return ByteString.copyFrom(Hashes.unhex(value.trim()));
    } catch (RuntimeException e) {
      throw new ConfigException(source + ": key '" + key + "' is '" + quoted(value) + "', expected hex digits ("
          + e.getMessage() + ")");
    }
  }

  /** {@link Policies#problem} names proto fields; the operator wrote YAML keys, so name those. */
  static String yamlKeys(String problem) {
    Matcher matcher = PROTO_FIELD.matcher(problem);
    StringBuilder out = new StringBuilder();
    while (matcher.find()) {
      matcher.appendReplacement(out, Matcher.quoteReplacement(YAML_KEYS.get(matcher.group(1))));
    }
    matcher.appendTail(out);
    return out.toString();
  }

  private static String quoted(String value) {
    String printable = value.replaceAll("\\p{Cntrl}", "?");
    return printable.length() <= QUOTED_CHARS_MAX ? printable : printable.substring(0, QUOTED_CHARS_MAX) + "…";
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static int orZero(Integer value) {
    return value == null ? 0 : value;
  }
}
