package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The policy layer: given claims the platform layer has verified, does this evidence meet the
 * cluster's reference values? Checks run in a fixed order (platform, debug, SNP guest policy and
 * VMPL, measurement, host data, TCB floor and status, report-data binding) so every replica
 * reports the same first reason. Measurement, host data and TCB are judged against the
 * {@link ReferenceValues} for the evidence's platform: the policy's {@code platform_values}
 * entry for it, else the top-level fields. Pure function of its inputs; thread-safe.
 */
public final class PolicyChecks {
  private PolicyChecks() {}

  /** Accepts with the claims, or rejects with the first failed check and the claims. */
  public static AttestationResult check(Claims claims, Policy policy, byte[] expectedReportData) {
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(policy, "policy");
    for (Step step : steps(claims, policy, expectedReportData, true)) {
      try {
        step.run();
      } catch (Rejection rejection) {
        return AttestationResult.reject(rejection.reason(), rejection.getMessage(), claims);
      }
    }
    return AttestationResult.accept(claims);
  }

  /**
   * Every failed check, in order, for tools that show a person all that is wrong at once; empty
   * when the claims meet the policy. With {@code expectedReportData} null the report-data binding
   * is not checked, which only a tool inspecting evidence out of protocol may do: admission always
   * uses {@link #check}.
   */
  public static List<AttestationResult> failures(Claims claims, Policy policy, byte[] expectedReportData) {
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(policy, "policy");
    List<AttestationResult> failures = new ArrayList<>();
    for (Step step : steps(claims, policy, expectedReportData, expectedReportData != null)) {
      try {
        step.run();
      } catch (Rejection rejection) {
        failures.add(AttestationResult.reject(rejection.reason(), rejection.getMessage(), claims));
      }
    }
    return failures;
  }

  private interface Step {
    void run() throws Rejection;
  }

  private static List<Step> steps(Claims claims, Policy policy, byte[] expectedReportData, boolean binding) {
    List<Step> steps = new ArrayList<>();
    ReferenceValues values = ReferenceValues.of(policy, claims.platform());
    steps.add(() -> checkPlatform(claims.platform(), policy));
    steps.add(() -> checkDebug(claims, policy));
    if (claims.details() instanceof SnpClaims snp) {
      steps.add(() -> checkSnpGuest(snp, policy));
    }
    steps.add(() -> checkMeasurement(claims, values));
    steps.add(() -> checkHostData(claims, values));
    steps.add(() -> checkTcb(claims, values));
    if (binding) {
      steps.add(() -> checkBinding(claims, expectedReportData));
    }
    return steps;
  }

  /**
   * Whether the policy admits evidence of this platform at all; run before any parsing so a
   * policy spends no work on evidence it refuses anyway.
   */
  static void checkPlatform(Platform platform, Policy policy) throws Rejection {
    if (PlatformFormat.isSimulated(platform)) {
      if (!policy.getAllowSimulated()) {
        throw new Rejection(RejectReason.SIMULATED_NOT_ALLOWED, "evidence comes from a simulated TEE (" + platform
            + "), which is insecure (the host holds every key) and refused by policy '" + policy.getName() + "'");
      }
      // Listing one simulated platform restricts simulation to the listed ones; otherwise
      // allow_simulated admits every simulated platform, as it did before there were two.
      boolean restricted = policy.getAllowedPlatformsList().stream().anyMatch(PlatformFormat::isSimulated);
      if (restricted && !policy.getAllowedPlatformsList().contains(platform)) {
        throw new Rejection(RejectReason.PLATFORM_NOT_ALLOWED, platform + " evidence is not allowed by policy '"
            + policy.getName() + "', which lists the simulated platforms it allows (allowed: "
            + policy.getAllowedPlatformsList() + ")");
      }
      return;
    }
    if (policy.getAllowedPlatformsCount() > 0 && !policy.getAllowedPlatformsList().contains(platform)) {
      throw new Rejection(RejectReason.PLATFORM_NOT_ALLOWED, platform + " evidence is not allowed by policy '"
          + policy.getName() + "' (allowed: " + policy.getAllowedPlatformsList() + ")");
    }
  }

