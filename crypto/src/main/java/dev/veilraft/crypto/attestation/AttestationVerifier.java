package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The verifier every module uses: dispatches on the evidence's platform to the platform layer,
 * then applies {@link PolicyChecks}. Real SEV-SNP evidence must chain to AMD's pinned roots;
 * simulated evidence is refused unless the policy allows simulation, and then must chain to the
 * simulated root the policy names. Deterministic for given inputs (no clock, no randomness), so
 * replicas that verify the same evidence at the same leader time agree. Never throws on bad
 * evidence. Thread-safe; keeps a small cache of verified chains.
 */
public final class AttestationVerifier implements EvidenceVerifier {
  private static final int SIMULATED_ROOT_BYTES = 32;
  /** Bound on distinct simulated roots with a cached verifier (one per cluster in practice). */
  private static final int SIMULATED_ROOTS_MAX = 16;

  private final SnpEvidenceVerifier amd = SnpEvidenceVerifier.forAmd();
  private final Map<String, SnpEvidenceVerifier> simulated = new ConcurrentHashMap<>();

  public AttestationVerifier() {}

  /**
   * Verifies {@code evidence} against {@code policy}; the report must carry
   * {@code expectedReportData} (see {@link ReportData#bind}) and every certificate must be valid
   * at {@code at}. Bad evidence (including null) is a rejection; a null policy or instant is a
   * programming error and throws.
   */
  @Override
  public AttestationResult verify(Evidence evidence, Policy policy, byte[] expectedReportData, Instant at) {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(at, "at");
    try {
      return PolicyChecks.check(platformChecks(evidence, policy, at), policy, expectedReportData);
    } catch (Rejection rejection) {
      return rejection.toResult();
    } catch (RuntimeException e) {
      // Bad input must never crash a replica's apply; report it as malformed evidence instead.
      return AttestationResult.reject(RejectReason.MALFORMED_EVIDENCE,
          "evidence could not be read: " + e.getClass().getSimpleName());
    }
  }

  private Claims platformChecks(Evidence evidence, Policy policy, Instant at) throws Rejection {
    if (evidence == null) {
      throw new Rejection(RejectReason.MALFORMED_EVIDENCE, "no evidence");
    }
    switch (evidence.getPlatform()) {
      case SEV_SNP:
        return amd.check(evidence, at);
      case SIMULATED_SNP:
        // Refuse before parsing anything: a production policy spends no work on simulated evidence.
        if (!policy.getAllowSimulated()) {
          throw PolicyChecks.simulatedNotAllowed(policy);
        }
        return simulatedVerifier(policy).check(evidence, at);
      case TDX:
        throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "TDX evidence verification is not implemented yet");
      case NITRO:
        throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED,
            "AWS Nitro evidence verification is not implemented yet");
      default:
        throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "evidence names no supported platform ("
            + evidence.getPlatform() + ")");
    }
  }

  private SnpEvidenceVerifier simulatedVerifier(Policy policy) throws Rejection {
    byte[] root = policy.getSimulatedRootSha256().toByteArray();
    if (root.length != SIMULATED_ROOT_BYTES) {
      throw new Rejection(RejectReason.ROOT_NOT_TRUSTED, "policy '" + policy.getName() + "' allows simulated "
          + "TEEs but names no simulated root (simulated_root_sha256 is " + root.length + " bytes, need "
          + SIMULATED_ROOT_BYTES + ")");
    }
    String key = Hashes.hex(root);
    SnpEvidenceVerifier verifier = simulated.get(key);
    if (verifier == null) {
      if (simulated.size() >= SIMULATED_ROOTS_MAX) {
        simulated.clear();
      }
      verifier = simulated.computeIfAbsent(key, k -> SnpEvidenceVerifier.forSimulated(root));
    }
    return verifier;
  }
}
