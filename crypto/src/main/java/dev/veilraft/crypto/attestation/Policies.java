package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.PlatformValues;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Validation of a {@link Policy} before anyone relies on it: every length and value a verifier
 * would otherwise silently never match is refused with the field named, so an operator's typo
 * (a 47-byte measurement, an unknown TCB status) is found when the policy is written, not when
 * every join is rejected. Per-platform entries ({@code platform_values}) are held to their
 * platform's exact lengths, at most one per platform, and only for platforms the policy admits.
 */
public final class Policies {
  /** Whole launch measurement lengths: SEV-SNP (48), Nitro PCR0..2 (3 x 48), TDX MRTD + RTMR0..3 (5 x 48). */
  public static final Set<Integer> MEASUREMENT_BYTES = Set.of(48, 144, 240);
  /** SEV-SNP HOST_DATA (32) or TDX MRCONFIGID (48). */
  public static final Set<Integer> HOST_DATA_BYTES = Set.of(32, 48);
  public static final int TDX_TEE_TCB_SVN_BYTES = 16;
  public static final int SIMULATED_ROOT_BYTES = 32;
  /** TCB statuses Intel's TCB info and QE identity can yield, as the TDX verifier names them. */
  public static final Set<String> TCB_STATUSES = Arrays.stream(TdxTcbStatus.values())
      .map(TdxTcbStatus::jsonName).collect(Collectors.toUnmodifiableSet());
  /** Bound on list fields, so a policy stays small enough to replicate and compare cheaply. */
  public static final int LIST_ENTRIES_MAX = 256;

  private Policies() {}

  /** The first problem with {@code policy}, naming the field; empty when it is valid. */
  public static Optional<String> problem(Policy policy) {
    return problem(policy, "");
  }

  /**
   * As {@link #problem(Policy)}, with {@code fieldPrefix} before every field name, e.g. "policy."
   * when the policy is a field of a genesis document.
   */
  public static Optional<String> problem(Policy policy, String fieldPrefix) {
    String p = fieldPrefix;
    if (policy.getName().isBlank()) {
      return Optional.of("field " + p + "name is empty");
    }
    if (policy.getAllowedMeasurementsCount() > LIST_ENTRIES_MAX || policy.getAllowedHostDataCount() > LIST_ENTRIES_MAX
        || policy.getAllowedPlatformsCount() > LIST_ENTRIES_MAX || policy.getAcceptedTcbStatusesCount() > LIST_ENTRIES_MAX
        || policy.getPlatformValuesCount() > LIST_ENTRIES_MAX) {
      return Optional.of("a list field of " + (p.isEmpty() ? "the policy" : p) + " has more than " + LIST_ENTRIES_MAX + " entries");
    }
    for (int i = 0; i < policy.getAllowedMeasurementsCount(); i++) {
      int size = policy.getAllowedMeasurements(i).size();
      if (!MEASUREMENT_BYTES.contains(size)) {
        return Optional.of("field " + p + "allowed_measurements[" + i + "] is " + size + " bytes; expected 48 (SEV-SNP), "
            + "144 (Nitro PCR0||PCR1||PCR2) or 240 (TDX MRTD||RTMR0..3)");
      }
    }
    for (int i = 0; i < policy.getAllowedHostDataCount(); i++) {
      int size = policy.getAllowedHostData(i).size();
      if (!HOST_DATA_BYTES.contains(size)) {
        return Optional.of("field " + p + "allowed_host_data[" + i + "] is " + size + " bytes; expected 32 (SEV-SNP "
            + "HOST_DATA) or 48 (TDX MRCONFIGID)");
      }
    }
    for (int i = 0; i < policy.getAllowedPlatformsCount(); i++) {
      if (PlatformFormat.of(policy.getAllowedPlatforms(i)).isEmpty()) {
        return Optional.of("field " + p + "allowed_platforms[" + i + "] names no platform");
      }
    }
    Optional<String> problem = tdxTcbProblem(policy.getMinTdxTeeTcbSvn().size(), policy.getAcceptedTcbStatusesList(), p);
    if (problem.isPresent()) {
      return problem;
    }
    if (Integer.compareUnsigned(policy.getMinAbiMajor(), 0xFF) > 0 || Integer.compareUnsigned(policy.getMinAbiMinor(), 0xFF) > 0) {
      return Optional.of("fields " + p + "min_abi_major and " + p + "min_abi_minor must each fit in one byte");
    }
    if (policy.hasMinTcb()) {
      problem = snpTcbProblem(policy.getMinTcb(), p);
      if (problem.isPresent()) {
        return problem;
      }
    }
    if (Integer.compareUnsigned(policy.getMaxVmpl(), (int) SnpEvidenceVerifier.VMPL_MAX) > 0) {
      return Optional.of("field " + p + "max_vmpl is " + Integer.toUnsignedString(policy.getMaxVmpl()) + "; VMPLs are 0 to "
          + SnpEvidenceVerifier.VMPL_MAX);
    }
    problem = simulatedRootsProblem(policy, p);
    if (problem.isPresent()) {
      return problem;
    }
    return platformValuesProblem(policy, p);
  }

