package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.node.ConfigException;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
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

  @Command(name = "init", description = {"Create and seal this node's keys without starting it.",
      "Prints the node id and writes <dataDir>/identity.pem for the operator to endorse with",
      "'veilraft operator endorse'; the endorsement goes to <dataDir>/endorsement.bin (or the key 'endorsement')."})
  static final class Init implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
    Path config;

    @Override
    public Integer call() throws Exception {
      NodeConfig nodeConfig;
      try {
        nodeConfig = NodeConfig.read(config);
      } catch (ConfigException e) {
        System.err.println("config error: " + e.getMessage());
        return 1;
      }
      try {
        var keys = VeilraftNode.init(nodeConfig, Clock.systemUTC());
        System.out.println("node id " + keys.nodeId());
        System.out.println("identity certificate " + nodeConfig.dataDir().resolve(VeilraftNode.IDENTITY_FILE));
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

    @Override
    public Integer call() throws Exception {
      return run(config, peer);
    }
  }

  /** The line a supervisor (the demo, a test) waits for. */
  static final String READY = "READY";

  static int run(Path configFile, URI peer) throws InterruptedException {
    NodeConfig config;
    try {
      config = NodeConfig.read(configFile);
    } catch (ConfigException e) {
      System.err.println("config error: " + e.getMessage());
      System.out.println("FAILED config " + e.getMessage());
      return 1;
    }
    VeilraftNode node;
    try {
      node = peer == null ? VeilraftNode.start(config, Clock.systemUTC())
          : VeilraftNode.join(config, peer, Clock.systemUTC(), null);
    } catch (NodeException e) {
      System.out.println("FAILED " + e.code() + " " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "veilraft-shutdown"));
    System.out.println(READY + " node=" + node.nodeId() + " api=https://" + config.api().address()
        + " epoch=" + node.replica().view().epoch() + " measurement=" + Hashes.hex(node.measurement()));
    System.out.flush();
    stopped.await();
    return 0;
  }

  private NodeCommand() {}
}
