package dev.veilraft.simulator.check;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.simulator.check.MembershipObserver.Observation;
import dev.veilraft.simulator.check.MembershipObserver.Removal;
import dev.veilraft.simulator.cluster.NodeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class MembershipCheckerTest {
  private final List<Observation> observations = new ArrayList<>();

  private MembershipCheckerTest see(long t, String observer, long epoch, String keyId, long applied, List<String> members,
      Map<String, String> raft, List<Long> held) {
    observations.add(new Observation(t, 0,
        new NodeStatus(observer, epoch, keyId, false, members, raft, held, applied, applied, applied, members, false)));
    return this;
  }

  private MembershipCheckerTest see(long t, String observer, long epoch, long applied, String... members) {
    return see(t, observer, epoch, "", applied, List.of(members), Map.of(), List.of());
  }

  private Verdict check(Set<String> legit, Set<String> attackers, Map<String, Removal> removals) {
    return new MembershipChecker(observations, legit, attackers, removals).check();
  }

  @Test
  void admittedMembersAndGrowingEpochsPass() {
    // Proves a normal run passes: only legitimate ids, epochs that only grow.
    see(1, "a", 1, 5, "a").see(2, "a", 2, 9, "a", "b").see(3, "b", 2, 9, "a", "b").see(4, "a", 3, 12, "a", "b", "c");
    assertThat(check(Set.of("a", "b", "c"), Set.of("x"), Map.of()).passed()).isTrue();
  }

  @Test
  void anAttackerInTheRaftConfigurationFails() {
    // Proves an attacker's id anywhere (here only in a Raft configuration) fails the run and is named.
    see(1, "a", 1, "", 5, List.of("a"), Map.of("a", "VOTER", "evil0000000000", "LISTENER"), List.of());
    Verdict v = check(Set.of("a"), Set.of("evil0000000000"), Map.of());
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("attacker evil00000000 is in the Raft configuration");
  }

  @Test
  void anUnknownIdFails() {
    // Proves an id the run never created fails even if nobody flagged it as an attacker.
    see(1, "a", 1, 5, "a", "zzz");
    assertThat(check(Set.of("a"), Set.of(), Map.of()).detail()).contains("unknown node zzz");
  }

  @Test
  void aRemovedMemberThatComesBackFails() {
    // Proves the revenant check: once a view dropped a removed member, it may not list it again.
    see(1, "a", 2, 5, "a", "r").see(3, "a", 3, 7, "a").see(5, "a", 3, 8, "a", "r");
    Verdict v = check(Set.of("a", "r"), Set.of(), Map.of("r", new Removal("r", 2, 3)));
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("removed node r is back");
  }

  @Test
  void aLaggingViewMayStillListARemovedMemberUntilItAppliesTheRemoval() {
    // Proves a follower that has not applied the removal yet is not a violation.
    see(1, "b", 2, 5, "b", "r").see(3, "b", 2, 5, "b", "r").see(4, "b", 3, 7, "b");
    assertThat(check(Set.of("b", "r"), Set.of(), Map.of("r", new Removal("r", 2, 3))).passed()).isTrue();
  }

  @Test
  void aRemovedNodeHoldingItsRemovalEpochFails() {
    // Proves a removed node must never hold the key of the epoch created with its removal.
    see(5, "r", 2, "", 9, List.of("a", "r"), Map.of(), List.of(1L, 2L, 3L));
    Verdict v = check(Set.of("a", "r"), Set.of(), Map.of("r", new Removal("r", 2, 3)));
    assertThat(v.passed()).isFalse();
    assertThat(v.detail()).contains("holds the secret of epoch 3");
  }

  @Test
  void aRemovedNodeMayHaveAppliedTheEpochThatRemovedIt() {
    // Proves the entry that removed a node may reach it: its view's epoch is not a key it holds.
    see(5, "r", 3, "", 9, List.of("a"), Map.of(), List.of(1L, 2L));
    assertThat(check(Set.of("a", "r"), Set.of(), Map.of("r", new Removal("r", 2, 3))).passed()).isTrue();
  }

  @Test
  void anEpochGoingBackFailsButARestartFromScratchDoesNot() {
    // Proves epochs are monotonic per node while its applied index grows; a node replaying from an empty store
    // (applied index lower) starts a new incarnation.
    see(1, "a", 3, 10, "a").see(2, "a", 2, 11, "a");
    assertThat(check(Set.of("a"), Set.of(), Map.of()).detail()).contains("went back from 3 to 2");
    observations.clear();
    see(1, "a", 3, 10, "a").see(2, "a", 1, 2, "a").see(3, "a", 3, 11, "a");
    assertThat(check(Set.of("a"), Set.of(), Map.of()).passed()).isTrue();
  }

  @Test
  void oneEpochHasOneKey() {
    // Proves two nodes disagreeing on an epoch's key id fail the run.
    see(1, "a", 2, "aaaaaaaaaaaaaaaaaaaa", 5, List.of("a", "b"), Map.of(), List.of())
        .see(2, "b", 2, "bbbbbbbbbbbbbbbbbbbb", 5, List.of("a", "b"), Map.of(), List.of());
    assertThat(check(Set.of("a", "b"), Set.of(), Map.of()).detail()).contains("epoch 2 has key id");
  }
}
