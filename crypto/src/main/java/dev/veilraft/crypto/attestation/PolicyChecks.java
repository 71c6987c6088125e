package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.TcbVersion;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * The policy layer: given claims the platform layer has verified, does this evidence meet the
 * cluster's reference values? Checks run in a fixed order (simulated, debug, VMPL, measurement,
 * TCB floor, report-data binding) so every replica reports the same first reason. Pure function
 * of its inputs; thread-safe.
 */
public final class PolicyChecks {
  private PolicyChecks() {}

  /** Accepts with the claims, or rejects with the first failed check and the claims. */
  public static AttestationResult check(Claims claims, Policy policy, byte[] expectedReportData) {
    Objects.requireNonNull(claims, "claims");
    Objects.requireNonNull(policy, "policy");
    try {
      checkPlatform(claims, policy);
      checkGuest(claims, policy);
      checkMeasurement(claims, policy);
      checkTcb(claims, policy);
      checkBinding(claims, expectedReportData);
      return AttestationResult.accept(claims);
    } catch (Rejection rejection) {
      return AttestationResult.reject(rejection.reason(), rejection.getMessage(), claims);
    }
  }

  static Rejection simulatedNotAllowed(Policy policy) {
    return new Rejection(RejectReason.SIMULATED_NOT_ALLOWED, "evidence comes from a simulated TEE, which is "
        + "insecure (the host holds every key) and refused by policy '" + policy.getName() + "'");
  }

  private static void checkPlatform(Claims claims, Policy policy) throws Rejection {
    if (claims.platform() == Platform.SIMULATED_SNP && !policy.getAllowSimulated()) {
      throw simulatedNotAllowed(policy);
    }
  }

  private static void checkGuest(Claims claims, Policy policy) throws Rejection {
    if (claims.debug() && !policy.getAllowDebug()) {
      throw new Rejection(RejectReason.DEBUG_NOT_ALLOWED, "guest was launched with the debug policy bit (19) "
          + "set, so the host can read its memory; policy '" + policy.getName() + "' forbids debug guests");
    }
    if (Integer.toUnsignedLong(claims.vmpl()) > Integer.toUnsignedLong(policy.getMaxVmpl())) {
      throw new Rejection(RejectReason.VMPL_NOT_ALLOWED, "report comes from VMPL " + claims.vmpl()
          + "; policy '" + policy.getName() + "' allows at most VMPL " + Integer.toUnsignedString(policy.getMaxVmpl()));
    }
  }

  private static void checkMeasurement(Claims claims, Policy policy) throws Rejection {
    for (ByteString allowed : policy.getAllowedMeasurementsList()) {
      if (MessageDigest.isEqual(allowed.toByteArray(), claims.measurement())) {
        return;
      }
    }
    throw new Rejection(RejectReason.MEASUREMENT_NOT_ALLOWED, "measurement "
        + Hashes.shortHex(claims.measurement(), 8) + " is not in policy '" + policy.getName() + "' ("
        + policy.getAllowedMeasurementsCount() + " allowed)");
  }

  private static void checkTcb(Claims claims, Policy policy) throws Rejection {
    if (!policy.hasMinTcb()) {
      return;
    }
    TcbVersion min = policy.getMinTcb();
    TcbVersion got = claims.reportedTcb();
    String low = below("bl", got.getBootloader(), min.getBootloader());
    low = low != null ? low : below("tee", got.getTee(), min.getTee());
    low = low != null ? low : below("snp", got.getSnp(), min.getSnp());
    low = low != null ? low : below("ucode", got.getMicrocode(), min.getMicrocode());
    low = low != null ? low : below("fmc", got.getFmc(), min.getFmc());
    if (low != null) {
      throw new Rejection(RejectReason.TCB_BELOW_MINIMUM, "reported TCB " + SnpProduct.describeTcb(got)
          + " is below the minimum " + SnpProduct.describeTcb(min) + " of policy '" + policy.getName() + "' ("
          + low + ")");
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
