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
  CLUSTER_FULL,
  /** The endorsement names an operator that is not in the operator set in force. */
  UNKNOWN_OPERATOR,
  /** The endorsement's signature does not verify under the named operator's key. */
  ENDORSEMENT_INVALID,
  /** The join carries no operator endorsement. */
  MISSING_ENDORSEMENT,
  /** The endorsing operator already runs as many members as its nodes_max allows. */
  OPERATOR_NODE_LIMIT,
  /** Admitting the node as a voter would let one operator hold a Raft majority alone. */
  OPERATOR_MAJORITY,
  /** Another member already runs on the same platform instance (chip, PCK key, Nitro module). */
  SHARED_PLATFORM_INSTANCE,
  /** The node was removed from this cluster and is never admitted again. */
  REMOVED_NODE,
  /** The joiner's build does not apply the cluster's active protocol version (or names an invalid one). */
  PROTOCOL_VERSION_UNSUPPORTED
}
