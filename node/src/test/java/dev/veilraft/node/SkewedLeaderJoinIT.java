package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader whose host clock runs ahead pushes cluster time (the latest leader time applied) ahead
 * of every correct clock, and cluster time never moves back. Challenges stamped by a correct
 * member's clock then looked older than the join window to admission, and joins through that
 * member failed CHALLENGE_EXPIRED until real time caught up (found by the simulator under skew).
 */
class SkewedLeaderJoinIT {
  /** Ahead of the join window (LocalCluster.JOIN_WINDOW_MS) plus admission's allowed clock skew. */
  private static final Duration LEADER_AHEAD = Duration.ofMinutes(3);

  @TempDir
  Path root;

  private final List<VeilraftNode> nodes = new ArrayList<>();

  @AfterEach
  void stop() {
    nodes.forEach(VeilraftNode::close);
  }

  @Test
  void aJoinThroughACorrectlyClockedMemberSucceedsWhileClusterTimeIsAhead() throws Exception {
    // Proves a member stamps its challenges no earlier than cluster time: with the founder (leader) three minutes
    // ahead, a node joins through the second member, whose clock is correct, and becomes a voter.
    LocalCluster.Layout layout = TestClusters.create(root, 3, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.offset(Clock.systemUTC(), LEADER_AHEAD)));
    nodes.add(VeilraftNode.join(layout.nodes().get(1), layout.api(0), Clock.systemUTC(), null));
    long clusterTime = nodes.get(1).replica().view().lastLeaderTimeMs();
    assertThat(clusterTime).as("the second member applied the leader's skewed time")
        .isGreaterThan(System.currentTimeMillis() + LEADER_AHEAD.toMillis() / 2);

    nodes.add(VeilraftNode.join(layout.nodes().get(2), layout.api(1), Clock.systemUTC(), null));
    assertThat(Await.until(() -> nodes.get(0).consensus().votingMembers().size() == 3, Duration.ofSeconds(60)))
        .as("the third node became a voter").isTrue();
  }
}
