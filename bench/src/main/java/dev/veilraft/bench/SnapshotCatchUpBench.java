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
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.SnapshotCatchUpBench 1024}; {@code veilraft
 * bench --snapshot 64,256} runs it as a scaling curve.
 */
public final class SnapshotCatchUpBench {
  private static final int VALUE_BYTES = 60 * 1024;
  private static final int IN_FLIGHT = 16;
  private static final int SNAPSHOT_THRESHOLD = 1000;

  private SnapshotCatchUpBench() {}

  /** What one catch-up measured. */
  public record Result(long megabytes, double loadSeconds, long snapshotBytes, double catchUpSeconds) {
    public double loadMegabytesPerSecond() {
      return megabytes / loadSeconds;
    }

    public double snapshotMegabytesPerSecond() {
      return snapshotBytes / 1e6 / catchUpSeconds;
    }
  }

  public static void main(String[] args) throws Exception {
    long megabytes = args.length > 0 ? Long.parseLong(args[0]) : 256;
    Path root = Files.createTempDirectory("veilraft-catchup");
    Result r = run(root, megabytes);
    System.out.printf("loaded %d MB in %.1f s: %.1f MB/s through consensus%n", megabytes, r.loadSeconds(),
        r.loadMegabytesPerSecond());
    System.out.printf("new member caught up in %.1f s (join, attestation, snapshot transfer and install); newest"
        + " snapshot %.1f MB: %.1f MB/s%n", r.catchUpSeconds(), r.snapshotBytes() / 1e6, r.snapshotMegabytesPerSecond());
  }

  /** Loads {@code megabytes} of kv state into three in-process nodes under {@code root}, then times a fourth's catch-up. */
  public static Result run(Path root, long megabytes) throws Exception {
    long puts = Math.max(1, megabytes * 1024 * 1024 / VALUE_BYTES);
    LocalCluster.Layout layout = LocalCluster.create(root, 4, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    List<NodeConfig> configs = new ArrayList<>();
    layout.nodes().forEach(c -> configs.add(c.withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD)));
    List<VeilraftNode> nodes = new ArrayList<>();
    try {
      nodes.add(VeilraftNode.start(configs.get(0), Clock.systemUTC()));
      for (int i = 1; i < 3; i++) {
        nodes.add(VeilraftNode.join(configs.get(i), layout.api(0), Clock.systemUTC(), null));
      }
      long loadStart;
      try (VeilraftClient client = layout.connect(0)) {
        loadStart = System.nanoTime();
        Semaphore inFlight = new Semaphore(IN_FLIGHT);
        byte[] value = new byte[VALUE_BYTES];
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (long k = 0; k < puts; k++) {
          ByteBuffer.wrap(value).putLong(k);
          inFlight.acquire();
          CompletableFuture<byte[]> call = client.callAsync(KvApp.NAME,
              KvRequests.put(("key-" + k).getBytes(java.nio.charset.StandardCharsets.UTF_8), value).toByteArray());
          call.whenComplete((r, e) -> {
            if (e != null) {
              failures.add(e);
            }
            inFlight.release();
          });
        }
        inFlight.acquire(IN_FLIGHT);
        if (!failures.isEmpty()) {
          throw new IllegalStateException(failures.size() + " puts failed while loading, first: " + failures.get(0));
        }
      }
      double loadSeconds = (System.nanoTime() - loadStart) / 1e9;

      long target = nodes.get(0).replica().appliedIndex();
      long snapshotBytes = newestSnapshotBytes(configs.get(0).dataDir());
      long joinStart = System.nanoTime();
      VeilraftNode joiner = VeilraftNode.join(configs.get(3), layout.api(0), Clock.systemUTC(), null);
      nodes.add(joiner);
      if (!Await.until(() -> joiner.replica().appliedIndex() >= target, Duration.ofMinutes(30))) {
        throw new IllegalStateException("the new member did not catch up within 30 minutes");
      }
      double seconds = (System.nanoTime() - joinStart) / 1e9;
      return new Result(megabytes, loadSeconds, snapshotBytes, seconds);
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
