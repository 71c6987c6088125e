package dev.veilraft.membership;

/** Join-protocol reasons to refuse an admission (attestation failures use RejectReason names). */
public enum JoinReason {
  MALFORMED_REQUEST,
  NOT_INITIALIZED,
  WRONG_CLUSTER,
  UNKNOWN_CHALLENGER,
  CHALLENGE_SIGNATURE_INVALID,
  CHALLENGE_MISMATCH,
  CHALLENGE_EXPIRED,
  CHALLENGE_FROM_FUTURE,
  NONCE_REUSED,
  ALREADY_MEMBER,
  CLUSTER_FULL
}
