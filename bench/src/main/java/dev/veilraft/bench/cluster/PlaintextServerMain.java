package dev.veilraft.bench.cluster;

import dev.veilraft.consensus.ratis.PlaintextBaseline;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.node.NodeConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * One plaintext baseline server in its own JVM (launched by {@link PlaintextCluster}):
 * {@code PlaintextServerMain ID DATA_DIR PEERS [TLS_DIR]} where PEERS is
 * {@code id=host:port,...} (this server among them). Prints {@code READY id=ID} once its Raft
 * server runs, or {@code FAILED reason}; runs until killed. With TLS_DIR, peer traffic is mutual
 * TLS between the processes whose identities are listed there (see {@link BaselineTls}).
 */
public final class PlaintextServerMain {
  private PlaintextServerMain() {}

  public static void main(String[] args) throws Exception {
    // As a veilraft node does first (the baseline is the same Ratis under the same JVM settings):
    // on 2 cores the common pool's parallelism is 1, and Ratis' follower then starts a thread per
    // log entry for its CompletableFuture *Async calls (5–11% of a baseline follower's samples in
    // session 20, before this).
    dev.veilraft.node.cli.Main.commonPoolNeverThreadPerTask();
    if (args.length < 3 || args.length > 4) {
      System.out.println("FAILED usage: PlaintextServerMain ID DATA_DIR id=host:port,... [TLS_DIR]");
      System.exit(2);
    }
    String id = args[0];
    List<PlaintextBaseline.Peer> peers = parsePeers(args[2]);
    PlaintextBaseline.Peer self = peers.stream().filter(p -> p.id().equals(id)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("peer list does not name " + id));
    String host = self.address().substring(0, self.address().lastIndexOf(':'));
    int port = Integer.parseInt(self.address().substring(self.address().lastIndexOf(':') + 1));
    Optional<PlaintextBaseline.Tls> tls = args.length == 4 ? Optional.of(BaselineTls.create(Path.of(args[3])))
        : Optional.empty();
    PlaintextBaseline.Server server;
    try {
      server = PlaintextBaseline.Server.start(settings(Path.of(args[1]), host, port), id, peers, tls);
    } catch (Exception e) {
      System.out.println("FAILED " + e);
      System.exit(1);
      return;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        server.close();
      } catch (Exception e) {
        // Exiting anyway.
      }
    }));
    System.out.println("READY id=" + id);
    new CountDownLatch(1).await();
  }

  /** The settings a veilraft node gets by default (election timeouts, snapshot threshold), for this address. */
  static RaftConsensus.Settings settings(Path dataDir, String host, int port) {
    return new RaftConsensus.Settings(dataDir, host, port, Duration.ofMillis(NodeConfig.ELECTION_TIMEOUT_MIN_MS_DEFAULT),
        Duration.ofMillis(NodeConfig.ELECTION_TIMEOUT_MAX_MS_DEFAULT), RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT);
  }

  static List<PlaintextBaseline.Peer> parsePeers(String text) {
    List<PlaintextBaseline.Peer> peers = new ArrayList<>();
    for (String part : text.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0 || part.lastIndexOf(':') < eq) {
        throw new IllegalArgumentException("peer '" + part + "' is not id=host:port");
      }
      peers.add(new PlaintextBaseline.Peer(part.substring(0, eq), part.substring(eq + 1)));
    }
    return peers;
  }
}
