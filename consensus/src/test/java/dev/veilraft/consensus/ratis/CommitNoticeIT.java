package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * veilraft's Raft properties keep no commit-index metadata entries, so a follower must learn of a
 * commit advance some other way than from the next entry: {@link CommitNotifyingGrpc}'s appender
 * sends it at once. A real three-server Ratis group on loopback with veilraft's properties
 * ({@link RaftConsensus#properties}) and the baseline's state machine.
 */
class CommitNoticeIT {
  /** Heartbeats go every half of the minimum election timeout: every 15 s here. */
  private static final Duration ELECTION_TIMEOUT_MIN = Duration.ofSeconds(30);
  private static final Duration ELECTION_TIMEOUT_MAX = Duration.ofSeconds(40);
  /** c1's first election timeout (min, max in ms). */
  private static final long[] FIRST_ELECTION_SOON = {150, 300};
  /** The other servers' first election timeout: they campaign only if c1's first election failed. */
  private static final long[] FIRST_ELECTION_LATE = {20_000, 25_000};
  /** Well inside the 15 s before the next heartbeat. */
  private static final Duration APPLY_BOUND = Duration.ofSeconds(10);

  @TempDir Path dir;

  @Test
  void everyFollowerAppliesALoneCommitBeforeTheNextHeartbeatAndTheLogHoldsNoMetadataEntry() throws Exception {
    // A lone put: no entry follows it, so without the commit notice the followers would apply it only at the next
    // heartbeat, 15 s after its append. (Ratis' stock gRPC appender, metadata entries off, fails this test.)
    List<PlaintextBaseline.Peer> peers = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      peers.add(new PlaintextBaseline.Peer("c" + i, "127.0.0.1:" + RaftTestCluster.freePort()));
    }
    List<RaftServer> servers = new ArrayList<>();
    try {
      // The first election has its own timeout. A server that campaigns before its peers run fails and then
      // waits a whole election timeout (30-40 s), so the peers start first with a long one and c1 last with a
      // short one: it campaigns once the others run.
      servers.add(start(peers.get(1), peers, FIRST_ELECTION_LATE));
      servers.add(start(peers.get(2), peers, FIRST_ELECTION_LATE));
      servers.add(start(peers.get(0), peers, FIRST_ELECTION_SOON));
      assertThat(RaftTestCluster.awaitTrue(() -> leader(servers).isPresent(), Duration.ofSeconds(60)))
          .as("a leader").isTrue();
      try (PlaintextBaseline.Client client = PlaintextBaseline.Client.connect(settings(dir.resolve("client"), 0),
          peers, Optional.empty())) {
        assertThat(client.put(List.of(utf8("k")), List.of(utf8("v"))).get(60, TimeUnit.SECONDS)).isEqualTo(1);
      }
      RaftServer.Division leader = leader(servers).orElseThrow();
      long committed = leader.getRaftLog().getLastCommittedIndex();

      boolean allApplied = RaftTestCluster.awaitTrue(() -> servers.stream()
          .allMatch(s -> division(s).getInfo().getLastAppliedIndex() >= committed), APPLY_BOUND);
      assertThat(allApplied).as("every member applied index %d within %s (applied: %s)", committed, APPLY_BOUND,
          servers.stream().map(s -> division(s).getInfo().getLastAppliedIndex()).toList()).isTrue();

      for (RaftServer server : servers) {
        var log = division(server).getRaftLog();
        for (long index = log.getStartIndex(); index < log.getNextIndex(); index++) {
          LogEntryProto entry = log.get(index);
          assertThat(entry.hasMetadataEntry()).as("entry %d on %s is a commit-index metadata entry", index,
              server.getId()).isFalse();
        }
      }
    } finally {
      for (RaftServer server : servers) {
        server.close();
      }
    }
  }

  private RaftServer start(PlaintextBaseline.Peer self, List<PlaintextBaseline.Peer> peers, long[] firstElectionMs)
      throws Exception {
    int port = Integer.parseInt(self.address().substring(self.address().indexOf(':') + 1));
    RaftProperties properties = RaftConsensus.properties(settings(dir.resolve(self.id()), port));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(properties,
        TimeDuration.valueOf(firstElectionMs[0], TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(properties,
        TimeDuration.valueOf(firstElectionMs[1], TimeUnit.MILLISECONDS));
    RaftServer server = RaftServer.newBuilder()
        .setServerId(RaftPeerId.valueOf(self.id()))
        .setGroup(RaftGroup.valueOf(PlaintextBaseline.GROUP_ID,
            peers.stream().map(PlaintextBaseline.Peer::raftPeer).toList()))
        .setStateMachine(new PlaintextStateMachine())
        .setProperties(properties)
        .setParameters(new Parameters())
        .setOption(RaftStorage.StartupOption.FORMAT)
        .build();
    server.start();
    return server;
  }

  private static Optional<RaftServer.Division> leader(List<RaftServer> servers) {
    return servers.stream().map(CommitNoticeIT::division).filter(d -> d.getInfo().isLeader()).findFirst();
  }

  private static RaftServer.Division division(RaftServer server) {
    try {
      return server.getDivision(PlaintextBaseline.GROUP_ID);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static RaftConsensus.Settings settings(Path storage, int port) {
    return new RaftConsensus.Settings(storage, "127.0.0.1", port, ELECTION_TIMEOUT_MIN, ELECTION_TIMEOUT_MAX);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
