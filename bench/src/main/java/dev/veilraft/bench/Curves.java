package dev.veilraft.bench;

import dev.veilraft.bench.cluster.BenchCluster;
import dev.veilraft.bench.curves.JoinRotationCurve;
import dev.veilraft.bench.curves.MemoryCurve;
import dev.veilraft.bench.report.Results;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The scaling curves other than throughput: join and rotation, snapshot install, memory. */
final class Curves {
  /** Cluster size of the memory curve. */
  static final int MEMORY_CLUSTER_NODES = 3;
  /** Passes of the join curve after its warm-up pass. */
  static final int JOIN_PASSES = 2;

  /** Starts a cluster of one mode (see {@link BenchMain#startCluster}). */
  @FunctionalInterface
  interface ClusterStarter {
    BenchCluster start(String mode, int size, Path root) throws Exception;
  }

  private final PrintStream out;
  private final Results results;
  private final Path runDir;

  Curves(PrintStream out, Results results, Path runDir) {
    this.out = out;
    this.results = results;
    this.runDir = runDir;
  }

  void run(Integer joinMembersMax, List<Long> snapshotMegabytes, List<Long> memoryMegabytes, ClusterStarter starter)
      throws Exception {
    if (joinMembersMax != null) {
      join(joinMembersMax);
    }
    if (snapshotMegabytes != null) {
      for (long mb : snapshotMegabytes) {
        snapshot(mb);
      }
    }
    if (memoryMegabytes != null) {
      for (String mode : List.of("plaintext", "confidential")) {
        try (BenchCluster cluster = starter.start(mode, MEMORY_CLUSTER_NODES, runDir.resolve("memory-" + mode))) {
          for (MemoryCurve.Point p : MemoryCurve.run(cluster, memoryMegabytes)) {
            out.printf(Locale.ROOT, "bench memory mode=%s state_mb=%d node=%s role=%s heap_mb=%.1f rss_mb=%.1f%n",
                p.mode(), p.stateMegabytes(), p.node(), p.role(), p.heapUsedMb(), p.rssMb());
            results.curvePoint("memory", Map.of("mode", p.mode(), "state_mb", p.stateMegabytes(), "node", p.node(),
                "role", p.role(), "heap_used_after_gc_mb", p.heapUsedMb(), "rss_mb", p.rssMb()));
          }
        }
      }
    }
  }

  private void join(int membersMax) throws Exception {
    for (JoinRotationCurve.Point p : JoinRotationCurve.run(runDir.resolve("join"), membersMax, JOIN_PASSES)) {
      out.printf(Locale.ROOT, "bench join group=%d ms=%.0f pass=%d%n", p.joinedGroupSize(), p.joinMs(), p.pass());
      out.printf(Locale.ROOT, "bench rotation group=%d ms=%.0f pass=%d%n", p.rotatedGroupSize(), p.rotationMs(), p.pass());
      Map<String, Object> join = new LinkedHashMap<>();
      join.put("group_size", p.joinedGroupSize());
      join.put("ms", p.joinMs());
      join.put("pass", p.pass());
      results.curvePoint("join", join);
      Map<String, Object> rotation = new LinkedHashMap<>();
      rotation.put("group_size", p.rotatedGroupSize());
      rotation.put("ms", p.rotationMs());
      rotation.put("pass", p.pass());
      results.curvePoint("rotation", rotation);
    }
  }

  private void snapshot(long megabytes) throws Exception {
    SnapshotCatchUpBench.Result r = SnapshotCatchUpBench.run(runDir.resolve("snapshot-" + megabytes), megabytes);
    out.printf(Locale.ROOT, "bench snapshot state_mb=%d snapshot_mb=%.1f catch_up_s=%.1f mb_per_s=%.1f load_mb_per_s=%.1f%n",
        megabytes, r.snapshotBytes() / 1e6, r.catchUpSeconds(), r.snapshotMegabytesPerSecond(), r.loadMegabytesPerSecond());
    results.curvePoint("snapshot", Map.of("state_mb", megabytes, "snapshot_mb", r.snapshotBytes() / 1e6,
        "catch_up_s", r.catchUpSeconds(), "install_mb_per_s", r.snapshotMegabytesPerSecond(),
        "load_through_consensus_mb_per_s", r.loadMegabytesPerSecond()));
  }
}
