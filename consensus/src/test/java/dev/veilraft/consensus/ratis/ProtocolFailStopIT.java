package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.membership.GovernanceMessages;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.SetProtocolVersionAction;
import dev.veilraft.consensus.SimulatedNodes;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fail-stop instead of divergence on a real Raft group: a replica whose build cannot apply the
 * cluster's active protocol version stops applying without persisting anything the others did not,
 * the others go on, and the node catches up once restarted with a build that applies it.
 */
class ProtocolFailStopIT {
  @TempDir Path dir;

  @Test
  void aReplicaBelowTheActiveVersionStopsTheOthersGoOnAndItCatchesUpAfterTheUpgrade() throws Exception {
    // Proves the whole rolling-upgrade story with three voters whose builds apply version 2, one of which is rolled back to 1.
    try (RaftTestCluster cluster = RaftTestCluster.create(dir, RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT, 2)) {
      Member n0 = cluster.founder();
      Member n1 = cluster.addVoter("n1");
      Member n2 = cluster.addVoter("n2");
      cluster.put("before", "1");
      assertThat(cluster.awaitCaughtUp()).isTrue();

      // n2 is stopped (a rolling restart), and comes back on a build that applies only version 1.
      n2.stop();
      ApplyResult raised = cluster.submit(raise(cluster, 2));
      assertThat(raised.getMembership().getReason()).contains("approved");
      assertThat(n0.replica.view().protocolVersion()).isEqualTo(2);
      long raisedAt = n0.replica.appliedIndex();
      cluster.put("after", "2");
      n2.restartWithBuild(1);

      assertThat(awaitTrue(() -> n2.replica.halted().isPresent())).as("n2 stops applying").isTrue();
      assertThat(n2.replica.halted().orElseThrow()).contains("needs protocol version 2, this build applies up to 1: "
          + "upgrade this node");
      assertThat(n2.replica.appliedIndex()).as("n2 applied the raise (a version-1 rule) and nothing after it")
          .isEqualTo(raisedAt);
      assertThat(n2.replica.view().protocolVersion()).isEqualTo(2);
      assertThat(n2.replica.query(new byte[0]).getError().getCode()).isEqualTo("HALTED");
      assertThat(n2.replica.haltedOnDiskFailure()).as("a build too old is not a disk failure: restarting does not help")
          .isFalse();

      // The others go on without it: a quorum of two of three voters.
      cluster.put("while-halted", "3");
      assertThat(cluster.read(n1, "while-halted", false)).contains("3");
      assertThat(n2.replica.appliedIndex()).isEqualTo(raisedAt);

      // Restarted on the old build once more, n2's stored state is already above it: it halts before any entry and
      // stops its Raft server, so it can neither vote nor lead with its current log (review R5).
      n2.restartWithBuild(1);
      assertThat(n2.replica.halted().orElseThrow()).contains("protocol version");
      assertThat(awaitTrue(() -> n2.consensus().localRole().equals("CLOSED")))
          .as("n2's raft server stopped (now %s)", n2.consensus().localRole()).isTrue();
      cluster.put("while-halted-again", "4");
      assertThat(cluster.read(n1, "while-halted-again", false)).contains("4");

      // Upgraded again, n2 replays from its last applied entry and holds exactly what the others hold.
      n2.restartWithBuild(2);
      assertThat(awaitTrue(() -> n2.replica.appliedIndex() >= n0.replica.appliedIndex())).isTrue();
      assertThat(n2.replica.halted()).isEmpty();
      assertThat(n2.replica.view().toSnapshot()).isEqualTo(n0.replica.view().toSnapshot());
      assertThat(cluster.read(n2, "before", true)).contains("1");
      assertThat(cluster.read(n2, "after", true)).contains("2");
      assertThat(cluster.read(n2, "while-halted", true)).contains("3");
      assertThat(cluster.read(n2, "while-halted-again", true)).contains("4");
    }
  }

  @Test
  void theLeaderRefusesAProposalWithUnknownStructureBeforeItEntersTheLog() throws Exception {
    // Proves an unknown field in a proposal never reaches the log through an honest leader, so it halts no replica.
    try (RaftTestCluster cluster = RaftTestCluster.create(dir)) {
      Member n0 = cluster.founder();
      long lastLogIndex = n0.consensus().raftProgress().lastLogIndex();
      Proposal unknown = Proposal.newBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
          .addField(40, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
      ExecutionException refused = org.assertj.core.api.Assertions.catchThrowableOfType(() -> cluster.submit(unknown),
          ExecutionException.class);
      assertThat(refused).isNotNull();
      assertThat(refused).rootCause().hasMessageContaining("UNKNOWN_STRUCTURE")
          .hasMessageContaining("proposal has unknown field number(s) [40]");
      assertThat(n0.consensus().raftProgress().lastLogIndex()).as("nothing was appended to the log")
          .isEqualTo(lastLogIndex);
      assertThat(n0.replica.halted()).isEmpty();
      cluster.put("after", "ok");
    }
  }

  /** A set_protocol_version proposal by the genesis' only operator (threshold 1: it applies at once). */
  private static Proposal raise(RaftTestCluster cluster, int version) {
    GovProposal proposal = GovernanceMessages.proposal(cluster.genesis.clusterId(), SimulatedNodes.OPERATOR,
        System.currentTimeMillis() + 3_600_000, "raise").setSetProtocolVersion(
        SetProtocolVersionAction.newBuilder().setVersion(version)).build();
    return Proposal.newBuilder().setGovProposal(GovernanceMessages.sign(proposal, SimulatedNodes.OPERATOR_KEY)).build();
  }
}