  private static Optional<String> simulatedRootsProblem(Policy policy, String p) {
    int snpRoot = policy.getSimulatedRootSha256().size();
    int tdxRoot = policy.getSimulatedTdxRootSha256().size();
    if (policy.getAllowSimulated() && snpRoot == 0 && tdxRoot == 0) {
      return Optional.of("field " + p + "simulated_root_sha256 is 0 bytes; expected " + SIMULATED_ROOT_BYTES
          + " when allow_simulated is set (or set " + p + "simulated_tdx_root_sha256 for simulated TDX only)");
    }
    if (snpRoot != 0 && snpRoot != SIMULATED_ROOT_BYTES) {
      return Optional.of("field " + p + "simulated_root_sha256 is " + snpRoot + " bytes; expected "
          + SIMULATED_ROOT_BYTES);
    }
    if (tdxRoot != 0 && tdxRoot != SIMULATED_ROOT_BYTES) {
      return Optional.of("field " + p + "simulated_tdx_root_sha256 is " + tdxRoot + " bytes; expected "
          + SIMULATED_ROOT_BYTES);
    }
    if (PinnedRoot.intelSgxRoot().pins(policy.getSimulatedTdxRootSha256().toByteArray())) {
      return Optional.of("field " + p + "simulated_tdx_root_sha256 is the SHA-256 of Intel's SGX Root CA; a "
          + "simulated root must be the cluster's own (SimulatedTdxVendor), and real TDX evidence is always "
          + "verified against Intel's pinned root");
    }
    return Optional.empty();
  }

  private static Optional<String> platformValuesProblem(Policy policy, String p) {
    Map<Platform, Integer> seen = new EnumMap<>(Platform.class);
    for (int i = 0; i < policy.getPlatformValuesCount(); i++) {
      PlatformValues values = policy.getPlatformValues(i);
      String at = p + "platform_values[" + i + "]";
      Optional<PlatformFormat> format = PlatformFormat.of(values.getPlatform());
      if (format.isEmpty()) {
        return Optional.of("field " + at + ".platform names no platform");
      }
      Integer first = seen.putIfAbsent(values.getPlatform(), i);
      if (first != null) {
        return Optional.of("field " + at + ".platform repeats " + values.getPlatform() + " (already in "
            + p + "platform_values[" + first + "]); a platform has at most one entry");
      }
      Optional<String> admission = admissionProblem(policy, values.getPlatform(), at, p);
      if (admission.isPresent()) {
        return admission;
      }
      Optional<String> problem = entryProblem(values, format.get(), at);
      if (problem.isPresent()) {
        return problem;
      }
    }
    return Optional.empty();
  }

  /** An entry for a platform the policy never admits is dead weight, most likely a typo. */
  private static Optional<String> admissionProblem(Policy policy, Platform platform, String at, String p) {
    if (PlatformFormat.isSimulated(platform) && !policy.getAllowSimulated()) {
      return Optional.of("field " + at + " is for " + platform + ", which " + (p.isEmpty() ? "the policy" : p)
          + " never admits (" + p + "allow_simulated is not set)");
    }
    boolean listed = policy.getAllowedPlatformsList().contains(platform);
    boolean restricted = PlatformFormat.isSimulated(platform)
        ? policy.getAllowedPlatformsList().stream().anyMatch(PlatformFormat::isSimulated)
        : policy.getAllowedPlatformsCount() > 0;
    if (restricted && !listed) {
      return Optional.of("field " + at + " is for " + platform + ", which " + (p.isEmpty() ? "the policy" : p)
          + " never admits (" + p + "allowed_platforms is " + policy.getAllowedPlatformsList() + ")");
    }
    return Optional.empty();
  }

