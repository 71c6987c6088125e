package dev.veilraft.membership;

/** Why a governance proposal or ballot was refused (MembershipResult.code), or ACCEPTED. */
public enum GovernanceReason {
  ACCEPTED,
  NOT_INITIALIZED,
  /** The body does not parse, the summary is too long, the action is missing, the nonce is not 16 bytes. */
  MALFORMED,
  WRONG_CLUSTER,
  /** The signer is not in the operator set in force. */
  UNKNOWN_OPERATOR,
  BAD_SIGNATURE,
  /** The proposal's expires_at is not after the entry's leader time. */
  EXPIRED,
  /** The proposal expires later than the genesis proposal_ttl_ms_max allows. */
  EXPIRY_TOO_FAR,
  /** A proposal with this id (the same body) was already recorded. */
  REPLAYED,
  /** Governance.OPEN_PROPOSALS_MAX proposals are open already. */
  TOO_MANY_OPEN,
  /** The proposer has its share of the open proposals already (so one operator cannot lock the others out). */
  PROPOSER_QUOTA,
  UNKNOWN_PROPOSAL,
  /** The ballot is for a proposal that is no longer open (applied, rejected, expired or failed). */
  PROPOSAL_CLOSED,
  /** The operator already voted on this proposal (the proposer counts as an approval). */
  DUPLICATE_VOTE,
  INVALID_POLICY,
  UNKNOWN_NODE,
  /** Removing the node would leave fewer voters than a majority of the current voters. */
  WOULD_BREAK_QUORUM,
  INVALID_OPERATORS,
  /** set_protocol_version names a version that is not above the active one (it never goes down). */
  PROTOCOL_VERSION_NOT_HIGHER,
  /** set_protocol_version names a version some current member's build did not advertise support for. */
  PROTOCOL_VERSION_UNSUPPORTED
}
