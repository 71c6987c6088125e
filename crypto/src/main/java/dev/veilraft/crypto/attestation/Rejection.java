package dev.veilraft.crypto.attestation;

import java.util.Objects;

/**
 * Internal control flow of the verifiers: a check failed with a specific reason. It never leaves
 * this package; {@link AttestationVerifier} turns it into an {@link AttestationResult}.
 */
final class Rejection extends Exception {
  private static final long serialVersionUID = 1L;

  private final RejectReason reason;

  Rejection(RejectReason reason, String message) {
    super(message, null, false, false);
    this.reason = Objects.requireNonNull(reason);
  }

  RejectReason reason() {
    return reason;
  }

  AttestationResult toResult() {
    return AttestationResult.reject(reason, getMessage());
  }
}
