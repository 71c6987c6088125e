package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.Governance.Outcome;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.MembershipSnapshot;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorSetAction;
import dev.veilraft.membership.proto.ProposalRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.membership.proto.RemoveNodeAction;
import dev.veilraft.membership.proto.RotateKeyAction;
import dev.veilraft.membership.proto.SignedGov;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Governance decisions on proposals and ballots: tallies, thresholds, expiry, and every refusal code. */
class GovernanceTest {
  static final long T0 = 1_900_000_000_000L;
  static final long HOUR_MS = 3_600_000;
  static final Map<String, OperatorKey> KEYS = Map.of("alice", OperatorKey.generate(), "bob", OperatorKey.generate(),
      "carol", OperatorKey.generate(), "dave", OperatorKey.generate());
  static GenesisDocument genesis;
  static byte[] cluster;

  private InMemoryGovernanceLedger ledger;
  private MembershipView view;
  private long index;

  @BeforeAll
  static void genesis() throws Exception {
    genesis = GenesisDocument.create(Genesis.newBuilder().setClusterName("gov")
        .setPolicy(Policy.newBuilder().setName("p").addAllowedMeasurements(ByteString.copyFrom(new byte[48])))
        .addAllOperators(operators("alice", "bob", "carol")).setGovernanceThreshold(2)
        .setJoinWindowMs(60_000).setMembersMax(9).build());
    cluster = genesis.clusterId();
  }

  @BeforeEach
  void fresh() throws Exception {
    ledger = new InMemoryGovernanceLedger();
    view = view(List.of(), 0, voters(3));
    index = 10;
  }

  static List<Operator> operators(String... names) {
    List<Operator> out = new ArrayList<>();
    for (String n : names) {
      out.add(GenesisDocumentTest.operator(n, KEYS.get(n)));
    }
    return out;
  }