  private static Optional<String> entryProblem(PlatformValues values, PlatformFormat format, String at) {
    Platform platform = values.getPlatform();
    if (values.getAllowedMeasurementsCount() > LIST_ENTRIES_MAX || values.getAllowedHostDataCount() > LIST_ENTRIES_MAX
        || values.getAcceptedTcbStatusesCount() > LIST_ENTRIES_MAX) {
      return Optional.of("a list field of " + at + " has more than " + LIST_ENTRIES_MAX + " entries");
    }
    for (int j = 0; j < values.getAllowedMeasurementsCount(); j++) {
      int size = values.getAllowedMeasurements(j).size();
      if (size != format.measurementBytes()) {
        return Optional.of("field " + at + ".allowed_measurements[" + j + "] is " + size + " bytes, " + platform
            + " measurements are " + format.measurementBytes() + " (" + format.measurementName() + ")");
      }
    }
    for (int j = 0; j < values.getAllowedHostDataCount(); j++) {
      int size = values.getAllowedHostData(j).size();
      if (format.hostDataBytes() == 0) {
        return Optional.of("field " + at + ".allowed_host_data[" + j + "] is set, but " + platform
            + " evidence has no host data; leave it empty");
      }
      if (size != format.hostDataBytes()) {
        return Optional.of("field " + at + ".allowed_host_data[" + j + "] is " + size + " bytes, " + platform
            + " " + format.hostDataName() + " is " + format.hostDataBytes());
      }
    }
    if (values.hasMinTcb()) {
      if (format != PlatformFormat.SNP) {
        return Optional.of("field " + at + ".min_tcb is set, but " + platform + " has no SEV-SNP TCB"
            + (format == PlatformFormat.TDX ? "; use min_tdx_tee_tcb_svn" : ""));
      }
      Optional<String> problem = snpTcbProblem(values.getMinTcb(), at + ".");
      if (problem.isPresent()) {
        return problem;
      }
    }
    boolean tdxTcb = !values.getMinTdxTeeTcbSvn().isEmpty() || values.getAcceptedTcbStatusesCount() > 0;
    if (tdxTcb && format != PlatformFormat.TDX) {
      return Optional.of("field " + at + "." + (values.getMinTdxTeeTcbSvn().isEmpty() ? "accepted_tcb_statuses"
          : "min_tdx_tee_tcb_svn") + " is set, but " + platform + " is not a TDX platform"
          + (format == PlatformFormat.SNP ? "; use min_tcb" : ""));
    }
    return tdxTcbProblem(values.getMinTdxTeeTcbSvn().size(), values.getAcceptedTcbStatusesList(), at + ".");
  }

  private static Optional<String> tdxTcbProblem(int svnBytes, List<String> statuses, String p) {
    if (svnBytes != 0 && svnBytes != TDX_TEE_TCB_SVN_BYTES) {
      return Optional.of("field " + p + "min_tdx_tee_tcb_svn is " + svnBytes + " bytes; expected " + TDX_TEE_TCB_SVN_BYTES);
    }
    for (int i = 0; i < statuses.size(); i++) {
      String status = statuses.get(i);
      if (!TCB_STATUSES.contains(status)) {
        return Optional.of("field " + p + "accepted_tcb_statuses[" + i + "] '" + status + "' is not a TCB status; "
            + "expected one of " + TCB_STATUSES);
      }
    }
    return Optional.empty();
  }

  private static Optional<String> snpTcbProblem(TcbVersion tcb, String p) {
    int[] components = {tcb.getBootloader(), tcb.getTee(), tcb.getSnp(), tcb.getMicrocode(), tcb.getFmc()};
    for (int component : components) {
      if (Integer.compareUnsigned(component, 0xFF) > 0) {
        return Optional.of("field " + p + "min_tcb has a component above 255 (" + SnpProduct.describeTcb(tcb)
            + "); SEV-SNP TCB components are one byte each");
      }
    }
    return Optional.empty();
  }
}
