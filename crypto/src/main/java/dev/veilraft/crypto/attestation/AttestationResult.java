package dev.veilraft.crypto.attestation;

import java.util.Objects;

/**
 * A verifier's verdict: accepted with the claims, or rejected with a specific reason and a
 * message a person can act on ("measurement 7a1e… is not in policy 'demo'").
 */
public record AttestationResult(boolean accepted, RejectReason reason, String detail, Claims claims) {

  public static AttestationResult accept(Claims claims) {
    return new AttestationResult(true, null, "accepted", Objects.requireNonNull(claims));
  }

  public static AttestationResult reject(RejectReason reason, String detail) {
    return new AttestationResult(false, Objects.requireNonNull(reason), detail, null);
  }

  /** Rejected, but the platform layer already produced claims (policy-layer rejections). */
  public static AttestationResult reject(RejectReason reason, String detail, Claims claims) {
    return new AttestationResult(false, Objects.requireNonNull(reason), detail, claims);
  }

  @Override
  public String toString() {
    return accepted ? "accepted " + claims : "rejected " + reason + ": " + detail;
  }
}