  static List<MemberRecord> voters(int count) {
    List<MemberRecord> out = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      // One operator each, admitted in order: the diversity rule keeps every one a voter.
      out.add(MemberRecord.newBuilder().setNodeId("n" + i).setOperator("op" + i).setAdmittedIndex(i)
          .setRole(MemberRole.VOTER).build());
    }
    return out;
  }

  /** A view on the genesis; non-empty {@code operators} replace the governed operator set. */
  static MembershipView view(List<Operator> operators, int threshold, List<MemberRecord> members) throws Exception {
    return MembershipView.of(MembershipSnapshot.newBuilder().setGenesis(ByteString.copyFrom(genesis.genesisBytes()))
        .addAllOperators(operators).setGovernanceThreshold(threshold).addAllMembers(members).build());
  }

  static GovProposal.Builder proposal(String proposer) {
    return GovernanceMessages.proposal(cluster, proposer, T0 + 24 * HOUR_MS, "test").setRotateKey(
        RotateKeyAction.getDefaultInstance());
  }

  static SignedGov signed(GovProposal.Builder p) {
    return GovernanceMessages.sign(p.build(), KEYS.get(p.getProposer()));
  }

  Outcome propose(SignedGov s) throws Exception {
    return Governance.propose(view, s, ++index, T0, ledger);
  }

  Outcome vote(String voter, SignedGov proposal, boolean approve) throws Exception {
    return vote(voter, proposal, approve, T0);
  }

  Outcome vote(String voter, SignedGov proposal, boolean approve, long leaderTimeMs) throws Exception {
    SignedGov ballot = GovernanceMessages.sign(GovernanceMessages.ballot(cluster, GovernanceMessages.proposalId(proposal),
        voter, approve), KEYS.get(voter));
    return Governance.vote(view, ballot, ++index, leaderTimeMs, ledger);
  }

  static void assertRefused(Outcome o, GovernanceReason code) {
    assertThat(o.result().getAccepted()).as(o.result().getReason()).isFalse();
    assertThat(o.result().getCode()).as(o.result().getReason()).isEqualTo(code.name());
    assertThat(o.record()).isNull();
    assertThat(o.approved()).isEmpty();
  }

  ProposalRecord stored(SignedGov proposal) {
    return ledger.get(GovernanceMessages.proposalId(proposal)).orElseThrow();
  }

  @Test
  void aProposalAppliesWhenTheThresholdOfOperatorsApproved() throws Exception {
    // Proves the proposer counts as one approval and the threshold's ballot hands the action to the caller.
    SignedGov p = signed(proposal("alice"));
    Outcome proposed = propose(p);
    assertThat(proposed.result().getAccepted()).isTrue();
    assertThat(proposed.result().getProposalId().toByteArray()).isEqualTo(Hashes.sha256(p.getBody().toByteArray()));
    assertThat(proposed.record().getStatus()).isEqualTo(ProposalStatus.OPEN);
    assertThat(proposed.record().getApprovalsList()).containsExactly("alice");
    assertThat(proposed.approved()).isEmpty();

    Outcome approved = vote("bob", p, true);

    assertThat(approved.result().getCode()).isEqualTo("ACCEPTED");
    assertThat(approved.approved()).hasValueSatisfying(g -> assertThat(g.hasRotateKey()).isTrue());
    assertThat(approved.record().getStatus()).isEqualTo(ProposalStatus.APPLIED);
    assertThat(approved.record().getClosedIndex()).isEqualTo(index);
    assertThat(stored(p)).isEqualTo(approved.record());
    assertThat(ledger.open()).isEmpty();
  }

  @Test
  void withThresholdOneTheProposalAppliesAtOnce() throws Exception {
    // A single-operator threshold means the proposal itself reaches it.
    view = view(operators("alice", "bob"), 1, voters(3));
    Outcome o = propose(signed(proposal("alice")));
    assertThat(o.approved()).isPresent();
    assertThat(o.record().getStatus()).isEqualTo(ProposalStatus.APPLIED);
  }

  @Test
  void anOperatorVotesOnlyOnce() throws Exception {
    // The proposer cannot vote again, and neither can an operator who already rejected or approved.
    SignedGov p = signed(proposal("alice"));
    propose(p);
    assertRefused(vote("alice", p, true), GovernanceReason.DUPLICATE_VOTE);
    assertThat(vote("bob", p, false).record().getStatus()).isEqualTo(ProposalStatus.OPEN);
    assertRefused(vote("bob", p, true), GovernanceReason.DUPLICATE_VOTE);
    assertThat(stored(p).getRejectionsList()).containsExactly("bob");
  }

  @Test
  void aBallotForAnUnknownProposalIsRefused() throws Exception {
    // A ballot naming an id that was never recorded is UNKNOWN_PROPOSAL.
    assertRefused(vote("bob", signed(proposal("alice")), true), GovernanceReason.UNKNOWN_PROPOSAL);
  }

  @Test
  void theSameSignedProposalTwiceIsAReplay() throws Exception {
    // Re-submitting recorded bytes is REPLAYED, open or closed; a fresh nonce makes the same action a new proposal.
    SignedGov p = signed(proposal("alice"));
    propose(p);
    assertRefused(propose(p), GovernanceReason.REPLAYED);
    vote("bob", p, true);
    assertRefused(propose(p), GovernanceReason.REPLAYED);
    assertThat(propose(signed(proposal("alice"))).result().getAccepted()).isTrue();
  }

  @Test
  void proposalsExpireAtTheirTimeAndBallotsThenFindThemClosed() throws Exception {
    // At leader time expires_at the proposal is EXPIRED before the ballot is considered: the ballot is PROPOSAL_CLOSED.
    SignedGov p = signed(proposal("alice").setExpiresAtMs(T0 + HOUR_MS));
    propose(p);
    assertRefused(vote("bob", p, true, T0 + HOUR_MS), GovernanceReason.PROPOSAL_CLOSED);
    assertThat(stored(p).getStatus()).isEqualTo(ProposalStatus.EXPIRED);
    assertThat(stored(p).getClosedAtMs()).isEqualTo(T0 + HOUR_MS);
  }

  @Test
  void expiryMustLieAheadAndWithinTheLongestLifetime() throws Exception {
    // expires_at at or before the leader time is EXPIRED; beyond proposal_ttl_ms_max (7 days here) is EXPIRY_TOO_FAR.
    assertRefused(propose(signed(proposal("alice").setExpiresAtMs(T0))), GovernanceReason.EXPIRED);
    assertRefused(propose(signed(proposal("alice").setExpiresAtMs(0))), GovernanceReason.EXPIRED);
    long ttl = genesis.proposalTtlMsMax();
    assertRefused(propose(signed(proposal("alice").setExpiresAtMs(T0 + ttl + 1))), GovernanceReason.EXPIRY_TOO_FAR);
    assertRefused(propose(signed(proposal("alice").setExpiresAtMs(-1))), GovernanceReason.EXPIRY_TOO_FAR);
    assertThat(propose(signed(proposal("alice").setExpiresAtMs(T0 + ttl))).result().getAccepted()).isTrue();
  }

  @Test
  void rejectionsThatMakeTheThresholdUnreachableRejectTheProposal() throws Exception {
    // With 3 operators and threshold 2, one rejection leaves it open; the second makes 2 approvals impossible.
    SignedGov p = signed(proposal("alice"));
    propose(p);
    assertThat(vote("bob", p, false).record().getStatus()).isEqualTo(ProposalStatus.OPEN);
    Outcome rejected = vote("carol", p, false);
    assertThat(rejected.record().getStatus()).isEqualTo(ProposalStatus.REJECTED);
    assertThat(rejected.record().getOutcome()).contains("bob, carol");
    assertThat(rejected.approved()).isEmpty();
  }

  @Test
  void votesOfOperatorsRemovedSinceNoLongerCount() throws Exception {
    // After the operator set changes, alice's approval (as proposer) no longer counts; two current operators are needed.
    SignedGov p = signed(proposal("alice"));
    propose(p);
    view = view(operators("bob", "carol", "dave"), 2, voters(3));

    Outcome afterBob = vote("bob", p, true);
    assertThat(afterBob.record().getStatus()).isEqualTo(ProposalStatus.OPEN);
    assertThat(afterBob.record().getApprovalsList()).containsExactly("alice", "bob");
    assertRefused(vote("alice", p, true), GovernanceReason.UNKNOWN_OPERATOR);
    Outcome afterDave = vote("dave", p, true);
    assertThat(afterDave.approved()).isPresent();
    assertThat(afterDave.record().getOutcome()).isEqualTo("approved by bob, dave");
  }

  @Test
  void removingAVoterMustLeaveAMajorityOfTheCurrentVoters() throws Exception {
    // Two voters cannot lose one (1 < 2); three can (2 >= 2); a listener can always go; an unknown node is refused.
    view = view(operators("alice", "bob"), 1, voters(2));
    assertRefused(propose(signed(proposal("alice").setRemoveNode(RemoveNodeAction.newBuilder().setNodeId("n1")))),
        GovernanceReason.WOULD_BREAK_QUORUM);
    assertRefused(propose(signed(proposal("alice").setRemoveNode(RemoveNodeAction.newBuilder().setNodeId("nx")))),
        GovernanceReason.UNKNOWN_NODE);
    List<MemberRecord> withListener = new ArrayList<>(voters(2));
    withListener.add(MemberRecord.newBuilder().setNodeId("l1").setRole(MemberRole.LISTENER).build());
    view = view(operators("alice", "bob"), 1, withListener);
    assertThat(propose(signed(proposal("alice").setRemoveNode(RemoveNodeAction.newBuilder().setNodeId("l1"))))
        .approved()).isPresent();
    view = view(operators("alice", "bob"), 1, voters(3));
    assertThat(propose(signed(proposal("alice").setRemoveNode(RemoveNodeAction.newBuilder().setNodeId("n1"))))
        .approved()).isPresent();
  }

  @Test
  void anApprovedActionIsCheckedAgainstTheViewAtApproval() throws Exception {
    // A removal proposed with 3 voters fails (FAILED, no action handed out) if only 2 voters remain when approved.
    SignedGov p = signed(proposal("alice").setRemoveNode(RemoveNodeAction.newBuilder().setNodeId("n1")));
    propose(p);
    view = view(List.of(), 0, voters(2));
    Outcome o = vote("bob", p, true);
    assertThat(o.result().getAccepted()).isTrue();
    assertThat(o.approved()).isEmpty();
    assertThat(o.record().getStatus()).isEqualTo(ProposalStatus.FAILED);
    assertThat(o.record().getOutcome()).contains("WOULD_BREAK_QUORUM");
  }

  @Test
  void signaturesAndSignersAreChecked() throws Exception {
    // A proposal signed with another key is BAD_SIGNATURE; a signer outside the operator set is UNKNOWN_OPERATOR.
    GovProposal body = proposal("alice").build();
    assertRefused(propose(GovernanceMessages.sign(body, KEYS.get("bob"))), GovernanceReason.BAD_SIGNATURE);
    SignedGov flipped = signed(proposal("alice")).toBuilder().setBody(ByteString.copyFrom(
        proposal("alice").setSummary("changed").build().toByteArray())).build();
    assertRefused(propose(flipped), GovernanceReason.BAD_SIGNATURE);
    assertRefused(propose(signed(proposal("dave"))), GovernanceReason.UNKNOWN_OPERATOR);

    SignedGov p = signed(proposal("alice"));
    propose(p);
    SignedGov forgedBallot = GovernanceMessages.sign(GovernanceMessages.ballot(cluster, GovernanceMessages.proposalId(p),
        "bob", true), KEYS.get("carol"));
    assertRefused(Governance.vote(view, forgedBallot, ++index, T0, ledger), GovernanceReason.BAD_SIGNATURE);
  }

  @Test
  void messagesForAnotherClusterAreRefused() throws Exception {
    // Proposals and ballots carry the cluster id; another cluster's are WRONG_CLUSTER.
    byte[] other = Hashes.sha256(Hashes.utf8("other"));
    GovProposal.Builder p = GovernanceMessages.proposal(other, "alice", T0 + HOUR_MS, "").setRotateKey(
        RotateKeyAction.getDefaultInstance());
    assertRefused(propose(signed(p)), GovernanceReason.WRONG_CLUSTER);
    SignedGov recorded = signed(proposal("alice"));
    propose(recorded);
    SignedGov ballot = GovernanceMessages.sign(GovernanceMessages.ballot(other, GovernanceMessages.proposalId(recorded),
        "bob", true), KEYS.get("bob"));
    assertRefused(Governance.vote(view, ballot, ++index, T0, ledger), GovernanceReason.WRONG_CLUSTER);
  }

  @Test
  void malformedProposalsAreRefused() throws Exception {
    // Garbage bodies, a missing action, a 15-byte nonce and a 257-character summary are each MALFORMED.
    List<UnaryOperator<GovProposal.Builder>> breakages = List.of(
        b -> b.clearAction(),
        b -> b.setNonce(ByteString.copyFrom(new byte[15])),
        b -> b.setSummary("x".repeat(Governance.SUMMARY_CHARS_MAX + 1)));
    for (UnaryOperator<GovProposal.Builder> breakage : breakages) {
      assertRefused(propose(signed(breakage.apply(proposal("alice")))), GovernanceReason.MALFORMED);
    }
    SignedGov garbage = SignedGov.newBuilder().setBody(ByteString.copyFrom(new byte[] {(byte) 0xff, 0x01})).build();
    assertRefused(propose(garbage), GovernanceReason.MALFORMED);
    assertRefused(Governance.vote(view, garbage, ++index, T0, ledger), GovernanceReason.MALFORMED);
    assertThat(propose(signed(proposal("alice").setSummary("x".repeat(Governance.SUMMARY_CHARS_MAX))))
        .result().getAccepted()).isTrue();
  }

  @Test
  void actionsAreValidated() throws Exception {
    // An invalid policy is INVALID_POLICY (also a simulated policy in a hardware genesis); a bad operator set is INVALID_OPERATORS.
    Policy bad = Policy.newBuilder().setName("p2").addAllowedMeasurements(ByteString.copyFrom(new byte[47])).build();
    assertRefused(propose(signed(proposal("alice").setSetPolicy(bad))), GovernanceReason.INVALID_POLICY);
    Policy simulated = Policy.newBuilder().setName("sim").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(new byte[32])).build();
    assertRefused(propose(signed(proposal("alice").setSetPolicy(simulated))), GovernanceReason.INVALID_POLICY);
    Policy good = bad.toBuilder().clearAllowedMeasurements().addAllowedMeasurements(ByteString.copyFrom(new byte[48]))
        .build();
    assertThat(propose(signed(proposal("alice").setSetPolicy(good))).result().getAccepted()).isTrue();

    OperatorSetAction threshold3of2 = OperatorSetAction.newBuilder().addAllOperators(operators("alice", "bob"))
        .setThreshold(3).build();
    OperatorSetAction duplicateName = OperatorSetAction.newBuilder().addAllOperators(operators("alice", "alice"))
        .setThreshold(1).build();
    OperatorSetAction empty = OperatorSetAction.newBuilder().setThreshold(1).build();
    for (OperatorSetAction set : List.of(threshold3of2, duplicateName, empty)) {
      assertRefused(propose(signed(proposal("alice").setSetOperators(set))), GovernanceReason.INVALID_OPERATORS);
    }
    OperatorSetAction valid = OperatorSetAction.newBuilder().addAllOperators(operators("bob", "dave")).setThreshold(2)
        .build();
    assertThat(propose(signed(proposal("alice").setSetOperators(valid))).result().getAccepted()).isTrue();
  }

  @Test
  void openProposalsAreBounded() throws Exception {
    // At most OPEN_PROPOSALS_MAX proposals are open; the next is TOO_MANY_OPEN until one closes.
    List<String> names = List.of("alice", "bob", "carol", "dave");
    view = view(operators("alice", "bob", "carol", "dave"), 2, voters(3));
    for (int i = 0; i < Governance.OPEN_PROPOSALS_MAX; i++) {
      assertThat(propose(signed(proposal(names.get(i % names.size())))).result().getAccepted()).isTrue();
    }
    assertRefused(propose(signed(proposal("alice"))), GovernanceReason.TOO_MANY_OPEN);
    ProposalRecord first = ledger.open().get(0);
    String voter = names.stream().filter(n -> !first.getApprovalsList().contains(n)).findFirst().orElseThrow();
    vote(voter, first.getProposal(), true);
    String proposer = first.getProposer();
    assertThat(propose(signed(proposal(proposer))).result().getAccepted()).isTrue();
  }

  @Test
  void oneOperatorCannotTakeEveryOpenSlot() throws Exception {
    // Each operator holds at most its share of the open proposals (PROPOSER_QUOTA); the others can still propose.
    int quota = Governance.proposerQuota(view);
    for (int i = 0; i < quota; i++) {
      assertThat(propose(signed(proposal("alice"))).result().getAccepted()).isTrue();
    }
    assertRefused(propose(signed(proposal("alice"))), GovernanceReason.PROPOSER_QUOTA);
    assertThat(propose(signed(proposal("bob"))).result().getAccepted()).isTrue();
  }

  @Test
  void theCallerCanCloseAnApprovedRecordAsFailed() throws Exception {
    // close() downgrades an APPLIED record the caller could not execute; OPEN is not a closing status.
    view = view(operators("alice", "bob"), 1, voters(3));
    Outcome o = propose(signed(proposal("alice")));
    ProposalRecord failed = Governance.close(o.record(), ProposalStatus.FAILED, "execution refused", index, T0);
    ledger.put(failed);
    assertThat(ledger.records.firstEntry().getValue().getStatus()).isEqualTo(ProposalStatus.FAILED);
    assertThat(failed.getOutcome()).isEqualTo("execution refused");
    assertThatThrownBy(() -> Governance.close(o.record(), ProposalStatus.OPEN, "", index, T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anUninitializedViewRefusesEverything() throws Exception {
    // Before the genesis is applied there are no operators: NOT_INITIALIZED.
    assertRefused(Governance.propose(MembershipView.empty(), signed(proposal("alice")), 1, T0, ledger),
        GovernanceReason.NOT_INITIALIZED);
  }
}
