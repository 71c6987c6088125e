package dev.veilraft.bench;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.Await;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * How fast a new member catches up by snapshot: three in-process nodes receive {@code MB} of kv
 * state (60 KiB values) through the encrypted client path, take snapshots and purge their logs;
 * then a fourth node joins and the time until it has applied the leader's index is measured.
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.SnapshotCatchUpBench 1024}.
 */
public final class SnapshotCatchUpBench {
  private static final int VALUE_BYTES = 60 * 1024;
  private static final int IN_FLIGHT = 16;
  private static final int SNAPSHOT_THRESHOLD = 1000;

  private SnapshotCatchUpBench() {}

  public static void main(String[] args) throws Exception {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 256;
    long puts = megabytes * 1024 * 1024 / VALUE_BYTES;
    Path root = Files.createTempDirectory("veilraft-catchup");
    LocalCluster.Layout layout = LocalCluster.create(root, 4, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    List<NodeConfig> configs = new ArrayList<>();
    layout.nodes().forEach(c -> configs.add(c.withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD)));
    List<VeilraftNode> nodes = new ArrayList<>();
    try {
      nodes.add(VeilraftNode.start(configs.get(0), Clock.systemUTC()));
      for (int i = 1; i < 3; i++) {
        nodes.add(VeilraftNode.join(configs.get(i), layout.api(0), Clock.systemUTC(), null));
      }
      VeilraftClient client = layout.connect(0);
      long loadStart = System.nanoTime();
      Semaphore inFlight = new Semaphore(IN_FLIGHT);
      byte[] value = new byte[VALUE_BYTES];
      for (long k = 0; k < puts; k++) {
        ByteBuffer.wrap(value).putLong(k);
        inFlight.acquire();
        CompletableFuture<byte[]> call = client.callAsync(KvApp.NAME,
            KvRequests.put(("key-" + k).getBytes(java.nio.charset.StandardCharsets.UTF_8), value).toByteArray());
        call.whenComplete((r, e) -> inFlight.release());
      }
      inFlight.acquire(IN_FLIGHT);
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
      System.out.printf("loaded %d MB (%d puts of %d KiB) in %.1f s: %.1f MB/s through consensus%n", megabytes, puts,
          VALUE_BYTES / 1024, loadSeconds, megabytes / loadSeconds);

      long target = nodes.get(0).replica().appliedIndex();
      long snapshotBytes = newestSnapshotBytes(configs.get(0).dataDir());
      long joinStart = System.nanoTime();
      VeilraftNode joiner = VeilraftNode.join(configs.get(3), layout.api(0), Clock.systemUTC(), null);
      nodes.add(joiner);
      if (!Await.until(() -> joiner.replica().appliedIndex() >= target, Duration.ofMinutes(30))) {
        throw new IllegalStateException("the new member did not catch up within 30 minutes");
      }
      double seconds = (System.nanoTime() - joinStart) / 1e9;
      System.out.printf("new member caught up to index %d in %.1f s (join, attestation, snapshot transfer and "
          + "install); newest snapshot %.1f MB: %.1f MB/s%n", target, seconds, snapshotBytes / 1e6,
          snapshotBytes / 1e6 / seconds);
    } finally {
      nodes.forEach(VeilraftNode::close);
    }
  }

  private static long newestSnapshotBytes(Path dataDir) throws Exception {
    try (Stream<Path> files = Files.walk(dataDir.resolve("raft"))) {
      return files.filter(f -> f.getFileName().toString().startsWith("snapshot.") && !f.toString().endsWith(".md5"))
          .mapToLong(f -> f.toFile().length()).max().orElse(0);
    }
  }
}
