package dev.veilraft.membership;

import static dev.veilraft.membership.SimulatedMembers.T0;
import static dev.veilraft.membership.SimulatedMembers.joinRequest;
import static dev.veilraft.membership.SimulatedMembers.nonce;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.membership.SimulatedMembers.Node;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.ProposalStatus;
import dev.veilraft.membership.proto.SetProtocolVersionAction;
import dev.veilraft.membership.proto.SignedGov;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replicated protocol version: genesis, admission by supported version, and governance raises. */
class ProtocolVersionTest {
  private static final long ISSUED_AT = T0 + 10_000;
  private static final long LEADER_TIME = ISSUED_AT + 5_000;

  @TempDir static Path dir;
  private static SimulatedMembers sim;
  private static AttestationVerifier verifier;
  private static Node founder;
  private static Node joiner;

  @BeforeAll
  static void nodes() throws Exception {
    if (GovernanceTest.genesis == null) {
      GovernanceTest.genesis();
    }
    sim = SimulatedMembers.create(dir);
    verifier = new AttestationVerifier();
    founder = sim.node();
    joiner = sim.node();
  }

  /** The founded view of a genesis at {@code version} (0 = absent), the founder advertising {@code founderMax}. */
  private static Bootstrap.Outcome found(int version, int founderMax) throws Exception {
    GenesisDocument doc = sim.genesis(g -> g.setProtocolVersion(version));
    InitCluster init = founder.init(doc);
    init = init.toBuilder().setFounder(init.getFounder().toBuilder().setProtocolVersionMax(founderMax)).build();
    return Bootstrap.decide(MembershipView.empty(), init, doc.clusterId(), 1, T0, verifier);
  }

  private static Admission.Outcome join(MembershipView view, int joinerMax, String seed) throws Exception {
    JoinRequest request = joinRequest(joiner, founder, view.genesis().clusterId(), nonce("joiner/" + seed),
        nonce("member/" + seed), ISSUED_AT).toBuilder().setProtocolVersionMax(joinerMax).build();
    return Admission.decide(view, AdmitNode.newBuilder().setRequest(request).build(), 7, LEADER_TIME, verifier,
        n -> false);
  }

  @Test
  void genesisWithoutAVersionStartsAtOneAndAnExplicitVersionIsKept() throws Exception {
    // Proves the active version comes from the genesis (absent = 1) and that the founder's advertisement is recorded.
    MembershipView absent = found(0, 0).view();
    assertThat(absent.protocolVersion()).isEqualTo(1);
    assertThat(ProtocolVersions.supportedBy(absent.member(founder.id()).orElseThrow())).isEqualTo(1);
    MembershipView explicit = found(3, 3).view();
    assertThat(explicit.protocolVersion()).isEqualTo(3);
    assertThat(explicit.member(founder.id()).orElseThrow().getProtocolVersionMax()).isEqualTo(3);
    // The version survives a store round trip (it is part of the replicated view).
    assertThat(MembershipView.of(explicit.toSnapshot()).protocolVersion()).isEqualTo(3);
  }

  @Test
  void aFounderWhoseBuildIsBelowTheGenesisVersionIsRefused() throws Exception {
    // Proves InitCluster refuses a founder that could not apply the cluster it founds, naming both versions.
    Bootstrap.Outcome outcome = found(2, 1);
    assertThat(outcome.view()).isNull();
    assertThat(outcome.rejection()).startsWith("PROTOCOL_VERSION_UNSUPPORTED").contains("version 2", "up to 1");
  }

