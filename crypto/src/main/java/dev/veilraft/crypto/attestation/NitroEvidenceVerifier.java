package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.proto.Evidence;
import java.time.Instant;

/** The platform layer for AWS Nitro Enclaves attestation documents. Thread-safe. */
public final class NitroEvidenceVerifier {
  /** Nitro evidence trusting the pinned AWS Nitro Enclaves root G1. */
  public static NitroEvidenceVerifier forAws() {
    return new NitroEvidenceVerifier();
  }

  /** The checks, in order; the first failure is the reason reported. */
  Claims check(Evidence evidence, Instant at) throws Rejection {
    throw new Rejection(RejectReason.PLATFORM_NOT_SUPPORTED, "Nitro evidence verification is not implemented yet");
  }
}
