package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.GovernanceMessages;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.RemovalReason;
import dev.veilraft.membership.proto.RemoveNodeAction;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership across three operators with real Ratis servers in one JVM: a join that would give
 * one operator a majority becomes a listener and is promoted when another operator's node joins;
 * beacons are answered; a member whose evidence starts failing is evicted with a key rotation that
 * excludes it (and it cannot read what follows); a policy upgrade that withdraws a
 * measurement evicts the node running it after the grace period; operators vote a node out; a
 * silent listener is evicted; and an eviction that would break quorum is held and reported.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MembershipIT {
  /** Node i (0-based) is run by OPERATORS.get(i). */
  private static final List<String> OPERATORS = List.of("acme", "bolt", "acme", "crux", "crux", "bolt");
  private static final long INTERVAL_MS = 1_000;
  /**
   * How long a beacon may stay unanswered before the member is marked SILENT (and then evicted).
   * Generous: on a loaded two-core machine an answer (attest, then commit through Raft) has taken
   * more than 2 s, which evicted a healthy member in the middle of the test. Only the silent
   * listener's eviction waits this long.
   */
  private static final long GRACE_MS = 10_000;
  private static final long POLICY_GRACE_MS = 3_000;
  private static final Duration WAIT = Duration.ofSeconds(60);
  private byte[] MEASUREMENT;
  /** The measurement of an older release that the policy first allows, then withdraws. */
  private static final byte[] OLD_MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft release 0.0.9"));

  /** SEV-SNP guest policy bit 19: debugging allowed. */
  private static final long DEBUG_POLICY_BIT = 1L << 19;

  @TempDir
  static Path root;

  private LocalCluster.Layout layout;
  private final List<VeilraftNode> nodes = new ArrayList<>();
  /** Flipped to make a node report a debug-mode guest, which the policy refuses. */
  private final AtomicBoolean boltFails = new AtomicBoolean();
  private final AtomicBoolean acmeSecondFails = new AtomicBoolean();

  @BeforeAll
  void startCluster() throws Exception {
    MEASUREMENT = CodeMeasurement.ofRunningCode(VeilraftNode.class);
    layout = TestClusters.create(root, OPERATORS.size(), MEASUREMENT, OPERATORS, 2, g -> {
      Policy policy = g.getPolicy().toBuilder().addAllowedMeasurements(ByteString.copyFrom(OLD_MEASUREMENT)).build();
      return g.setPolicy(policy).setRules(MembershipRules.newBuilder().setDiversity(DiversityAction.DIVERSITY_LISTENER)
          .setReattestIntervalMs(INTERVAL_MS).setReattestGraceMs(GRACE_MS).setPolicyGraceMs(POLICY_GRACE_MS));
    });
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
    nodes.add(VeilraftNode.join(layout.nodes().get(1), layout.api(0), Clock.systemUTC(),
        switchable(1, boltFails, MEASUREMENT)));
  }

  @AfterAll
  void stopCluster() {
    nodes.stream().filter(java.util.Objects::nonNull).forEach(VeilraftNode::close);
  }

  @Test
  @Order(1)
  void secondNodeOfOneOperatorListensUntilAThirdOperatorJoins() throws Exception {
    // acme, bolt, then acme again: acme would hold 2 of 3 votes, so its second node is a listener.
    nodes.add(VeilraftNode.join(layout.nodes().get(2), layout.api(0), Clock.systemUTC(),
        switchable(2, acmeSecondFails, MEASUREMENT)));
    awaitRole(2, MemberRole.LISTENER);
    assertThat(Await.until(() -> nodes.get(0).consensus().configurationRoles().get(nodes.get(2).nodeId()) != null
        && nodes.get(0).consensus().configurationRoles().get(nodes.get(2).nodeId()).equals("LISTENER"), WAIT)).isTrue();
    // crux joins: {acme, bolt, crux, acme} keeps every operator at half the votes or less, so acme's second votes.
    nodes.add(VeilraftNode.join(layout.nodes().get(3), layout.api(0), Clock.systemUTC(), null));
    awaitRole(2, MemberRole.VOTER);
    awaitRole(3, MemberRole.VOTER);
    assertThat(Await.until(() -> nodes.get(0).consensus().votingMembers().size() == 4, WAIT)).isTrue();
    assertThat(kvPut("after-joins")).isTrue();
  }

  @Test
  @Order(2)
  void everyMemberAnswersTheBeacons() throws Exception {
    // Proves the four members so far all answer a beacon issued after this point, and none is due for removal.
    long beacon = founderView().beacon().getSequence();
    List<String> members = nodes.stream().map(VeilraftNode::nodeId).toList();
    assertThat(Await.until(() -> members.stream().allMatch(id -> founderView().member(id)
        .map(m -> m.getAttestedBeacon() > beacon).orElse(false)), WAIT))
        .as("every member answers a beacon after %d", beacon).isTrue();
    assertThat(founderView().members().keySet()).containsExactlyInAnyOrderElementsOf(members);
    assertThat(founderView().pendingRemovals()).isEmpty();
  }

  @Test
  @Order(3)
  void memberWhoseEvidenceFailsIsEvictedAndCannotReadWhatFollows() throws Exception {
    // acme's second node starts reporting a debug-mode guest: its next answer fails, it is removed
    // with a new epoch that excludes it.
    VeilraftNode victim = nodes.get(2);
    String victimId = victim.nodeId();
    long epochBefore = founderView().epoch();
    acmeSecondFails.set(true);
    assertThat(Await.until(() -> founderView().member(victimId).isEmpty(), WAIT))
        .as("member %s with failing evidence is evicted", victimId).isTrue();
    long removalEpoch = founderView().epoch();
    assertThat(removalEpoch).isGreaterThan(epochBefore);
    assertThat(founderView().wasRemoved(victimId)).isTrue();
    assertThat(Await.until(() -> !nodes.get(0).consensus().configurationRoles().containsKey(victimId), WAIT)).isTrue();

    // Forward secrecy: events sealed to the group after the removal do not open with any secret
    // the removed member holds, in memory or in its data directory.
    List<EpochSecret> stolen = List.copyOf(victim.replica().keyring().all());
    victim.close();
    nodes.set(2, null);
    assertThat(stolen).isNotEmpty().allMatch(s -> s.epoch() < removalEpoch);
    for (int i = 0; i < 5; i++) {
      SealedRequest sealed = sealToCurrentEpoch(KvRequests.put("secret-" + i, "after removal " + i));
      ApplyResult applied = leader().submit(Proposal.newBuilder().setClientEvent(sealed).build());
      assertThat(applied.hasSealedResponse()).as(applied.toString()).isTrue();
      assertThat(sealed.getEpoch()).isGreaterThanOrEqualTo(removalEpoch);
      for (EpochSecret secret : stolen) {
        assertThatThrownBy(() -> EventSealing.openRequest(secret, layout.genesis().clusterId(), sealed))
            .isInstanceOf(CryptoException.class);
      }
    }
  }

  @Test
  @Order(4)
  void policyUpgradeEvictsTheNodeOnTheWithdrawnReleaseAfterTheGracePeriod() throws Exception {
    // Node 4 (crux's second) joins running the old release, which the policy still allows.
    nodes.add(VeilraftNode.join(layout.nodes().get(4), layout.api(0), Clock.systemUTC(),
        SimulatedSnpAttester.create(chip(4), OLD_MEASUREMENT)));
    String oldRelease = nodes.get(4).nodeId();
    awaitMember(oldRelease);
    // Operators acme and bolt withdraw the old release: a code upgrade by governance.
    Policy upgraded = founderView().policy().toBuilder().clearAllowedMeasurements()
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)).setName("release-0.1.0").build();
    byte[] id = propose("acme", b -> b.setSetPolicy(upgraded));
    MembershipResult vote = vote("bolt", id, true);
    assertThat(vote.getAccepted()).as(vote.getReason()).isTrue();
    assertThat(founderView().policy().getName()).isEqualTo("release-0.1.0");
    // It keeps its seat during the grace period, then is removed.
    assertThat(founderView().member(oldRelease).orElseThrow().getEvictAfterMs()).isPositive();
    assertThat(Await.until(() -> founderView().member(oldRelease).isEmpty(), WAIT))
        .as("node on the withdrawn release is evicted").isTrue();
    assertThat(founderView().wasRemoved(oldRelease)).isTrue();
  }

  @Test
  @Order(5)
  void operatorsVoteANodeOut() throws Exception {
    String crux = nodes.get(3).nodeId();
    long epoch = founderView().epoch();
    byte[] id = propose("bolt", b -> b.setRemoveNode(RemoveNodeAction.newBuilder().setNodeId(crux)));
    assertThat(founderView().member(crux)).isPresent();
    MembershipResult second = vote("crux", id, true);
    assertThat(second.getAccepted()).as(second.getReason()).isTrue();
    assertThat(Await.until(() -> founderView().member(crux).isEmpty(), WAIT)).isTrue();
    assertThat(founderView().epoch()).isGreaterThan(epoch);
    assertThat(kvPut("after-vote")).isTrue();
  }

  @Test
  @Order(6)
  void silentListenerIsEvicted() throws Exception {
    // bolt's second node joins as a listener (bolt would hold 2 of 3 votes) and goes silent.
    nodes.add(VeilraftNode.join(layout.nodes().get(5), layout.api(0), Clock.systemUTC(), null));
    String listener = nodes.get(5).nodeId();
    awaitRole(5, MemberRole.LISTENER);
    nodes.get(5).close();
    assertThat(Await.until(() -> founderView().member(listener).isEmpty(), WAIT))
        .as("silent listener %s is evicted", listener).isTrue();
    nodes.set(5, null);
  }

  @Test
  @Order(7)
  void evictionThatWouldBreakQuorumIsHeldAndReported() throws Exception {
    // Two voters left (acme, bolt): evicting bolt would leave 1 of 2, below the quorum of 2.
    assertThat(founderView().voters()).hasSize(2);
    String bolt = nodes.get(1).nodeId();
    boltFails.set(true);
    assertThat(Await.until(() -> founderView().pendingRemoval(bolt)
        .filter(p -> p.getReason() == RemovalReason.ATTESTATION_FAILED).isPresent(), WAIT)).isTrue();
    assertThat(Await.until(() -> nodes.get(0).blockedEvictions().contains(bolt)
        || nodes.get(1).blockedEvictions().contains(bolt), WAIT)).isTrue();
    assertThat(founderView().member(bolt)).as("held, not evicted").isPresent();
    assertThat(kvPut("still-serving")).isTrue();
    // ... and says so in its metrics, for alerting.
    assertThat(new NodeMetrics(nodes.get(0)).scrape()).contains("veilraft_blocked_evictions 1.0",
        "veilraft_pending_removals 1.0", "veilraft_voters 2.0");
  }

  /** The founder's view: it stays a member throughout, and every replica applies the same entries. */
  private dev.veilraft.membership.MembershipView founderView() {
    return nodes.get(0).replica().view();
  }

  private VeilraftNode leader() throws InterruptedException {
    // Proposals go through the leader: the test needs their results.
    assertThat(Await.until(() -> nodes.stream().anyMatch(n -> n != null && n.consensus().isLeader()), WAIT)).isTrue();
    return nodes.stream().filter(n -> n != null && n.consensus().isLeader()).findFirst().orElseThrow();
  }

  private void awaitRole(int node, MemberRole role) throws InterruptedException {
    String id = nodes.get(node).nodeId();
    assertThat(Await.until(() -> nodes.get(0).replica().view().member(id).map(m -> m.getRole() == role).orElse(false),
        WAIT)).as("node %d becomes %s", node, role).isTrue();
  }

  private void awaitMember(String id) throws InterruptedException {
    assertThat(Await.until(() -> nodes.get(0).replica().view().member(id).isPresent(), WAIT)).isTrue();
  }

  private boolean kvPut(String key) throws Exception {
    SealedRequest sealed = sealToCurrentEpoch(KvRequests.put(key, "v"));
    return leader().submit(Proposal.newBuilder().setClientEvent(sealed).build()).hasSealedResponse();
  }

  private SealedRequest sealToCurrentEpoch(dev.veilraft.state.proto.KvRequest request) throws Exception {
    var view = founderView();
    byte[] event = Event.newBuilder().setApp(KvApp.NAME).setRequest(request.toByteString()).build().toByteArray();
    return EventSealing.sealRequest(view.groupPublicKey(), layout.genesis().clusterId(), view.epoch(), event).request();
  }

  private byte[] propose(String operator, java.util.function.UnaryOperator<GovProposal.Builder> action) throws Exception {
    GovProposal proposal = action.apply(GovernanceMessages.proposal(layout.genesis().clusterId(), operator,
        System.currentTimeMillis() + 600_000, "MembershipIT")).build();
    var signed = GovernanceMessages.sign(proposal, OperatorKey.load(layout.operatorKey(operator)));
    MembershipResult result = leader().submit(Proposal.newBuilder().setGovProposal(signed).build()).getMembership();
    assertThat(result.getAccepted()).as(result.getCode() + ": " + result.getReason()).isTrue();
    return GovernanceMessages.proposalId(signed);
  }

  private MembershipResult vote(String operator, byte[] proposalId, boolean approve) throws Exception {
    var ballot = GovernanceMessages.ballot(layout.genesis().clusterId(), proposalId, operator, approve);
    var signed = GovernanceMessages.sign(ballot, OperatorKey.load(layout.operatorKey(operator)));
    return leader().submit(Proposal.newBuilder().setGovBallot(signed).build()).getMembership();
  }

  private SimulatedSnpChip chip(int node) throws Exception {
    return SimulatedSnpChip.openOrCreate(layout.nodes().get(node).dataDir().resolve("simulated-chip"),
        SimulatedSnpVendor.openOrCreate(layout.vendorDir()));
  }

  /** The node's simulated TEE; once {@code fails} is set it reports a debug-mode guest, which the policy refuses. */
  private Attester switchable(int node, AtomicBoolean fails, byte[] measurement) throws Exception {
    SimulatedSnpChip chip = chip(node);
    SimulatedSnpAttester good = SimulatedSnpAttester.create(chip, measurement);
    SimulatedSnpAttester debug = SimulatedSnpAttester.builder(chip, measurement)
        .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | DEBUG_POLICY_BIT).build();
    return new Attester() {
      @Override
      public Platform platform() {
        return Platform.SIMULATED_SNP;
      }

      @Override
      public Evidence attest(byte[] reportData) throws AttestationException {
        return (fails.get() ? debug : good).attest(reportData);
      }

      @Override
      public byte[] measurement() {
        return good.measurement();
      }
    };
  }
}
