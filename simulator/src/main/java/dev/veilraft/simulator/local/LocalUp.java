package dev.veilraft.simulator.local;

import dev.veilraft.node.Await;
import dev.veilraft.simulator.cluster.NodeStatus;
import dev.veilraft.simulator.cluster.ProcessCluster;
import dev.veilraft.simulator.cluster.SimException;
import dev.veilraft.simulator.cluster.SimLayout;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veilraft local up --nodes N --dir DIR}: starts N node processes (simulated TEE, fresh
 * genesis), waits until every node is a voter, writes {@code DIR/cluster.json} and stays in the
 * foreground until {@code local down --dir DIR} or Ctrl-C, which stop the nodes.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
    versionProvider = dev.veilraft.simulator.SimulatorMain.Version.class,
    description = {"Start a local cluster: one process per node, simulated TEE (INSECURE), fresh genesis. Waits until "
        + "every node is a voter, writes DIR/cluster.json (each node's id, HTTPS/WebSocket URL, Raft address, pid; the "
        + "client policy file) and runs until 'veilraft local down --dir DIR' or Ctrl-C."},
    footer = {"", "DIR must be empty, new, or a directory an earlier 'local up' made (its contents are replaced).",
        "The line 'LOCAL UP nodes=N dir=DIR' says the cluster serves; 'LOCAL FAILED <reason>' that it does not."})
public final class LocalUp implements Callable<Integer> {
  /** Marks a directory as made by 'local up', so a later 'up' may replace its contents. */
  static final String MARKER = ".veilraft-local";
  public static final Duration VOTERS_TIMEOUT = Duration.ofSeconds(120);
  static final long WATCH_MS = 1_000;

  @Spec CommandSpec spec;

  @Option(names = "--nodes", defaultValue = "3", description = "Nodes, 1..9 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--dir", required = true, description = "The cluster's directory.")
  Path dir;

  @Option(names = "--node-jar", paramLabel = "JAR", description = "The jar the nodes run (default: "
      + "node/target/veilraft.jar next to this jar, else this jar).")
  Path nodeJar;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (nodes < 1 || nodes > 9) {
      out.println("LOCAL FAILED --nodes " + nodes + ": expected 1..9");
      return 2;
    }
    Path root = dir.toAbsolutePath();
    try {
      prepare(root);
    } catch (IOException e) {
      out.println("LOCAL FAILED " + e.getMessage());
      return 2;
    }
    dev.veilraft.simulator.SimulatorMain.logTo(root.resolve("local.log"));
    ProcessCluster cluster = ProcessCluster.create(root, nodes, 0, dev.veilraft.simulator.NodeJar.find(
        nodeJar), false, 0);
    Thread stopper = new Thread(() -> stop(cluster, root), "local-down");
    Runtime.getRuntime().addShutdownHook(stopper);
    try {
      out.println("starting " + nodes + " nodes in " + root + " (simulated TEE, INSECURE)");
      out.flush();
      cluster.startAll();
      if (!Await.until(() -> allVoters(cluster), VOTERS_TIMEOUT)) {
        throw new SimException("NOT_VOTERS", "not every node became a voter within " + VOTERS_TIMEOUT.toSeconds() + " s");
      }
      Path policy = ClusterJson.writeClientPolicy(root, cluster.layout().cluster().genesis().policy());
      Path json = ClusterJson.write(root, cluster, policy);
      for (int slot = 0; slot < nodes; slot++) {
        out.printf("%s %s https://%s raft %s pid %d%n", SimLayout.name(slot), cluster.layout().nodeIds().get(slot),
            cluster.layout().config(slot).api().address(), cluster.layout().config(slot).raft().address(),
            cluster.process(slot).map(Process::pid).orElse(-1L));
      }
      out.println("cluster.json " + json);
      out.println("client policy " + policy);
      out.println("LOCAL UP nodes=" + nodes + " dir=" + root);
      out.flush();
    } catch (SimException | IOException e) {
      out.println("LOCAL FAILED " + e.getMessage());
      out.flush();
      return 1;
    }
    watch(cluster, out);
    return 0;
  }

  /** Refuses a directory that is not ours; clears one an earlier 'up' made. */
  static void prepare(Path root) throws IOException {
    if (Files.isDirectory(root)) {
      boolean empty;
      try (Stream<Path> list = Files.list(root)) {
        empty = list.findAny().isEmpty();
      }
      if (!empty && !Files.exists(root.resolve(MARKER))) {
        throw new IOException(root + " is not empty and was not made by 'veilraft local up': choose another --dir");
      }
      if (Files.exists(root.resolve(ClusterJson.FILE))) {
        Optional<Long> supervisor = ClusterJson.pids(root.resolve(ClusterJson.FILE)).stream().findFirst();
        if (supervisor.isPresent() && ProcessHandle.of(supervisor.get()).map(ProcessHandle::isAlive).orElse(false)) {
          throw new IOException("a local cluster already runs in " + root + " (pid " + supervisor.get()
              + "): 'veilraft local down --dir " + root + "' first");
        }
      }
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          if (!p.equals(root)) {
            Files.delete(p);
          }
        }
      }
    }
    Files.createDirectories(root);
    Files.writeString(root.resolve(MARKER), "made by 'veilraft local up'\n");
  }

  static boolean allVoters(ProcessCluster cluster) {
    int n = cluster.layout().members();
    for (int slot = 0; slot < n; slot++) {
      Optional<NodeStatus> s = cluster.status(slot);
      if (s.isEmpty() || s.get().voters().size() != n || s.get().members().size() != n) {
        return false;
      }
    }
    return true;
  }

  /** Stays up, reporting nodes that exit, until the JVM is asked to stop. */
  private static void watch(ProcessCluster cluster, PrintWriter out) throws InterruptedException {
    boolean[] reported = new boolean[cluster.layout().members()];
    while (true) {
      for (int slot = 0; slot < reported.length; slot++) {
        if (!reported[slot] && !cluster.running(slot)) {
          reported[slot] = true;
          out.println("node " + SimLayout.name(slot) + " exited; see " + cluster.logOf(slot));
          out.flush();
        }
      }
      Thread.sleep(WATCH_MS);
    }
  }

  private static void stop(ProcessCluster cluster, Path root) {
    for (int slot = 0; slot < cluster.layout().members(); slot++) {
      try {
        cluster.stop(slot);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    cluster.close();
    try {
      Files.deleteIfExists(root.resolve(ClusterJson.FILE));
    } catch (IOException e) {
      // Nothing more to do on the way out.
    }
  }
}
