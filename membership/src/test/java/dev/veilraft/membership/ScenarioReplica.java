package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.Beacon;
import dev.veilraft.membership.proto.BeaconAnswer;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.RemoveMember;
import dev.veilraft.membership.proto.SignedGov;
import dev.veilraft.state.StateException;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The membership half of consensus' {@code Replica.applyProposal}, over in-memory state: the same
 * calls in the same order (leader time made monotonic with {@code withLeaderTime}, the admission
 * nonce marked used whatever the decision, a removal and its next epoch in one entry, an approved
 * proposal executed in the entry that approved it), with an in-memory governance ledger and a set
 * for used join nonces instead of the state transaction. Keep it in step with Replica.
 */
final class ScenarioReplica {
  /** The membership entry kinds of a Proposal. */
  enum Kind { INIT, ADMIT, KEY_EPOCH, BEACON, ANSWER, REMOVE, GOV_PROPOSAL, GOV_BALLOT }

  /** A committed entry: what the leader stamped on it, and the index Raft gave it. */
  record Entry(Kind kind, Message body, long index, long leaderTimeMs) {}

  /** What an entry decided: the decision message reduced to what scenarios compare. */
  record Result(Kind kind, boolean accepted, String code, String reason, String nodeId, ByteString proposalId) {}

  /**
   * The outcome of one entry: its result, the view after it, the view the entry's leader time was
   * applied to ({@code timed}), and for an accepted epoch the entry and the view its secret is
   * derived for.
   */
  record Applied(Result result, MembershipView view, MembershipView timed, KeyEpoch epoch, MembershipView epochView) {}

  private final byte[] clusterId;
  private final EvidenceVerifier verifier;
  private final InMemoryGovernanceLedger ledger = new InMemoryGovernanceLedger();
  private final Set<String> usedNonces = new HashSet<>();
  private MembershipView view = MembershipView.empty();

  /** A replica of the cluster {@code clusterId} (what Replica is configured with: the Raft group's cluster). */
  ScenarioReplica(byte[] clusterId, EvidenceVerifier verifier) {
    this.clusterId = clusterId.clone();
    this.verifier = verifier;
  }

  MembershipView view() {
    return view;
  }

  GovernanceLedger ledger() {
    return ledger;
  }

  /** Every proposal record ever stored, in id order. */
  List<ProposalRecord> records() {
    return List.copyOf(ledger.records.values());
  }

  Applied apply(Entry entry) throws StateException {
    MembershipView before = view;
    MembershipView timed = before.withLeaderTime(Math.max(entry.leaderTimeMs(), before.lastLeaderTimeMs()));
    long leaderTime = timed.lastLeaderTimeMs();
    long index = entry.index();
    Applied applied = switch (entry.kind()) {
      case INIT -> init(timed, (InitCluster) entry.body(), index, leaderTime);
      case ADMIT -> admit(timed, (AdmitNode) entry.body(), index, leaderTime);
      case KEY_EPOCH -> keyEpoch(timed, timed, (KeyEpoch) entry.body(), index);
      case BEACON -> membership(Kind.BEACON, timed, Reattestation.beacon(timed, (Beacon) entry.body(), leaderTime));
      case ANSWER -> membership(Kind.ANSWER, timed,
          Reattestation.answer(timed, (BeaconAnswer) entry.body(), leaderTime, verifier));
      case REMOVE -> remove(timed, (RemoveMember) entry.body(), index);
      case GOV_PROPOSAL -> governance(Kind.GOV_PROPOSAL, timed,
          Governance.propose(timed, (SignedGov) entry.body(), index, leaderTime, ledger), leaderTime);
      case GOV_BALLOT -> governance(Kind.GOV_BALLOT, timed,
          Governance.vote(timed, (SignedGov) entry.body(), index, leaderTime, ledger), leaderTime);
    };
    view = applied.view();
    return applied;
  }

  private Applied init(MembershipView v, InitCluster init, long index, long leaderTime) {
    Bootstrap.Outcome outcome = Bootstrap.decide(v, init, clusterId, index, leaderTime, verifier);
    if (outcome.view() == null) {
      return new Applied(new Result(Kind.INIT, false, "INIT_REFUSED", outcome.rejection(), "", ByteString.EMPTY), v, v,
          null, null);
    }
    return new Applied(new Result(Kind.INIT, true, "INITIALIZED", "initialized", "", ByteString.EMPTY), outcome.view(),
        v, null, null);
  }

  private Applied admit(MembershipView v, AdmitNode admit, long index, long leaderTime) throws StateException {
    Admission.Outcome outcome = Admission.decide(v, admit, index, leaderTime, verifier,
        nonce -> usedNonces.contains(Hashes.hex(nonce)));
    if (outcome.usedNonce() != null) {
      usedNonces.add(Hashes.hex(outcome.usedNonce()));
    }
    var d = outcome.decision();
    return new Applied(new Result(Kind.ADMIT, d.getAdmitted(), d.getReasonCode(), d.getReason(), d.getNodeId(),
        ByteString.EMPTY), outcome.view() == null ? v : outcome.view(), v, null, null);
  }

  /** {@code timed} is the entry's view; {@code v} the view the epoch applies to (without a removed member). */
  private Applied keyEpoch(MembershipView timed, MembershipView v, KeyEpoch entry, long index) {
    KeyEpochDecision decision = KeyEpochs.check(v, entry);
    Result result = new Result(Kind.KEY_EPOCH, decision.getAccepted(), decision.getAccepted() ? "ACCEPTED"
        : "EPOCH_REFUSED", decision.getReason(), "", ByteString.EMPTY);
    if (!decision.getAccepted()) {
      return new Applied(result, v, timed, null, null);
    }
    return new Applied(result, v.withEpoch(entry.getEpoch(), entry.getGroupPublicKey().toByteArray(),
        entry.getKeyId().toByteArray(), index), timed, entry, v);
  }

  private Applied remove(MembershipView v, RemoveMember entry, long index) {
    Removals.Outcome outcome = Removals.check(v, entry);
    Result result = of(Kind.REMOVE, outcome.result());
    if (!outcome.result().getAccepted()) {
      return new Applied(result, v, v, null, null);
    }
    Applied epoch = keyEpoch(v, outcome.withoutMember(), entry.getNextEpoch(), index);
    if (!epoch.result().accepted()) {
      throw new AssertionError("invariant violated: Removals.check accepted a next epoch that KeyEpochs.check refuses: "
          + epoch.result().reason());
    }
    return new Applied(result, epoch.view(), v, epoch.epoch(), epoch.epochView());
  }

  private static Applied membership(Kind kind, MembershipView v, Reattestation.Outcome outcome) {
    return new Applied(of(kind, outcome.result()), outcome.view(), v, null, null);
  }

  private Applied governance(Kind kind, MembershipView v, Governance.Outcome outcome, long leaderTime) {
    MembershipView next = outcome.approved().map(p -> GovernanceActions.execute(v, p, leaderTime, verifier)).orElse(v);
    return new Applied(of(kind, outcome.result()), next, v, null, null);
  }

  private static Result of(Kind kind, MembershipResult r) {
    return new Result(kind, r.getAccepted(), r.getCode(), r.getReason(), r.getNodeId(), r.getProposalId());
  }
}
