package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Validation of a {@link Policy} before anyone relies on it: every length and value a verifier
 * would otherwise silently never match is refused with the field named, so an operator's typo
 * (a 47-byte measurement, an unknown TCB status) is found when the policy is written, not when
 * every join is rejected.
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
        || policy.getAllowedPlatformsCount() > LIST_ENTRIES_MAX) {
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
      Platform platform = policy.getAllowedPlatforms(i);
      if (platform == Platform.PLATFORM_UNSPECIFIED || platform == Platform.UNRECOGNIZED) {
        return Optional.of("field " + p + "allowed_platforms[" + i + "] names no platform");
      }
    }
    int svn = policy.getMinTdxTeeTcbSvn().size();
    if (svn != 0 && svn != TDX_TEE_TCB_SVN_BYTES) {
      return Optional.of("field " + p + "min_tdx_tee_tcb_svn is " + svn + " bytes; expected " + TDX_TEE_TCB_SVN_BYTES);
    }
    for (int i = 0; i < policy.getAcceptedTcbStatusesCount(); i++) {
      String status = policy.getAcceptedTcbStatuses(i);
      if (!TCB_STATUSES.contains(status)) {
        return Optional.of("field " + p + "accepted_tcb_statuses[" + i + "] '" + status + "' is not a TCB status; "
            + "expected one of " + TCB_STATUSES);
      }
    }
    if (Integer.compareUnsigned(policy.getMinAbiMajor(), 0xFF) > 0 || Integer.compareUnsigned(policy.getMinAbiMinor(), 0xFF) > 0) {
      return Optional.of("fields " + p + "min_abi_major and " + p + "min_abi_minor must each fit in one byte");
    }
    if (policy.hasMinTcb()) {
      TcbVersion tcb = policy.getMinTcb();
      int[] components = {tcb.getBootloader(), tcb.getTee(), tcb.getSnp(), tcb.getMicrocode(), tcb.getFmc()};
      for (int component : components) {
        if (Integer.compareUnsigned(component, 0xFF) > 0) {
          return Optional.of("field " + p + "min_tcb has a component above 255 (" + SnpProduct.describeTcb(tcb)
              + "); SEV-SNP TCB components are one byte each");
        }
      }
    }
    if (Integer.compareUnsigned(policy.getMaxVmpl(), (int) SnpEvidenceVerifier.VMPL_MAX) > 0) {
      return Optional.of("field " + p + "max_vmpl is " + Integer.toUnsignedString(policy.getMaxVmpl()) + "; VMPLs are 0 to "
          + SnpEvidenceVerifier.VMPL_MAX);
    }
    if (policy.getAllowSimulated() && policy.getSimulatedRootSha256().size() != SIMULATED_ROOT_BYTES) {
      return Optional.of("field " + p + "simulated_root_sha256 is " + policy.getSimulatedRootSha256().size()
          + " bytes; expected " + SIMULATED_ROOT_BYTES + " when allow_simulated is set");
    }
    return Optional.empty();
  }
}
