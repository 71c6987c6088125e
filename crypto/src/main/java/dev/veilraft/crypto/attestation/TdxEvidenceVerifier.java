package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Evidence;
import java.time.Instant;

/** The platform layer for Intel TDX DCAP quotes (v4 and v5). Thread-safe. */
public final class TdxEvidenceVerifier {
  /** TDX evidence trusting Intel's pinned SGX Root CA. */
  public static TdxEvidenceVerifier forIntel() {
    return new TdxEvidenceVerifier();
  }

  /** The checks, in order; the first failure is the reason reported. */
  Claims check(Evidence evidence, Instant at) throws Rejection {
    throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "TDX evidence verification is not implemented yet");
  }
}
