package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Policies;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.GovBallot;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorSetAction;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.membership.proto.SignedGov;
import dev.veilraft.state.StateException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Operator governance, decided identically on every replica when a gov_proposal or gov_ballot
 * entry is applied: a pure function of (view, signed message, index, leader time, ledger). No
 * clock, no randomness, no I/O beyond the ledger.
 *
 * <p>A proposal counts as its proposer's approval. It is approved once approvals from distinct
 * operators of the <em>current</em> operator set reach the current threshold (votes of operators
 * removed since no longer count), rejected once rejections leave the threshold unreachable, and
 * expired once the leader time passes its expires_at. Every call first expires the open proposals
 * whose time has passed; at most {@link #OPEN_PROPOSALS_MAX} are open at once, so that work is
 * bounded. When a proposal is approved, the outcome carries it: the caller executes the action
 * (and may {@link #close} the record as FAILED if execution refuses).
 */
public final class Governance {
  public static final int OPEN_PROPOSALS_MAX = 64;
  public static final int SUMMARY_CHARS_MAX = 256;
  /** Largest signed body: a policy with every list at its bound fits. */
  public static final int BODY_BYTES_MAX = 128 * 1024;
  /** ECDSA P-256 DER signatures are at most 72 bytes. */
  public static final int SIGNATURE_BYTES_MAX = 80;

  private Governance() {}

  /**
   * What an entry did. {@code record} is the record as stored (null when the message was refused
   * and nothing was stored); {@code approved} is the proposal whose threshold this entry reached.
   */
  public record Outcome(MembershipResult result, ProposalRecord record, Optional<GovProposal> approved) {
    static Outcome refused(GovernanceReason code, String reason, byte[] proposalId) {
      MembershipResult.Builder result = MembershipResult.newBuilder().setAccepted(false).setCode(code.name())
          .setReason(reason);
      if (proposalId != null) {
        result.setProposalId(ByteString.copyFrom(proposalId));
      }
      return new Outcome(result.build(), null, Optional.empty());
    }
  }

  /** A refusal found while checking a message: its code and message. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    final GovernanceReason code;

    Refusal(GovernanceReason code, String message) {
      super(message, null, false, false);
      this.code = code;
    }
  }

  /** Applies a signed proposal. */
  public static Outcome propose(MembershipView view, SignedGov signed, long index, long leaderTimeMs,
      GovernanceLedger ledger) throws StateException {
    if (!view.initialized()) {
      return Outcome.refused(GovernanceReason.NOT_INITIALIZED, "cluster has no genesis yet", null);
    }
    List<ProposalRecord> stillOpen = expireAndListOpen(ledger, index, leaderTimeMs);
    int open = stillOpen.size();
    byte[] id = Hashes.sha256(signed.getBody().toByteArray());
    GovProposal proposal;
    try {
      proposal = parseProposal(signed);
      checkSigned(view, proposal.getClusterId(), proposal.getProposer(), signed);
      if (ledger.get(id).isPresent()) {
        throw new Refusal(GovernanceReason.REPLAYED, "proposal " + Hashes.shortHex(id, 8) + " was already recorded");
      }
      checkExpiry(view, proposal.getExpiresAtMs(), leaderTimeMs);
      if (open >= OPEN_PROPOSALS_MAX) {
        throw new Refusal(GovernanceReason.TOO_MANY_OPEN, open + " proposals are open, at most " + OPEN_PROPOSALS_MAX
            + "; vote on or let some expire first");
      }
      int quota = proposerQuota(view);
      long mine = stillOpen.stream().filter(r -> r.getProposer().equals(proposal.getProposer())).count();
      if (mine >= quota) {
        throw new Refusal(GovernanceReason.PROPOSER_QUOTA, "operator '" + proposal.getProposer() + "' has " + mine
            + " open proposals, its share of the " + OPEN_PROPOSALS_MAX + " is " + quota
            + "; vote on or let some expire first");
      }
      checkAction(view, proposal);
    } catch (Refusal r) {
      return Outcome.refused(r.code, r.getMessage(), id);
    }
    ProposalRecord record = ProposalRecord.newBuilder()
        .setProposalId(ByteString.copyFrom(id))
        .setProposal(signed)
        .addApprovals(proposal.getProposer())
        .setStatus(ProposalStatus.OPEN)
        .setProposedIndex(index)
        .setProposedAtMs(leaderTimeMs)
        .setExpiresAtMs(proposal.getExpiresAtMs())
        .setProposer(proposal.getProposer())
        .build();
    return tally(view, record, proposal, index, leaderTimeMs, ledger,
        "proposal " + Hashes.shortHex(id, 8) + " (" + GovernanceMessages.describeAction(proposal) + ") recorded");
  }

  /** Applies a signed ballot. */
  public static Outcome vote(MembershipView view, SignedGov signed, long index, long leaderTimeMs,
      GovernanceLedger ledger) throws StateException {
    if (!view.initialized()) {
      return Outcome.refused(GovernanceReason.NOT_INITIALIZED, "cluster has no genesis yet", null);
    }
    expire(ledger, index, leaderTimeMs);
    GovBallot ballot;
    ProposalRecord record;
    byte[] id = null;
    try {
      ballot = parseBallot(signed);
      id = ballot.getProposalId().toByteArray();
      checkSigned(view, ballot.getClusterId(), ballot.getVoter(), signed);
      byte[] proposalId = id;
      record = ledger.get(id).orElseThrow(() -> new Refusal(GovernanceReason.UNKNOWN_PROPOSAL,
          "no proposal " + Hashes.shortHex(proposalId, 8) + " was recorded"));
      if (record.getStatus() != ProposalStatus.OPEN) {
        throw new Refusal(GovernanceReason.PROPOSAL_CLOSED, "proposal " + Hashes.shortHex(id, 8) + " is "
            + record.getStatus() + " since index " + record.getClosedIndex() + ": " + record.getOutcome());
      }
      if (record.getApprovalsList().contains(ballot.getVoter()) || record.getRejectionsList().contains(ballot.getVoter())) {
        throw new Refusal(GovernanceReason.DUPLICATE_VOTE, "operator '" + ballot.getVoter() + "' already "
            + (record.getApprovalsList().contains(ballot.getVoter()) ? "approved" : "rejected") + " proposal "
            + Hashes.shortHex(id, 8) + (ballot.getVoter().equals(record.getProposer()) ? " (as its proposer)" : ""));
      }
    } catch (Refusal r) {
      return Outcome.refused(r.code, r.getMessage(), id);
    }
    ProposalRecord.Builder updated = record.toBuilder();
    if (ballot.getApprove()) {
      updated.clearApprovals().addAllApprovals(sortedWith(record.getApprovalsList(), ballot.getVoter()));
    } else {
      updated.clearRejections().addAllRejections(sortedWith(record.getRejectionsList(), ballot.getVoter()));
    }
    GovProposal proposal;
    try {
      proposal = GovProposal.parseFrom(record.getProposal().getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("invariant violated: a recorded proposal does not parse", e);
    }
    return tally(view, updated.build(), proposal, index, leaderTimeMs, ledger, "ballot of '" + ballot.getVoter()
        + "' (" + (ballot.getApprove() ? "approve" : "reject") + ") on proposal " + Hashes.shortHex(id, 8) + " recorded");
  }

  /**
   * Closes every open proposal whose expires_at is not after {@code leaderTimeMs}, in id order,
   * and returns the closed records. Bounded: at most {@link #OPEN_PROPOSALS_MAX} are open.
   */
  public static List<ProposalRecord> expire(GovernanceLedger ledger, long index, long leaderTimeMs)
      throws StateException {
    return expire(ledger.open(), ledger, index, leaderTimeMs);
  }

  /** Expires what is due and returns the proposals that stay open (one read of the open records). */
  private static List<ProposalRecord> expireAndListOpen(GovernanceLedger ledger, long index, long leaderTimeMs)
      throws StateException {
    List<ProposalRecord> open = ledger.open();
    List<ProposalRecord> expired = expire(open, ledger, index, leaderTimeMs);
    List<ProposalRecord> still = new ArrayList<>();
    for (ProposalRecord r : open) {
      if (expired.stream().noneMatch(e -> e.getProposalId().equals(r.getProposalId()))) {
        still.add(r);
      }
    }
    return still;
  }

  /** Each operator may hold an equal share of the open proposals (at least one). */
  static int proposerQuota(MembershipView view) {
    return Math.max(1, OPEN_PROPOSALS_MAX / Math.max(1, view.operators().size()));
  }

  private static List<ProposalRecord> expire(List<ProposalRecord> open, GovernanceLedger ledger, long index,
      long leaderTimeMs) throws StateException {
    Check.invariant(open.size() <= OPEN_PROPOSALS_MAX, open.size() + " open proposals, more than " + OPEN_PROPOSALS_MAX);
    List<ProposalRecord> closed = new ArrayList<>();
    for (ProposalRecord r : open) {
      if (Long.compareUnsigned(r.getExpiresAtMs(), leaderTimeMs) <= 0) {
        ProposalRecord expired = close(r, ProposalStatus.EXPIRED, "expired at " + Long.toUnsignedString(r.getExpiresAtMs())
            + " ms with " + r.getApprovalsCount() + " approvals", index, leaderTimeMs);
        ledger.put(expired);
        closed.add(expired);
      }
    }
    return closed;
  }

  /** The record closed with {@code status} and {@code outcome} at this entry (e.g. FAILED when execution refused). */
  public static ProposalRecord close(ProposalRecord record, ProposalStatus status, String outcome, long index,
      long leaderTimeMs) {
    Check.argument(status != ProposalStatus.OPEN && status != ProposalStatus.PROPOSAL_STATUS_UNSPECIFIED
        && status != ProposalStatus.UNRECOGNIZED, "a proposal closes as APPLIED, REJECTED, EXPIRED or FAILED, not " + status);
    return record.toBuilder().setStatus(status).setOutcome(outcome).setClosedIndex(index).setClosedAtMs(leaderTimeMs)
        .build();
  }

  /**
   * Counts the votes of the current operators against the current threshold, closes the record
   * when it is decided, stores it, and returns the outcome.
   */
  private static Outcome tally(MembershipView view, ProposalRecord record, GovProposal proposal, long index,
      long leaderTimeMs, GovernanceLedger ledger, String what) throws StateException {
    Set<String> current = view.operators().stream().map(Operator::getName).collect(Collectors.toSet());
    List<String> approvals = record.getApprovalsList().stream().filter(current::contains).toList();
    long rejections = record.getRejectionsList().stream().filter(current::contains).count();
    int threshold = view.governanceThreshold();
    ProposalRecord stored = record;
    Optional<GovProposal> approved = Optional.empty();
    String reason = what + ": " + approvals.size() + " of " + threshold + " approvals";
    if (approvals.size() >= threshold) {
      try {
        // The view may have changed since the proposal was recorded (a node left, operators changed).
        checkAction(view, proposal);
        stored = close(record, ProposalStatus.APPLIED, "approved by " + String.join(", ", approvals), index, leaderTimeMs);
        approved = Optional.of(proposal);
        reason = what + "; approved by " + String.join(", ", approvals);
      } catch (Refusal r) {
        stored = close(record, ProposalStatus.FAILED, "approved, but " + r.code + ": " + r.getMessage(), index,
            leaderTimeMs);
        reason = what + "; approved, but its action is refused now: " + r.code + ": " + r.getMessage();
      }
    } else if (current.size() - rejections < threshold) {
      stored = close(record, ProposalStatus.REJECTED, "rejected by " + String.join(", ", record.getRejectionsList())
          + ": at most " + (current.size() - rejections) + " of " + threshold + " approvals remain possible", index,
          leaderTimeMs);
      reason = what + "; " + stored.getOutcome();
    }
    ledger.put(stored);
    MembershipResult result = MembershipResult.newBuilder().setAccepted(true).setCode(GovernanceReason.ACCEPTED.name())
        .setReason(reason).setProposalId(stored.getProposalId()).build();
    return new Outcome(result, stored, approved);
  }

  private static GovProposal parseProposal(SignedGov signed) throws Refusal {
    checkSizes(signed);
    GovProposal p;
    try {
      p = GovProposal.parseFrom(signed.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new Refusal(GovernanceReason.MALFORMED, "body is not a GovProposal protobuf: " + e.getMessage());
    }
    if (p.getNonce().size() != GovernanceMessages.NONCE_BYTES) {
      throw new Refusal(GovernanceReason.MALFORMED, "field nonce is " + p.getNonce().size() + " bytes, expected "
          + GovernanceMessages.NONCE_BYTES);
    }
    if (p.getSummary().length() > SUMMARY_CHARS_MAX) {
      throw new Refusal(GovernanceReason.MALFORMED, "field summary is " + p.getSummary().length()
          + " characters, at most " + SUMMARY_CHARS_MAX);
    }
    if (p.getActionCase() == GovProposal.ActionCase.ACTION_NOT_SET) {
      throw new Refusal(GovernanceReason.MALFORMED, "the proposal has no action (set_policy, remove_node, rotate_key, "
          + "set_operators or set_protocol_version)");
    }
    return p;
  }

  private static GovBallot parseBallot(SignedGov signed) throws Refusal {
    checkSizes(signed);
    GovBallot b;
    try {
      b = GovBallot.parseFrom(signed.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new Refusal(GovernanceReason.MALFORMED, "body is not a GovBallot protobuf: " + e.getMessage());
    }
    if (b.getProposalId().size() != GovernanceMessages.PROPOSAL_ID_BYTES) {
      throw new Refusal(GovernanceReason.MALFORMED, "field proposal_id is " + b.getProposalId().size()
          + " bytes, expected " + GovernanceMessages.PROPOSAL_ID_BYTES);
    }
    return b;
  }

  private static void checkSizes(SignedGov signed) throws Refusal {
    if (signed.getBody().size() > BODY_BYTES_MAX) {
      throw new Refusal(GovernanceReason.MALFORMED, "body is " + signed.getBody().size() + " bytes, at most "
          + BODY_BYTES_MAX);
    }
    if (signed.getSignature().size() > SIGNATURE_BYTES_MAX) {
      throw new Refusal(GovernanceReason.MALFORMED, "signature is " + signed.getSignature().size() + " bytes, at most "
          + SIGNATURE_BYTES_MAX);
    }
  }

  /** Cluster, signer and signature: the same checks for proposals and ballots. */
  private static void checkSigned(MembershipView view, ByteString clusterId, String signer, SignedGov signed)
      throws Refusal {
    if (!MessageDigest.isEqual(clusterId.toByteArray(), view.genesis().clusterId())) {
      throw new Refusal(GovernanceReason.WRONG_CLUSTER, "message is for cluster "
          + Hashes.shortHex(clusterId.toByteArray(), 8) + ", this is " + Hashes.shortHex(view.genesis().clusterId(), 8));
    }
    Operator operator = Operators.find(view.operators(), signer).orElseThrow(() -> new Refusal(
        GovernanceReason.UNKNOWN_OPERATOR, "'" + Check.printable(signer) + "' is not a current operator"));
    if (!OperatorKey.verify(operator.getPublicKeySpki().toByteArray(),
        GovernanceMessages.signingMessage(signed.getBody().toByteArray()), signed.getSignature().toByteArray())) {
      throw new Refusal(GovernanceReason.BAD_SIGNATURE, "signature does not verify under operator '" + signer
          + "''s key");
    }
  }

  private static void checkExpiry(MembershipView view, long expiresAtMs, long leaderTimeMs) throws Refusal {
    if (Long.compareUnsigned(expiresAtMs, leaderTimeMs) <= 0) {
      throw new Refusal(GovernanceReason.EXPIRED, "proposal expired at " + Long.toUnsignedString(expiresAtMs)
          + " ms, leader time is " + leaderTimeMs + " ms");
    }
    long ttlMax = view.genesis().proposalTtlMsMax();
    if (expiresAtMs < 0 || expiresAtMs - leaderTimeMs > ttlMax) {
      throw new Refusal(GovernanceReason.EXPIRY_TOO_FAR, "proposal expires at " + Long.toUnsignedString(expiresAtMs)
          + " ms, more than proposal_ttl_ms_max (" + ttlMax + " ms) after leader time " + leaderTimeMs + " ms");
    }
  }

  /** Whether the action can take effect on {@code view}. */
  private static void checkAction(MembershipView view, GovProposal proposal) throws Refusal {
    switch (proposal.getActionCase()) {
      case SET_POLICY -> checkPolicy(view, proposal.getSetPolicy());
      case REMOVE_NODE -> checkRemoval(view, proposal.getRemoveNode().getNodeId());
      case SET_OPERATORS -> {
        OperatorSetAction set = proposal.getSetOperators();
        Optional<String> problem = Operators.problem(set.getOperatorsList(), set.getThreshold(), "set_operators.",
            "set_operators.threshold");
        if (problem.isPresent()) {
          throw new Refusal(GovernanceReason.INVALID_OPERATORS, problem.get());
        }
        // A new operator set can demote voters (the diversity rule counts per operator): refuse a
        // set that would leave fewer voters than a quorum of the current ones.
        int voters = view.voters().size();
        int after = Roles.rebalance(view.withOperators(set.getOperatorsList(), set.getThreshold())).voters().size();
        if (after < Roles.quorum(voters)) {
          throw new Refusal(GovernanceReason.WOULD_BREAK_QUORUM, "with these operators the diversity rule leaves "
              + after + " of " + voters + " voters, fewer than the quorum of " + Roles.quorum(voters)
              + "; add the new operators' nodes first");
        }
      }
      case SET_PROTOCOL_VERSION -> checkProtocolVersion(view, proposal.getSetProtocolVersion().getVersion());
      case ROTATE_KEY -> { }
      case ACTION_NOT_SET -> throw new Refusal(GovernanceReason.MALFORMED, "the proposal has no action");
    }
  }

  private static void checkPolicy(MembershipView view, Policy policy) throws Refusal {
    Optional<String> problem = Policies.problem(policy, "set_policy.");
    if (problem.isPresent()) {
      throw new Refusal(GovernanceReason.INVALID_POLICY, problem.get());
    }
    if (policy.getAllowSimulated()) {
      // Governance cannot turn a hardware cluster into a simulated one: the simulated root is
      // fixed by the genesis, as it is for the genesis policy.
      byte[] root = view.genesis().genesis().getSimulatedRootCert().toByteArray();
      if (root.length == 0 || !Arrays.equals(Hashes.sha256(root), policy.getSimulatedRootSha256().toByteArray())) {
        throw new Refusal(GovernanceReason.INVALID_POLICY, "set_policy allows simulated members, but its "
            + "simulated_root_sha256 is not the genesis simulated_root_cert's hash");
      }
    }
  }

  /**
   * A raise applies only above the active version (it never goes down) and only when every current
   * member advertised a build that applies it: otherwise those members would stop applying.
   */
  private static void checkProtocolVersion(MembershipView view, int version) throws Refusal {
    if (version == 0 || !ProtocolVersions.valid(version)) {
      throw new Refusal(GovernanceReason.MALFORMED, "set_protocol_version.version is "
          + Integer.toUnsignedString(version) + ", expected 1.." + ProtocolVersions.VERSION_LIMIT);
    }
    if (version <= view.protocolVersion()) {
      throw new Refusal(GovernanceReason.PROTOCOL_VERSION_NOT_HIGHER, "protocol version " + version
          + " is not above the active version " + view.protocolVersion() + "; the version never goes down");
    }
    List<String> lacking = ProtocolVersions.lacking(view, version);
    if (!lacking.isEmpty()) {
      throw new Refusal(GovernanceReason.PROTOCOL_VERSION_UNSUPPORTED, "protocol version " + version + " is not "
          + "supported by " + lacking.size() + " of " + view.members().size() + " members: "
          + ProtocolVersions.describe(view, lacking) + "; upgrade them (they re-advertise in their next beacon "
          + "answer) or remove them first");
    }
  }

  private static void checkRemoval(MembershipView view, String nodeId) throws Refusal {
    if (view.member(nodeId).isEmpty()) {
      throw new Refusal(GovernanceReason.UNKNOWN_NODE, "node '" + Check.printable(nodeId) + "' is not a member");
    }
    Optional<String> quorum = Removals.quorumProblem(view, nodeId);
    if (quorum.isPresent()) {
      throw new Refusal(GovernanceReason.WOULD_BREAK_QUORUM, quorum.get());
    }
  }


  private static List<String> sortedWith(List<String> names, String added) {
    TreeSet<String> set = new TreeSet<>(names);
    set.add(added);
    return List.copyOf(set);
  }
}
