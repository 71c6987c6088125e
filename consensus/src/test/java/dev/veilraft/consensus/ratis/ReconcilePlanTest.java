package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.consensus.ratis.RaftConsensus.Step;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@link RaftConsensus#plan}: the steps from a configuration to a target, checked against the
 * rules Ratis 3.3 enforces (RaftConfigurationImpl.changeMajority) and against losing every voter.
 */
class ReconcilePlanTest {

  private static Set<String> set(String... ids) {
    return new TreeSet<>(List.of(ids));
  }

  @Test
  void equalConfigurationNeedsNoStep() {
    assertThat(RaftConsensus.plan("a", set("a", "b", "c"), set("d"), set("a", "b", "c"), set("d"))).isNull();
  }

  @Test
  void singleVoterGrowsOneVoterAtATime() {
    Step first = RaftConsensus.plan("a", set("a"), set(), set("a", "b", "c"), set());
    assertThat(first).isEqualTo(new Step(set("a", "b"), set(), null));
    Step second = RaftConsensus.plan("a", set("a", "b"), set(), set("a", "b", "c"), set());
    assertThat(second).isEqualTo(new Step(set("a", "b", "c"), set(), null));
  }

  @Test
  void listenersArePromotedBeforeNewServersAreAdded() {
    Step step = RaftConsensus.plan("a", set("a", "b"), set("z"), set("a", "b", "c", "z"), set());
    assertThat(step).isEqualTo(new Step(set("a", "b", "z"), set(), null));
  }

  @Test
  void demotionAndRemovalComeInOneChangeAndNewListenersAfter() {
    Step step = RaftConsensus.plan("a", set("a", "b", "c", "d"), set("e"), set("a", "b"), set("c", "f"));
    assertThat(step).isEqualTo(new Step(set("a", "b"), set("c"), null));
    Step last = RaftConsensus.plan("a", set("a", "b"), set("c"), set("a", "b"), set("c", "f"));
    assertThat(last).isEqualTo(new Step(set("a", "b"), set("c", "f"), null));
  }

  @Test
  void leaderLeavingTheVotersHandsOverAfterTheAdditions() {
    Step add = RaftConsensus.plan("a", set("a"), set(), set("b"), set("a"));
    assertThat(add).isEqualTo(new Step(set("a", "b"), set(), null));
    Step handOver = RaftConsensus.plan("a", set("a", "b"), set(), set("b"), set("a"));
    assertThat(handOver.transferCandidates()).isEqualTo(set("b"));
    Step demote = RaftConsensus.plan("b", set("a", "b"), set(), set("b"), set("a"));
    assertThat(demote).isEqualTo(new Step(set("b"), set("a"), null));
  }

  /** Random configurations and targets: the plan always converges, each step within the Ratis rules. */
  @Test
  void randomTargetsConvergeWithinTheRatisRules() {
    Random random = new Random(4);
    List<String> ids = List.of("a", "b", "c", "d", "e", "f", "g");
    for (int round = 0; round < 2_000; round++) {
      Set<String> voters = new TreeSet<>();
      Set<String> listeners = new TreeSet<>();
      Set<String> targetVoters = new TreeSet<>();
      Set<String> targetListeners = new TreeSet<>();
      for (String id : ids) {
        int now = random.nextInt(3);
        int then = random.nextInt(3);
        (now == 0 ? voters : now == 1 ? listeners : new TreeSet<String>()).add(id);
        (then == 0 ? targetVoters : then == 1 ? targetListeners : new TreeSet<String>()).add(id);
      }
      if (voters.isEmpty()) {
        voters.add("a");
        listeners.remove("a");
      }
      if (targetVoters.isEmpty()) {
        targetVoters.add("g");
        targetListeners.remove("g");
      }
      String self = new ArrayList<>(voters).get(random.nextInt(voters.size()));
      String start = voters + "/" + listeners + " -> " + targetVoters + "/" + targetListeners + " led by " + self;
      for (int steps = 0; ; steps++) {
        assertThat(steps).as(start).isLessThan(20);
        Step step = RaftConsensus.plan(self, voters, listeners, targetVoters, targetListeners);
        if (step == null) {
          break;
        }
        if (step.transferCandidates() != null) {
          assertThat(voters).as(start).containsAll(step.transferCandidates());
          assertThat(step.transferCandidates()).as(start).isNotEmpty().isSubsetOf(targetVoters).doesNotContain(self);
          self = step.transferCandidates().iterator().next();
          continue;
        }
        assertThat(step.voters()).as(start).isNotEmpty().contains(self);
        assertThat(step.voters().stream().filter(step.listeners()::contains)).as(start).isEmpty();
        long added = step.voters().stream().filter(id -> !voters.contains(id)).count();
        long kept = step.voters().size() - added;
        boolean oneToTwo = voters.size() == 1 && step.voters().size() == 2 && added == 1;
        assertThat(added < kept || oneToTwo).as("%s: step %s adds %s voters and keeps %s", start, step, added, kept)
            .isTrue();
        voters.clear();
        voters.addAll(step.voters());
        listeners.clear();
        listeners.addAll(step.listeners());
      }
      assertThat(voters).as(start).isEqualTo(targetVoters);
      assertThat(listeners).as(start).isEqualTo(targetListeners);
    }
  }
}
