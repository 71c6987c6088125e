package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.node.ConfigException;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.node.join.JoinClient;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs one node in this process until it is stopped (SIGTERM or Ctrl-C). */
@Command(name = "node", description = "Run a node.", subcommands = {NodeCommand.Init.class, NodeCommand.Start.class, NodeCommand.Join.class, RecoverCommand.class})
final class NodeCommand {

  @Command(name = "init", description = {"Create and seal this node's keys without starting it (also 'veilraft init').",
      "Prints the node id and writes <dataDir>/identity.pem for the operator to endorse with",
      "'veilraft operator endorse'; the endorsement goes to <dataDir>/endorsement.bin (or the key 'endorsement')."})
  static final class Init implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
    Path config;

    @Override
    public Integer call() throws Exception {
      NodeConfig nodeConfig;
      try {
        nodeConfig = ConfigFiles.read(config);
      } catch (ConfigException e) {
        System.err.println("config error: " + e.getMessage());
        return 1;
      }
      try {
        var keys = VeilraftNode.init(nodeConfig, Clock.systemUTC());
        System.out.println("node id " + keys.nodeId());
        System.out.println("identity certificate " + nodeConfig.dataDir().resolve(VeilraftNode.IDENTITY_FILE));
        System.out.println("identity public key " + Hashes.hex(keys.identity().spki()));
        System.out.println("identity spki sha256 " + Hashes.hex(Hashes.sha256(keys.identity().spki())));
        System.out.println("kem public key " + Hashes.hex(keys.kem().publicKey()));
        return 0;
      } catch (NodeException e) {
        System.err.println("FAILED " + e.code() + " " + e.getMessage());
        return 1;
      }
    }
  }

  @Command(name = "start", description = "Start a new cluster as its founder, or restart a node from its data directory.")
  static final class Start implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
    Path config;

    @Override
    public Integer call() throws Exception {
      return run(config, null);
    }
  }

  @Command(name = "join", description = "Join a cluster through a member (or restart if this node already is one).")
  static final class Join implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
    Path config;

    @Option(names = "--peer", required = true, description = "A member's API, e.g. https://127.0.0.1:8001")
    URI peer;

    @Option(names = "--peer-attempts", paramLabel = "N", defaultValue = "" + JoinClient.PEER_ATTEMPTS_DEFAULT,
        description = "Attempts to reach --peer before giving up (default: ${DEFAULT-VALUE}; the wait doubles from "
            + "0.25 s to 8 s between them).")
    int peerAttempts;

    @Override
    public Integer call() throws Exception {
      if (!"https".equals(peer.getScheme()) || peer.getHost() == null) {
        System.err.println("error: --peer '" + peer + "' must be an https://HOST:PORT URL of a member's API");
        return 2;
      }
      if (peerAttempts < 1 || peerAttempts > JoinClient.PEER_ATTEMPTS_MAX) {
        System.err.println("error: --peer-attempts is " + peerAttempts + ", expected 1.." + JoinClient.PEER_ATTEMPTS_MAX);
        return 2;
      }
      return run(config, peer, peerAttempts);
    }
  }

  /** The line a supervisor (the demo, a test) waits for. */
  static final String READY = "READY";

  static int run(Path configFile, URI peer) throws InterruptedException {
    return run(configFile, peer, JoinClient.PEER_ATTEMPTS_DEFAULT);
  }

  static int run(Path configFile, URI peer, int peerAttempts) throws InterruptedException {
    NodeConfig config;
    try {
      config = ConfigFiles.read(configFile);
    } catch (ConfigException e) {
      System.err.println("config error: " + e.getMessage());
      System.out.println("FAILED config " + e.getMessage());
      return 1;
    }
    // This process is one node: a disk failure ends it, for its supervisor to restart it from disk.
    VeilraftNode.OnDiskFailure onDiskFailure = VeilraftNode.OnDiskFailure.EXIT_PROCESS;
    VeilraftNode node;
    try {
      node = peer == null ? VeilraftNode.start(config, Clock.systemUTC(), null, onDiskFailure)
          : VeilraftNode.join(config, peer, Clock.systemUTC(), null, joinListener(), peerAttempts, onDiskFailure);
    } catch (NodeException e) {
      System.out.println("FAILED " + e.code() + " " + e.getMessage());
      return e.code().equals(VeilraftNode.DISK_FAILURE) ? VeilraftNode.DISK_FAILURE_EXIT_STATUS : 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "veilraft-shutdown"));
    System.out.println(READY + " node=" + node.nodeId() + " api=https://" + config.api().address()
        + " epoch=" + node.replica().view().epoch() + " measurement=" + Hashes.hex(node.measurement()));
    System.out.flush();
    reportCatchUp(node);
    stopped.await();
    return 0;
  }

  /** The join's steps and catch-up, as progress on this process's output. */
  private static JoinClient.Listener joinListener() {
    Progress progress = Progress.onConsole("join", System.out);
    return new JoinClient.Listener() {
      private long snapshotsSeen;

      @Override
      public void step(String text) {
        progress.step(text);
      }

      @Override
      public void installingSnapshot(long bytesReceived, long bytesTotal) {
        progress.update(INSTALLING_SNAPSHOT, bytesReceived, bytesTotal, Progress.Unit.BYTES);
      }

      @Override
      public void catchingUp(long appliedIndex, long commitIndex, long snapshotsInstalled) {
        if (snapshotsInstalled > snapshotsSeen) {
          snapshotsSeen = snapshotsInstalled;
          progress.step("installed the leader's snapshot; now at index " + appliedIndex);
        }
        progress.update(appliedIndex, commitIndex, Progress.Unit.ENTRIES);
      }
    };
  }

  /** The label of a snapshot transfer's progress (bytes received of the leader's snapshot). */
  static final String INSTALLING_SNAPSHOT = "installing snapshot";

  /** A restarted or freshly joined node further behind than this shows its catch-up. */
  static final long CATCH_UP_REPORT_ENTRIES_MIN = 100;
  static final java.time.Duration CATCH_UP_POLL = java.time.Duration.ofMillis(250);
  /**
   * How long after READY a node that is not (yet) behind keeps watching: a restarted follower
   * learns the leader's commit index, or is sent a snapshot, only after the leader's first
   * heartbeats.
   */
  static final java.time.Duration CATCH_UP_WATCH = java.time.Duration.ofSeconds(10);

  /**
   * After READY, while the node replays its log or the leader's entries (a restart after a long
   * stop): applied vs commit index as progress, or the bytes of a snapshot the leader sends,
   * until it caught up or stopped; nothing when it stays within {@link #CATCH_UP_REPORT_ENTRIES_MIN}
   * for {@link #CATCH_UP_WATCH}. A daemon thread; it ends by itself.
   */
  private static void reportCatchUp(VeilraftNode node) {
    Thread reporter = new Thread(() -> {
      Progress progress = Progress.onConsole("catching up", System.out);
      boolean shown = false;
      long started = System.nanoTime();
      try {
        while (node.consensus() != null) {
          var transfer = node.consensus().snapshotTransfer();
          if (transfer.isPresent()) {
            // The leader sends a snapshot (this node is behind its log); its size is not known here.
            shown = true;
            progress.update(INSTALLING_SNAPSHOT, transfer.get().bytesReceived(), 0, Progress.Unit.BYTES);
            Thread.sleep(CATCH_UP_POLL.toMillis());
            continue;
          }
          long commit = node.consensus().raftProgress().commitIndex();
          long applied = node.replica().appliedIndex();
          boolean behind = commit >= 0 && applied < commit;
          if (shown && !behind) {
            progress.finish("caught up at index " + applied);
            return;
          }
          if (behind && (shown || commit - applied >= CATCH_UP_REPORT_ENTRIES_MIN)) {
            shown = true;
            progress.update(applied, commit, Progress.Unit.ENTRIES);
          } else if (System.nanoTime() - started >= CATCH_UP_WATCH.toNanos()) {
            return;
          }
          Thread.sleep(CATCH_UP_POLL.toMillis());
        }
      } catch (InterruptedException | RuntimeException e) {
        // The node is stopping; progress is cosmetic.
      }
    }, "veilraft-catch-up-progress");
    reporter.setDaemon(true);
    reporter.start();
  }

  private NodeCommand() {}
}