  private static void checkDebug(Claims claims, Policy policy) throws Rejection {
    if (claims.debug() && !policy.getAllowDebug()) {
      throw new Rejection(RejectReason.DEBUG_ENABLED, debugDescription(claims.platform())
          + ", so the host can read its memory; policy '" + policy.getName() + "' forbids debug guests");
    }
  }

  private static String debugDescription(Platform platform) {
    return switch (PlatformFormat.of(platform).orElse(PlatformFormat.SNP)) {
      case TDX -> "TD was launched with the DEBUG attribute (TDATTRIBUTES bit 0)";
      case NITRO -> "enclave runs in debug mode (PCR0..2 are zero)";
      case SNP -> "guest was launched with the debug policy bit (19) set";
    };
  }

  private static void checkSnpGuest(SnpClaims snp, Policy policy) throws Rejection {
    if (snp.migrationAgentAllowed() && !policy.getAllowMigrationAgent()) {
      throw guestPolicy(snp, policy, "allows a migration agent (bit 18), which can export the guest's memory");
    }
    if (snp.smtAllowed() && policy.getForbidSmt()) {
      throw guestPolicy(snp, policy, "allows SMT (bit 16), exposing it to sibling-thread side channels");
    }
    if (!snp.singleSocketRequired() && policy.getRequireSingleSocket()) {
      throw guestPolicy(snp, policy, "does not require a single socket (bit 20)");
    }
    int abi = snp.abiMajor() * 256 + snp.abiMinor();
    int minAbi = policy.getMinAbiMajor() * 256 + policy.getMinAbiMinor();
    if (abi < minAbi) {
      throw guestPolicy(snp, policy, "requires firmware ABI " + snp.abiMajor() + "." + snp.abiMinor()
          + ", below the minimum " + policy.getMinAbiMajor() + "." + policy.getMinAbiMinor());
    }
    if (Integer.toUnsignedLong(snp.vmpl()) > Integer.toUnsignedLong(policy.getMaxVmpl())) {
      throw new Rejection(RejectReason.VMPL_NOT_ALLOWED, "report comes from VMPL " + snp.vmpl()
          + "; policy '" + policy.getName() + "' allows at most VMPL " + Integer.toUnsignedString(policy.getMaxVmpl()));
    }
  }

  private static Rejection guestPolicy(SnpClaims snp, Policy policy, String what) {
    return new Rejection(RejectReason.GUEST_POLICY_NOT_ALLOWED, "guest policy 0x"
        + Long.toHexString(snp.guestPolicy()) + " " + what + "; policy '" + policy.getName() + "' refuses that");
  }

  private static void checkMeasurement(Claims claims, ReferenceValues values) throws Rejection {
    if (containsEqual(values.allowedMeasurements(), claims.measurement())) {
      return;
    }
    throw new Rejection(RejectReason.MEASUREMENT_NOT_ALLOWED, format(claims).measurementName() + " "
        + Hashes.shortHex(claims.measurement(), 8) + " is not in " + values.source() + " ("
        + values.allowedMeasurements().size() + " allowed)");
  }

  private static PlatformFormat format(Claims claims) {
    return PlatformFormat.of(claims.platform()).orElse(PlatformFormat.SNP);
  }

  private static void checkHostData(Claims claims, ReferenceValues values) throws Rejection {
    if (values.allowedHostData().isEmpty() || containsEqual(values.allowedHostData(), claims.hostData())) {
      return;
    }
    throw new Rejection(RejectReason.HOST_DATA_NOT_ALLOWED, format(claims).hostDataName() + " "
        + Hashes.shortHex(claims.hostData(), 8) + " is not in " + values.source() + " ("
        + values.allowedHostData().size() + " allowed)");
  }

