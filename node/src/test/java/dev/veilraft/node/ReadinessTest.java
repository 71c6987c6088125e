package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The readiness decision: every unmet condition is named, and a node is ready only when none is. */
class ReadinessTest {
  @Test
  void aCaughtUpMemberWithTheKeyAndALeaderIsReady() {
    // Proves the happy case, including a lag exactly at the bound.
    Readiness readiness = Readiness.evaluate(true, 3, true, Optional.of("n1"), 100 + Readiness.APPLY_LAG_ENTRIES_MAX,
        100);
    assertThat(readiness.ready()).isTrue();
    assertThat(readiness.unmet()).isEmpty();
  }

  @Test
  void aFreshNodeListsEveryUnmetCondition() {
    // Proves a node with nothing (no membership, epoch, leader or Raft server) names all four conditions.
    Readiness readiness = Readiness.evaluate(false, 0, false, Optional.empty(), -1, 0);
    assertThat(readiness.ready()).isFalse();
    assertThat(readiness.unmet()).extracting(Readiness.Unmet::condition)
        .containsExactly("MEMBER", "EPOCH_KEY", "LEADER", "CAUGHT_UP");
  }

  @Test
  void aMissingEpochSecretAndALaggingReplicaAreNamed() {
    // Proves a member without the current epoch's secret, or too far behind the commit index, is not ready.
    Readiness noKey = Readiness.evaluate(true, 4, false, Optional.of("n1"), 10, 10);
    Readiness lagging = Readiness.evaluate(true, 4, true, Optional.of("n1"), 101 + Readiness.APPLY_LAG_ENTRIES_MAX, 100);
    assertThat(noKey.unmet()).singleElement().satisfies(u -> {
      assertThat(u.condition()).isEqualTo("EPOCH_KEY");
      assertThat(u.detail()).contains("epoch 4");
    });
    assertThat(lagging.unmet()).singleElement().satisfies(u -> {
      assertThat(u.condition()).isEqualTo("CAUGHT_UP");
      assertThat(u.detail()).contains("trails the commit index");
    });
  }

  @Test
  void aHaltedReplicaIsNeverReadyAndSaysWhy() {
    // Proves a replica that stopped applying (here: a build below the active protocol version) is not ready even with everything else met, and names the reason first.
    Readiness readiness = Readiness.evaluate(Optional.of("at index 9: entry 9 needs protocol version 2, this build "
        + "applies up to 1: upgrade this node"), true, 3, true, Optional.of("n1"), 10, 8);
    assertThat(readiness.ready()).isFalse();
    assertThat(readiness.unmet()).singleElement().satisfies(u -> {
      assertThat(u.condition()).isEqualTo("HALTED");
      assertThat(u.detail()).contains("needs protocol version 2", "upgrade this node", "serves no reads");
    });
  }
}
