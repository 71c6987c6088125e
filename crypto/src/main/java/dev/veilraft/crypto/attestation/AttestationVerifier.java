package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The verifier every module uses: dispatches on the evidence's platform to the platform layer,
 * then applies {@link PolicyChecks}. Real SEV-SNP, TDX and Nitro evidence must chain to the
 * vendor's pinned root (AMD ARKs, Intel SGX Root CA, AWS Nitro root G1);
 * simulated evidence (SIMULATED_SNP, SIMULATED_TDX) is refused unless the policy allows
 * simulation, and then must chain to the simulated root the policy names for its format
 * ({@code simulated_root_sha256}, {@code simulated_tdx_root_sha256}), through the same checks as
 * the real platform. Deterministic for given inputs (no clock, no randomness), so
 * replicas that verify the same evidence at the same leader time agree. Never throws on bad
 * evidence. Thread-safe; keeps a small cache of verified chains.
 */
public final class AttestationVerifier implements EvidenceVerifier {
  private static final int SIMULATED_ROOT_BYTES = 32;
  /** Bound on distinct simulated roots with a cached verifier (one per cluster in practice). */
  private static final int SIMULATED_ROOTS_MAX = 16;

  private final SnpEvidenceVerifier amd = SnpEvidenceVerifier.forAmd();
  private final TdxEvidenceVerifier intel = TdxEvidenceVerifier.forIntel();
  private final NitroEvidenceVerifier aws = NitroEvidenceVerifier.forAws();
  /** Verifiers of simulated evidence by platform and root: "SIMULATED_SNP/<sha256 hex>". */
  private final Map<String, PlatformLayer> simulated = new ConcurrentHashMap<>();

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
      if (evidence != null) {
        // Refuse before parsing anything: a policy spends no work on evidence it refuses anyway.
        PolicyChecks.checkPlatform(evidence.getPlatform(), policy);
      }
      return PolicyChecks.check(platformChecks(evidence, policy, at), policy, expectedReportData);
    } catch (Rejection rejection) {
      return rejection.toResult();
    } catch (RuntimeException e) {
      return PlatformLayer.unreadable(e);
    }
  }

  /**
   * The platform layer only (genuine hardware, valid chain, well-formed), for tools that print
   * the claims of evidence without judging them. Simulated evidence needs a policy naming its
   * root, so it is refused here.
   */
  public AttestationResult verifyPlatform(Evidence evidence, Instant at) {
    Objects.requireNonNull(at, "at");
    try {
      if (evidence != null && PlatformFormat.isSimulated(evidence.getPlatform())) {
        throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "simulated evidence can only be verified against a "
            + "policy that names the simulated root (" + rootField(evidence.getPlatform()) + ")");
      }
      return AttestationResult.accept(platformChecks(evidence, Policy.getDefaultInstance(), at));
    } catch (Rejection rejection) {
      return rejection.toResult();
    } catch (RuntimeException e) {
      return PlatformLayer.unreadable(e);
    }
  }

  private Claims platformChecks(Evidence evidence, Policy policy, Instant at) throws Rejection {
    if (evidence == null) {
      throw new Rejection(RejectReason.MALFORMED, "no evidence");
    }
    switch (evidence.getPlatform()) {
      case SEV_SNP:
        return amd.check(evidence, at);
      case SIMULATED_SNP:
      case SIMULATED_TDX:
        return simulatedVerifier(evidence.getPlatform(), policy).check(evidence, at);
      case TDX:
        return intel.check(evidence, at);
      case NITRO:
        return aws.check(evidence, at);
      default:
        throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "evidence names no supported platform ("
            + evidence.getPlatform() + ")");
    }
  }

  private PlatformLayer simulatedVerifier(Platform platform, Policy policy) throws Rejection {
    byte[] root = (platform == Platform.SIMULATED_TDX ? policy.getSimulatedTdxRootSha256()
        : policy.getSimulatedRootSha256()).toByteArray();
    if (root.length != SIMULATED_ROOT_BYTES) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "policy '" + policy.getName() + "' allows simulated "
          + "TEEs but names no simulated root for " + platform + " evidence (" + rootField(platform) + " is "
          + root.length + " bytes, need " + SIMULATED_ROOT_BYTES + ")");
    }
    if (platform == Platform.SIMULATED_TDX && PinnedRoot.intelSgxRoot().pins(root)) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "policy '" + policy.getName() + "' names Intel's SGX Root "
          + "CA as its simulated TDX root; simulated evidence is never verified against a vendor root");
    }
    String key = platform + "/" + Hashes.hex(root);
    PlatformLayer verifier = simulated.get(key);
    if (verifier == null) {
      if (simulated.size() >= SIMULATED_ROOTS_MAX) {
        simulated.clear();
      }
      verifier = simulated.computeIfAbsent(key, k -> platform == Platform.SIMULATED_TDX
          ? TdxEvidenceVerifier.forSimulated(root) : SnpEvidenceVerifier.forSimulated(root));
    }
    return verifier;
  }

  private static String rootField(Platform platform) {
    return platform == Platform.SIMULATED_TDX ? "simulated_tdx_root_sha256" : "simulated_root_sha256";
  }
}