  @Test
  void aGenesisVersionBeyondTheLimitIsMalformed() {
    // Proves a genesis cannot name an absurd version (the sanity bound has a name and the error says it).
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> GenesisDocument.create(GovernanceTest.genesis.genesis()
        .toBuilder().setProtocolVersion(ProtocolVersions.VERSION_LIMIT + 1).build()))
        .isInstanceOf(GenesisException.class)
        .hasMessageContaining("protocol_version").hasMessageContaining(String.valueOf(ProtocolVersions.VERSION_LIMIT));
  }

  @Test
  void aJoinerWhoseBuildIsBelowTheActiveVersionIsRefusedAtAdmission() throws Exception {
    // Proves admission compares the joiner's advertised version with the active one, and records it when it suffices.
    MembershipView atTwo = found(2, 2).view();
    Admission.Outcome refused = join(atTwo, 1, "old");
    assertThat(refused.decision().getAdmitted()).isFalse();
    assertThat(refused.decision().getReasonCode()).isEqualTo(JoinReason.PROTOCOL_VERSION_UNSUPPORTED.name());
    assertThat(refused.decision().getReason()).contains("up to 1", "active version is 2");
    assertThat(refused.usedNonce()).as("the genuine challenge is consumed").isNotNull();
    Admission.Outcome absent = join(atTwo, 0, "absent");
    assertThat(absent.decision().getReasonCode()).as("an absent advertisement means 1")
        .isEqualTo(JoinReason.PROTOCOL_VERSION_UNSUPPORTED.name());
    Admission.Outcome admitted = join(atTwo, 2, "new");
    assertThat(admitted.decision().getAdmitted()).as(admitted.decision().getReason()).isTrue();
    assertThat(admitted.member().getProtocolVersionMax()).isEqualTo(2);
  }

  // ---- governance raises, on a plain view of three members ----

  private static MembershipView members(int... supported) throws Exception {
    List<MemberRecord> records = new ArrayList<>();
    for (int i = 0; i < supported.length; i++) {
      records.add(GovernanceTest.voters(supported.length).get(i).toBuilder().setProtocolVersionMax(supported[i]).build());
    }
    return GovernanceTest.view(List.of(), 0, records);
  }

  private static SignedGov raise(String proposer, int version) {
    return GovernanceTest.signed(GovernanceTest.proposal(proposer).setSetProtocolVersion(
        SetProtocolVersionAction.newBuilder().setVersion(version)));
  }

  private static Governance.Outcome propose(MembershipView view, SignedGov proposal, InMemoryGovernanceLedger ledger)
      throws Exception {
    return Governance.propose(view, proposal, 20, GovernanceTest.T0, ledger);
  }

  private static Governance.Outcome approve(MembershipView view, SignedGov proposal, String voter,
      InMemoryGovernanceLedger ledger) throws Exception {
    SignedGov ballot = GovernanceMessages.sign(GovernanceMessages.ballot(GovernanceTest.cluster,
        GovernanceMessages.proposalId(proposal), voter, true), GovernanceTest.KEYS.get(voter));
    return Governance.vote(view, ballot, 21, GovernanceTest.T0, ledger);
  }

  @Test
  void aRaiseIsRefusedWhileAMemberLacksSupportAndNamesIt() throws Exception {
    // Proves the raise needs every current member's advertisement, and the refusal names the members that lack it.
    MembershipView view = members(2, 1, 0);
    Governance.Outcome outcome = propose(view, raise("alice", 2), new InMemoryGovernanceLedger());
    GovernanceTest.assertRefused(outcome, GovernanceReason.PROTOCOL_VERSION_UNSUPPORTED);
    assertThat(outcome.result().getReason()).contains("2 of 3 members", "n2 (applies up to 1)", "n3 (applies up to 1)")
        .doesNotContain("n1 (");
  }

  @Test
  void aRaiseAppliesOnceApprovedWhenEveryMemberAdvertisedIt() throws Exception {
    // Proves an approved raise changes the active version, through the existing multi-operator threshold (2 of 3).
    MembershipView view = members(2, 3, 2);
    InMemoryGovernanceLedger ledger = new InMemoryGovernanceLedger();
    SignedGov proposal = raise("alice", 2);
    Governance.Outcome proposed = propose(view, proposal, ledger);
    assertThat(proposed.result().getAccepted()).as(proposed.result().getReason()).isTrue();
    assertThat(proposed.approved()).as("one approval of the threshold 2 is not enough").isEmpty();
    Governance.Outcome approved = approve(view, proposal, "bob", ledger);
    GovProposal action = approved.approved().orElseThrow();
    MembershipView after = GovernanceActions.execute(view, action, GovernanceTest.T0, verifier);
    assertThat(after.protocolVersion()).isEqualTo(2);
    assertThat(view.protocolVersion()).as("views are immutable").isEqualTo(1);
  }

  @Test
  void theVersionNeverGoesDown() throws Exception {
    // Proves a proposal for the active version or a lower one is refused, also after a raise.
    MembershipView atTwo = members(3, 3, 3).withProtocolVersion(2);
    GovernanceTest.assertRefused(propose(atTwo, raise("alice", 2), new InMemoryGovernanceLedger()),
        GovernanceReason.PROTOCOL_VERSION_NOT_HIGHER);
    GovernanceTest.assertRefused(propose(atTwo, raise("alice", 1), new InMemoryGovernanceLedger()),
        GovernanceReason.PROTOCOL_VERSION_NOT_HIGHER);
    GovernanceTest.assertRefused(propose(atTwo, raise("alice", 0), new InMemoryGovernanceLedger()),
        GovernanceReason.MALFORMED);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> atTwo.withProtocolVersion(1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRaiseApprovedAfterAMemberLostSupportFails() throws Exception {
    // Proves the check is repeated when the threshold is reached: a member that re-advertised a lower version since the proposal blocks it.
    MembershipView view = members(2, 2, 2);
    InMemoryGovernanceLedger ledger = new InMemoryGovernanceLedger();
    SignedGov proposal = raise("alice", 2);
    assertThat(propose(view, proposal, ledger).result().getAccepted()).isTrue();
    MembershipView downgraded = view.withMember(view.member("n3").orElseThrow().toBuilder().setProtocolVersionMax(1)
        .build());
    Governance.Outcome vote = approve(downgraded, proposal, "bob", ledger);
    assertThat(vote.approved()).isEmpty();
    assertThat(vote.record().getStatus()).isEqualTo(ProposalStatus.FAILED);
    assertThat(vote.record().getOutcome()).contains("PROTOCOL_VERSION_UNSUPPORTED", "n3 (applies up to 1)");
  }

  @Test
  void aBeaconAnswerFromABuildBelowTheActiveVersionIsRefused() throws Exception {
    // Proves a member cannot re-advertise below the active version (its replica has stopped); the answer counts as none.
    MembershipView atTwo = found(2, 2).view().withBeacon(dev.veilraft.membership.proto.BeaconState.newBuilder()
        .setSequence(1).setNonce(ByteString.copyFrom(nonce("beacon"))).setIssuedAtMs(T0).build());
    Reattestation.Outcome outcome = Reattestation.answer(atTwo, dev.veilraft.membership.proto.BeaconAnswer.newBuilder()
        .setNodeId(founder.id()).setSequence(1).setProtocolVersionMax(1).build(), T0 + 1_000, verifier);
    assertThat(outcome.result().getAccepted()).isFalse();
    assertThat(outcome.result().getCode()).isEqualTo("PROTOCOL_VERSION_UNSUPPORTED");
    assertThat(outcome.view()).isSameAs(atTwo);
  }
}
