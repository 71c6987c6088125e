package dev.veilraft.node.demo;

import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The end-to-end demo: a real three-node cluster on loopback (one JVM per node when run from the
 * jar), two joins by mutual attestation, a rogue node refused, a client that verifies the cluster
 * and sends encrypted events, and a scan of every data directory for plaintext.
 */
public final class Demo {
  public static final int NODES = 3;

  /** Demo options. */
  public record Options(int events, int inFlight, Path workDir, boolean inProcess) {}

  private final Options options;
  private final PrintStream out;

  public Demo(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  /** Runs the demo; the last line printed is "demo OK ..." or "demo FAILED ...". Returns the exit code. */
  public int run() {
    List<NodeLauncher.Handle> running = java.util.Collections.synchronizedList(new ArrayList<>());
    // Ctrl-C must not leave node JVMs behind.
    Thread cleanup = new Thread(() -> closeAll(running), "demo-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    try {
      String ok = runSteps(running);
      closeAll(running);
      String scan = scanDisk();
      out.println(scan);
      out.println(ok);
      return 0;
    } catch (Exception e) {
      out.println("demo FAILED " + (e.getMessage() == null ? e.toString() : e.getMessage()).replace('\n', ' '));
      return 1;
    } finally {
      closeAll(running);
      Runtime.getRuntime().removeShutdownHook(cleanup);
    }
  }

  private static void closeAll(List<NodeLauncher.Handle> running) {
    synchronized (running) {
      running.forEach(NodeLauncher.Handle::close);
      running.clear();
    }
  }

  private Path root;
  private LocalCluster.Layout layout;

  private String runSteps(List<NodeLauncher.Handle> running) throws Exception {
    root = options.workDir() != null ? options.workDir() : Files.createTempDirectory("veilraft-demo-");
    Optional<Path> jar = options.inProcess() ? Optional.empty() : ProcessLauncher.runningJar();
    byte[] measurement = jar.isPresent() ? ProcessLauncher.measurementOf(jar.get())
        : CodeMeasurement.ofRunningCode(VeilraftNode.class);
    layout = LocalCluster.create(root, NODES + 1, measurement);
    NodeLauncher launcher = jar.<NodeLauncher>map(j -> new ProcessLauncher(j, root)).orElseGet(InProcessLauncher::new);
    out.println("veilraft demo: simulated TEE (INSECURE, for development only)");
    out.println("work dir  " + root);
    out.println("mode      " + (jar.isPresent() ? "one JVM per node, from " + jar.get().getFileName() : "in-process"));
    out.println("genesis   " + LocalCluster.describe(layout.genesis()) + " allows measurement " + Hashes.shortHex(measurement, 8));

    URI founderApi = URI.create("https://" + layout.nodes().get(0).api().address());
    for (int i = 0; i < NODES; i++) {
      String name = "node" + (i + 1);
      NodeLauncher.Handle node = launcher.start(name, layout.nodes().get(i), layout.configFiles().get(i),
          i == 0 ? null : founderApi);
      running.add(node);
      out.printf(Locale.ROOT, "%-9s %s %s  measurement %s  epoch %d%n", name, Hashes.shortHex(Hashes.unhex(node.nodeId()), 6),
          i == 0 ? "founded the cluster" : "joined by mutual attestation", shortHex(node.measurementHex()), node.epoch());
    }
    String refusal = launcher.startRogue(layout.nodes().get(NODES), layout.configFiles().get(NODES), founderApi);
    if (!refusal.contains("MEASUREMENT_NOT_ALLOWED")) {
      throw new IllegalStateException("rogue node was refused for the wrong reason: " + refusal);
    }
    out.println("rogue     built from altered code: refused: " + refusal.substring(refusal.indexOf("MEASUREMENT_NOT_ALLOWED")));

    try (VeilraftClient client = connect(founderApi)) {
      var cluster = client.cluster().body();
      out.printf(Locale.ROOT, "client    verified %d members against its policy '%s': epoch %d, group key %s%n",
          cluster.getMembersCount(), layout.genesis().policy().getName(), cluster.getEpoch(),
          Hashes.shortHex(cluster.getGroupPublicKey().toByteArray(), 6));
      KvWorkload.Result result = KvWorkload.run(client, options.events(), options.inFlight());
      out.printf(Locale.ROOT, "events    %d sealed put/get in %.2f s: %.0f ops/s, p50 %.1f ms, p99 %.1f ms (%d in flight)%n",
          result.operations(), result.seconds(), result.opsPerSecond(), result.p50Ms(), result.p99Ms(),
          options.inFlight());
      return String.format(Locale.ROOT, "demo OK nodes=%d epoch=%d events=%d ops_per_s=%.1f", cluster.getMembersCount(),
          cluster.getEpoch(), result.operations(), result.opsPerSecond());
    }
  }

  private VeilraftClient connect(URI api) throws ClientException {
    return VeilraftClient.connect(api, layout.genesis().policy(), new AttestationVerifier(), Clock.systemUTC(),
        layout.genesis().clusterId());
  }

  /** After the nodes stopped: no key or value the client sent appears in any file they wrote. */
  private String scanDisk() throws IOException {
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      dirs.add(layout.nodes().get(i).dataDir());
    }
    DiskScan.Result scan = DiskScan.scan(dirs, Hashes.utf8(KvWorkload.MARKER));
    if (!scan.hits().isEmpty()) {
      throw new IllegalStateException("plaintext found on disk in " + scan.hits());
    }
    return String.format(Locale.ROOT, "disk scan %d data dirs (raft log, state store, keys): %d files, %.1f MB: "
        + "no plaintext key or value found", dirs.size(), scan.files(), scan.bytes() / 1e6);
  }

  private static String shortHex(String hex) {
    return hex.length() > 16 ? hex.substring(0, 16) + "…" : hex;
  }
}