  private static boolean containsEqual(List<ByteString> allowed, byte[] value) {
    for (ByteString candidate : allowed) {
      if (MessageDigest.isEqual(candidate.toByteArray(), value)) {
        return true;
      }
    }
    return false;
  }

  private static void checkTcb(Claims claims, ReferenceValues values) throws Rejection {
    if (claims.details() instanceof SnpClaims snp) {
      checkSnpTcb(snp, values);
    } else if (claims.details() instanceof TdxClaims tdx) {
      checkTdxTcb(tdx, values);
    }
  }

  private static void checkSnpTcb(SnpClaims snp, ReferenceValues values) throws Rejection {
    if (values.minTcb().isEmpty()) {
      return;
    }
    TcbVersion min = values.minTcb().get();
    TcbVersion got = snp.reportedTcb();
    String low = below("bl", got.getBootloader(), min.getBootloader());
    low = low != null ? low : below("tee", got.getTee(), min.getTee());
    low = low != null ? low : below("snp", got.getSnp(), min.getSnp());
    low = low != null ? low : below("ucode", got.getMicrocode(), min.getMicrocode());
    low = low != null ? low : below("fmc", got.getFmc(), min.getFmc());
    if (low != null) {
      throw new Rejection(RejectReason.TCB_BELOW_MINIMUM, "reported TCB " + SnpProduct.describeTcb(got)
          + " is below the minimum " + SnpProduct.describeTcb(min) + " of " + values.source() + " (" + low + ")");
    }
  }

  private static void checkTdxTcb(TdxClaims tdx, ReferenceValues values) throws Rejection {
    byte[] min = values.minTdxTeeTcbSvn().toByteArray();
    for (int i = 0; i < min.length; i++) {
      int got = i < tdx.teeTcbSvn().length ? Byte.toUnsignedInt(tdx.teeTcbSvn()[i]) : 0;
      String low = below("TEE_TCB_SVN[" + i + "]", got, Byte.toUnsignedInt(min[i]));
      if (low != null) {
        throw new Rejection(RejectReason.TCB_BELOW_MINIMUM, "TEE_TCB_SVN " + Hashes.hex(tdx.teeTcbSvn())
            + " is below the minimum " + Hashes.hex(min) + " of " + values.source() + " (" + low + ")");
      }
    }
    if (values.acceptedTcbStatuses().isEmpty()) {
      return;
    }
    if (tdx.tcbStatus().isEmpty()) {
      throw new Rejection(RejectReason.TCB_STATUS_NOT_ALLOWED, values.source() + " requires a TCB "
          + "status from Intel's TCB info, but the evidence carries no TCB info collateral");
    }
    String status = tdx.tcbStatus().get();
    if (!values.acceptedTcbStatuses().contains(status)) {
      throw new Rejection(RejectReason.TCB_STATUS_NOT_ALLOWED, "TCB status " + status + " is not accepted by "
          + values.source() + " (accepted: " + values.acceptedTcbStatuses() + ")"
          + (tdx.advisoryIds().isEmpty() ? "" : "; advisories " + String.join(",", tdx.advisoryIds())));
    }
  }

  private static String below(String what, int got, int min) {
    return Integer.compareUnsigned(got, min) < 0 ? what + " " + got + " < " + min : null;
  }

  private static void checkBinding(Claims claims, byte[] expectedReportData) throws Rejection {
    if (expectedReportData == null || expectedReportData.length != ReportData.BYTES) {
      throw new Rejection(RejectReason.REPORT_DATA_MISMATCH, "no valid expected report data to compare with ("
          + (expectedReportData == null ? "none" : expectedReportData.length + " bytes") + ", need "
          + ReportData.BYTES + ")");
    }
    if (!MessageDigest.isEqual(claims.reportData(), expectedReportData)) {
      throw new Rejection(RejectReason.REPORT_DATA_MISMATCH, "report_data "
          + Hashes.shortHex(claims.reportData(), 8) + " differs from the expected "
          + Hashes.shortHex(expectedReportData, 8)
          + ": evidence is bound to other keys or another nonce (replay or key substitution)");
    }
  }
}
