package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static dev.veilraft.consensus.ratis.RaftTestCluster.records;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.SetConfigurationRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RaftConsensus#reconcile} on real Raft servers behind attested mutual TLS: voters join,
 * a listener applies the log without voting, is promoted and votes, a voter is demoted (its
 * server restarts as a listener), the leader demotes itself by handing leadership over, and a
 * removed server that keeps running (or comes back from old storage) does not disrupt the group.
 * The tests share one group and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MembershipReconcileIT {
  /** Ten maximum election timeouts: long enough for a disruptive server to have tried. */
  private static final Duration STABILITY_WINDOW = RaftTestCluster.ELECTION_TIMEOUT_MAX.multipliedBy(10);

  @TempDir static Path dir;
  private static RaftTestCluster cluster;
  private static Member n0;
  private static Member n1;
  private static Member n2;
  private static Member n3;
  private static Member n4;

  @BeforeAll
  static void startGroup() throws Exception {
    cluster = RaftTestCluster.create(dir);
    n0 = cluster.founder();
    n1 = cluster.admit("n1");
    n2 = cluster.admit("n2");
    n3 = cluster.admit("n3");
    n4 = cluster.admit("n4");
    n1.start();
    n2.start();
  }

  @AfterAll
  static void stopGroup() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The settled leader (see {@link RaftTestCluster#awaitStableLeader}). */
  private static Member leader() throws InterruptedException {
    Member leader = cluster.awaitStableLeader();
    assertThat(leader).as("a leader among %s", cluster.running()).isNotNull();
    return leader;
  }

  /** The members with {@code role} in the leader's configuration, in name order. */
  private static List<Member> withRole(String role) throws InterruptedException {
    List<Member> found = new ArrayList<>();
    leader().consensus().configurationRoles().forEach((id, r) -> {
      if (r.equals(role)) {
        found.add(cluster.byId(id));
      }
    });
    found.sort((a, b) -> a.name.compareTo(b.name));
    return found;
  }

  private static Map<String, String> roles(Member... voters) {
    Map<String, String> roles = new TreeMap<>();
    for (Member m : voters) {
      roles.put(m.id(), "VOTER");
    }
    return roles;
  }

  /**
   * Calls reconcile on the leader until the configuration matches (awaited), following leadership
   * when it moves (reconcile hands it over, or an election happens meanwhile).
   */
  private static boolean reconciled(List<Member> voters, List<Member> listeners) throws InterruptedException {
    return awaitTrue(() -> {
      try {
        Member leader = cluster.awaitStableLeader();
        return leader != null && leader.consensus().reconcile(records(voters), records(listeners)).complete();
      } catch (RaftConsensus.NotLeaderException e) {
        return false;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  private static boolean runsAs(Member member, String role) throws InterruptedException {
    return awaitTrue(() -> member.running() && role.equals(member.consensus().localRole()));
  }

  private static boolean applied(Member member, long index) throws InterruptedException {
    return awaitTrue(() -> member.replica.appliedIndex() >= index);
  }

  @Test
  @Order(1)
  void votersJoinOneChangeAtATime() throws Exception {
    // The join path (any member, a voter directly) still works for a server that starts as a listener.
    Member leader = leader();
    assertThat(leader).isSameAs(n0);
    assertThat(n1.consensus().localRole()).as("a voter joiner waits in Ratis' initializing state until it is staged")
        .isEqualTo("STARTING");
    n0.consensus().addMember(n1.record());
    assertThat(runsAs(n1, "FOLLOWER")).as("n1 became a voting follower").isTrue();

    RaftConsensus.Reconciliation result = n0.consensus().reconcile(records(n0, n1, n2), List.of());
    assertThat(result.changes()).isEqualTo(1);
    assertThat(result.complete()).isTrue();
    assertThat(n0.consensus().configurationRoles()).isEqualTo(roles(n0, n1, n2));
    assertThat(runsAs(n2, "FOLLOWER")).isTrue();

    // Idempotent: the same target again changes nothing.
    assertThat(n0.consensus().reconcile(records(n0, n1, n2), List.of()).changes()).isZero();
    long index = cluster.put("joined", "yes");
    assertThat(applied(n1, index) && applied(n2, index)).isTrue();
  }

  @Test
  @Order(2)
  void reconcileRunsOnlyOnTheLeaderAndNeverDropsTheLastVoter() throws Exception {
    Member leader = leader();
    Member follower = n1 == leader ? n2 : n1;
    RaftConsensus.NotLeaderException notLeader = catchThrowableOfType(RaftConsensus.NotLeaderException.class,
        () -> follower.consensus().reconcile(records(n0, n1), List.of()));
    assertThat(notLeader).as("a follower refuses to reconcile").isNotNull();
    assertThat(notLeader.leaderId()).contains(leader.id());

    assertThatThrownBy(() -> leader.consensus().reconcile(List.of(), records(n0, n1, n2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no voter");
    assertThatThrownBy(() -> leader.consensus().reconcile(records(n0, n1, n2), records(n1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both");
    assertThat(leader.consensus().configurationRoles()).isEqualTo(roles(n0, n1, n2));
  }

  @Test
  @Order(3)
  void listenerAppliesTheLogAndServesReads() throws Exception {
    Member leader = leader();
    // n3's server is not up yet: it is left out (no staging that could only fail) and nothing else fails.
    RaftConsensus.Reconciliation early = leader.consensus().reconcile(records(n0, n1, n2), records(n3));
    assertThat(early.pending()).containsOnlyKeys(n3.id());
    assertThat(early.changes()).isZero();

    // A server started to join as a voter is not added as a listener: Ratis would leave it initializing.
    n4.start(RaftConsensus.StartRole.VOTER);
    RaftConsensus.Reconciliation refused = leader.consensus().reconcile(records(n0, n1, n2), records(n4));
    assertThat(refused.pending()).containsOnlyKeys(n4.id());
    assertThat(refused.pending().get(n4.id())).contains("not started as a listener");
    assertThat(refused.changes()).isZero();

    n3.start(RaftConsensus.StartRole.LISTENER);
    assertThat(n3.consensus().localRole()).isEqualTo("LISTENER");
    RaftConsensus.Reconciliation result = leader.consensus().reconcile(records(n0, n1, n2), records(n3));
    assertThat(result.complete()).isTrue();
    assertThat(result.changes()).isEqualTo(1);
    Map<String, String> expected = roles(n0, n1, n2);
    expected.put(n3.id(), "LISTENER");
    assertThat(leader.consensus().configurationRoles()).isEqualTo(expected);
    assertThat(leader.consensus().votingMembers()).doesNotContain(n3.id());

    long index = cluster.put("colour", "green");
    assertThat(applied(n3, index)).as("the listener applies the log").isTrue();
    assertThat(cluster.read(n3, "colour", true)).contains("green");
    assertThat(cluster.read(n3, "colour", false)).as("linearizable read on the listener").contains("green");
    assertThat(n3.consensus().localRole()).isEqualTo("LISTENER");
    assertThat(n3.consensus().configurationRoles()).isEqualTo(expected);
  }

  @Test
  @Order(4)
  void listenerCutOffByAFailedStagingIsServedAgainAfterReconcile() throws Exception {
    // A staging that fails (a new voter nobody runs) makes Ratis 3.3 stop the leader's sender to
    // the listener it added; reconcile sees the listener without a sender and hands leadership over.
    Member leader = leader();
    RaftPeer ghost = RaftIds.peer("ghost", "127.0.0.1:" + RaftTestCluster.freePort());
    List<RaftPeer> voters = new ArrayList<>();
    for (Member m : List.of(n0, n1, n2)) {
      voters.add(RaftIds.peer(m.id(), m.address()));
    }
    List<RaftPeer> withGhost = new ArrayList<>(voters);
    withGhost.add(ghost);
    try (RaftClient raw = cluster.rawClient(leader)) {
      RaftClientReply reply = raw.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(withGhost).setListenersInNewConf(List.of(RaftIds.peer(n3.id(), n3.address())))
          .setMode(SetConfigurationRequest.Mode.SET_UNCONDITIONALLY).build());
      assertThat(reply.isSuccess()).as("staging a server nobody runs").isFalse();
    } catch (java.io.IOException expected) {
      // the failed staging comes back as an exception
    }
    long index = cluster.put("after-failed-staging", "ok");
    assertThat(awaitTrue(() -> n3.replica.appliedIndex() >= index, RaftTestCluster.ELECTION_TIMEOUT_MAX.multipliedBy(10)))
        .as("the listener still gets entries from %s", leader).isFalse();

    RaftConsensus.NotLeaderException handedOver = catchThrowableOfType(RaftConsensus.NotLeaderException.class,
        () -> leader.consensus().reconcile(records(n0, n1, n2), records(n3)));
    assertThat(handedOver).isNotNull();
    assertThat(handedOver.getMessage()).contains("no log entries");
    assertThat(applied(n3, index)).as("the listener is served by the new leader").isTrue();
    assertThat(reconciled(List.of(n0, n1, n2), List.of(n3))).isTrue();
  }

  @Test
  @Order(5)
  void listenerDoesNotCountTowardsTheQuorum() throws Exception {
    // Stop two of the three voters: the last voter and the listener are two of four servers, but
    // only one of three voters, so nobody is elected and nothing commits.
    Member leader = leader();
    List<Member> voters = withRole("VOTER");
    Member alsoStopped = voters.stream().filter(m -> m != leader).findFirst().orElseThrow();
    Member left = voters.stream().filter(m -> m != leader && m != alsoStopped).findFirst().orElseThrow();
    leader.stop();
    alsoStopped.stop();
    // Had leadership moved to the last voter just before the stops, it steps down: no majority answers it.
    assertThat(awaitTrue(() -> !left.consensus().isLeader())).isTrue();
    long term = left.consensus().currentTerm();
    boolean elected = awaitTrue(() -> left.consensus().isLeader() || n3.consensus().isLeader(),
        RaftTestCluster.ELECTION_TIMEOUT_MAX.multipliedBy(10));
    assertThat(elected).as("a leader elected by one voter and a listener").isFalse();
    assertThat(left.consensus().currentTerm()).as("pre-vote: no term is spent on elections that cannot succeed")
        .isEqualTo(term);
    assertThat(n3.consensus().localRole()).isEqualTo("LISTENER");

    leader.start();
    alsoStopped.start();
    long index = cluster.put("after-quorum-loss", "ok");
    assertThat(applied(n3, index)).isTrue();
  }

  @Test
  @Order(6)
  void promotedListenerVotes() throws Exception {
    Member leader = leader();
    RaftConsensus.Reconciliation result = leader.consensus().reconcile(records(n0, n1, n2, n3), List.of());
    assertThat(result.changes()).isEqualTo(1);
    assertThat(leader.consensus().configurationRoles()).isEqualTo(roles(n0, n1, n2, n3));
    assertThat(runsAs(n3, "FOLLOWER")).as("the promoted listener runs as a follower").isTrue();

    // Four voters, one stopped: a leader needs three votes, so n3 must vote.
    leader.stop();
    Member next = leader();
    assertThat(next).isNotSameAs(leader);
    long index = cluster.put("after-promotion", "ok");
    assertThat(applied(n3, index)).isTrue();

    leader.start();
    assertThat(runsAs(leader, "FOLLOWER")).isTrue();
    assertThat(applied(leader, index)).isTrue();
  }

  @Test
  @Order(7)
  void demotedVoterRestartsAsListener() throws Exception {
    assertThat(cluster.awaitCaughtUp()).isTrue();
    Member leader = leader();
    List<Member> voters = new ArrayList<>(withRole("VOTER"));
    Member demoted = voters.stream().filter(m -> m != leader).findFirst().orElseThrow();
    voters.remove(demoted);
    // A voter is demoted only once it follows this leader closely (a restarted one may need a moment).
    assertThat(reconciled(voters, List.of(demoted))).as("demotion of %s", demoted).isTrue();
    assertThat(leader.consensus().configurationRoles()).containsEntry(demoted.id(), "LISTENER");

    // Ratis leaves it running as a follower; its watchdog restarts its server, which then runs as a listener.
    assertThat(runsAs(demoted, "LISTENER")).as("%s runs as a listener", demoted).isTrue();
    assertThat(demoted.consensus().serverRestarts()).isEqualTo(1);
    long index = cluster.put("after-demotion", "ok");
    assertThat(applied(demoted, index)).isTrue();
    assertThat(cluster.read(demoted, "after-demotion", false)).contains("ok");
  }

  @Test
  @Order(8)
  void leaderDemotingItselfHandsLeadershipOverFirst() throws Exception {
    assertThat(cluster.awaitCaughtUp()).isTrue();
    Member leader = leader();
    Member listener = withRole("LISTENER").get(0);
    List<Member> voters = new ArrayList<>(withRole("VOTER"));
    voters.remove(leader);
    voters.add(listener);
    RaftConsensus.NotLeaderException handedOver = catchThrowableOfType(RaftConsensus.NotLeaderException.class,
        () -> leader.consensus().reconcile(records(voters), records(leader)));
    assertThat(handedOver).as("the leader hands leadership over instead of demoting itself").isNotNull();
    Member successor = cluster.byId(handedOver.leaderId().orElseThrow());
    assertThat(successor).isNotSameAs(leader);
    assertThat(awaitTrue(() -> successor.consensus().isLeader())).isTrue();

    assertThat(reconciled(voters, List.of(leader))).isTrue();
    Map<String, String> expected = new TreeMap<>();
    voters.forEach(m -> expected.put(m.id(), "VOTER"));
    expected.put(leader.id(), "LISTENER");
    assertThat(successor.consensus().configurationRoles()).isEqualTo(expected);
    assertThat(runsAs(leader, "LISTENER")).isTrue();
    assertThat(awaitTrue(() -> listener.running() && List.of("FOLLOWER", "LEADER").contains(listener.consensus().localRole())))
        .as("the re-promoted %s is a voter again", listener).isTrue();
    long index = cluster.put("after-handover", "ok");
    assertThat(applied(leader, index)).isTrue();
  }

  @Test
  @Order(9)
  void removedFollowerThatKeepsRunningDoesNotDisruptTheGroup() throws Exception {
    assertThat(n4.running()).as("n4 runs since the listener test, started to join as a voter").isTrue();
    Member leader = leader();
    List<Member> voters = new ArrayList<>(withRole("VOTER"));
    List<Member> listeners = withRole("LISTENER");
    voters.add(n4);
    assertThat(leader.consensus().reconcile(records(voters), records(listeners)).complete()).isTrue();
    assertThat(runsAs(n4, "FOLLOWER")).isTrue();

    Member removed = voters.stream().filter(m -> m != leader && m != n4).findFirst().orElseThrow();
    voters.remove(removed);
    long term = leader.consensus().currentTerm();
    assertThat(leader.consensus().reconcile(records(voters), records(listeners)).complete()).isTrue();
    assertThat(leader.consensus().configurationRoles()).doesNotContainKey(removed.id());
    assertThat(removed.running()).isTrue();

    assertGroupStable(leader, term, voters, removed);
  }

  @Test
  @Order(10)
  void removedServerBackFromOldStorageDoesNotDisruptTheGroup() throws Exception {
    // The server is down while it is removed, then restarts over its old log: it believes it is a
    // voter and, hearing from no leader, campaigns with a configuration that is no longer current.
    Member leader = leader();
    List<Member> voters = new ArrayList<>(withRole("VOTER"));
    List<Member> listeners = withRole("LISTENER");
    Member stale = voters.stream().filter(m -> m != leader).findFirst().orElseThrow();
    voters.remove(stale);
    stale.stop();
    long term = leader.consensus().currentTerm();
    assertThat(leader.consensus().reconcile(records(voters), records(listeners)).complete()).isTrue();

    stale.start();
    assertThat(stale.consensus().configurationRoles()).as("the stale server still sees itself as a voter")
        .containsEntry(stale.id(), "VOTER");
    assertGroupStable(leader, term, voters, stale);
  }

  /**
   * For {@link #STABILITY_WINDOW}, entries keep committing, {@code outsider} never leads, and at
   * the end {@code leader} still leads in {@code term} with every remaining voter in that term.
   */
  private static void assertGroupStable(Member leader, long term, List<Member> voters, Member outsider)
      throws Exception {
    long deadline = System.nanoTime() + STABILITY_WINDOW.toNanos();
    int committed = 0;
    while (System.nanoTime() < deadline) {
      long index = leader.consensus().submit(dev.veilraft.consensus.SimulatedNodes.event(
          dev.veilraft.consensus.SimulatedNodes.sealKv(leader.replica.view(), cluster.genesis.clusterId(),
              dev.veilraft.consensus.SimulatedNodes.put("stable-" + committed, "x"))))
          .get(RaftTestCluster.WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS).getSealedResponse().getLogIndex();
      assertThat(index).isPositive();
      committed++;
      assertThat(outsider.running() && outsider.consensus().isLeader()).as("%s leads", outsider).isFalse();
    }
    assertThat(committed).isGreaterThan(1);
    assertThat(leader.consensus().isLeader()).as("%s still leads", leader).isTrue();
    for (Member voter : voters) {
      assertThat(voter.consensus().currentTerm()).as("term of %s", voter).isEqualTo(term);
    }
    assertThat(outsider.consensus().localRole()).isNotEqualTo("LEADER");
  }
}
