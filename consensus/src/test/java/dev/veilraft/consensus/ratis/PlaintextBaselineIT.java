package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark baseline runs as a real three-server Ratis group on loopback: puts commit and read back on every member's state. */
class PlaintextBaselineIT {
  @TempDir Path dir;

  @Test
  void threeServersCommitBatchesOfPuts() throws Exception {
    // A batch of puts is one entry; the client's linearizable read sees it once the call completed.
    List<PlaintextBaseline.Peer> peers = threePeers();
    List<PlaintextBaseline.Server> servers = new ArrayList<>();
    try {
      startAll(peers, RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT, servers);
      try (PlaintextBaseline.Client client = PlaintextBaseline.Client.connect(settings(dir.resolve("client"), 0), peers,
          Optional.empty())) {
        int applied = client.put(List.of(utf8("k1"), utf8("k2")), List.of(utf8("v1"), utf8("v2")))
            .get(60, TimeUnit.SECONDS);
        assertThat(applied).isEqualTo(2);
        assertThat(client.get(utf8("k2")).get(60, TimeUnit.SECONDS)).isEqualTo(utf8("v2"));
        assertThat(client.get(utf8("absent")).get(60, TimeUnit.SECONDS)).isEmpty();
      }
      assertThat(servers.stream().filter(PlaintextBaseline.Server::isLeader)).hasSize(1);
    } finally {
      for (PlaintextBaseline.Server server : servers) {
        server.close();
      }
    }
  }

  @Test
  void aFollowerBehindThePurgedLogCatchesUpFromTheLeadersSnapshot() throws Exception {
    // Proves the baseline survives what a long benchmark does to it: a follower that falls behind while the leader
    // snapshots and purges its log is sent the snapshot, installs it and replicates again. (Its state machine once
    // ignored pause, so Ratis stopped such a follower and the benchmark measured the baseline with two members.)
    List<PlaintextBaseline.Peer> peers = threePeers();
    long threshold = RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN;
    List<PlaintextBaseline.Server> servers = new ArrayList<>();
    try {
      startAll(peers, threshold, servers);
      try (PlaintextBaseline.Client client = PlaintextBaseline.Client.connect(settings(dir.resolve("client"), 0), peers,
          Optional.empty())) {
        client.put(List.of(utf8("first")), List.of(utf8("v"))).get(60, TimeUnit.SECONDS);
        int lagging = servers.get(0).isLeader() ? 1 : 0;
        long laggingNext = servers.get(lagging).logNextIndex();
        servers.get(lagging).close();

        byte[] value = new byte[1024]; // 1 KiB: the 64 KiB log segments fill and close every few dozen puts
        int puts = 400;
        for (int i = 0; i < puts; i++) {
          client.put(List.of(utf8("k" + i)), List.of(value)).get(60, TimeUnit.SECONDS);
        }
        assertThat(RaftTestCluster.awaitTrue(() -> servers.stream().anyMatch(PlaintextBaseline.Server::isLeader),
            Duration.ofSeconds(60))).as("a leader").isTrue();
        PlaintextBaseline.Server leader = servers.stream().filter(PlaintextBaseline.Server::isLeader).findFirst()
            .orElseThrow();
        assertThat(leader.logStartIndex()).as("the leader purged the entries the stopped follower needs next")
            .isGreaterThan(laggingNext);

        servers.set(lagging, start(peers.get(lagging), peers, threshold));
        PlaintextBaseline.Server restarted = servers.get(lagging);
        RaftTestCluster.awaitTrue(() -> restarted.size() >= puts + 1, Duration.ofSeconds(60));
        assertThat(restarted.size()).as("keys on the follower that was sent the snapshot").isEqualTo(puts + 1);
        assertThat(restarted.snapshotsInstalled()).as("snapshots the restarted follower was sent and installed")
            .isPositive();
        // And it keeps replicating after the install.
        client.put(List.of(utf8("last")), List.of(utf8("v"))).get(60, TimeUnit.SECONDS);
        RaftTestCluster.awaitTrue(() -> restarted.size() >= puts + 2, Duration.ofSeconds(60));
        assertThat(restarted.size()).isEqualTo(puts + 2);
      }
    } finally {
      for (PlaintextBaseline.Server server : servers) {
        server.close();
      }
    }
  }

  private static List<PlaintextBaseline.Peer> threePeers() throws Exception {
    List<PlaintextBaseline.Peer> peers = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      peers.add(new PlaintextBaseline.Peer("p" + i, "127.0.0.1:" + RaftTestCluster.freePort()));
    }
    return peers;
  }

  /** Starts every peer, adding each to {@code servers} as it starts (so the caller closes what started). */
  private void startAll(List<PlaintextBaseline.Peer> peers, long snapshotThresholdEntries,
      List<PlaintextBaseline.Server> servers) throws Exception {
    for (PlaintextBaseline.Peer peer : peers) {
      servers.add(start(peer, peers, snapshotThresholdEntries));
    }
  }

  private PlaintextBaseline.Server start(PlaintextBaseline.Peer peer, List<PlaintextBaseline.Peer> peers,
      long snapshotThresholdEntries) throws Exception {
    int port = Integer.parseInt(peer.address().substring(peer.address().indexOf(':') + 1));
    return PlaintextBaseline.Server.start(settings(dir.resolve(peer.id()), port, snapshotThresholdEntries), peer.id(),
        peers, Optional.empty());
  }

  private static RaftConsensus.Settings settings(Path storage, int port) {
    return settings(storage, port, RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT);
  }

  private static RaftConsensus.Settings settings(Path storage, int port, long snapshotThresholdEntries) {
    return new RaftConsensus.Settings(storage, "127.0.0.1", port, Duration.ofMillis(300), Duration.ofMillis(600),
        snapshotThresholdEntries);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
