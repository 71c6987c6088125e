package dev.veilraft.bench.curves;

import dev.veilraft.bench.cluster.BenchCluster;
import dev.veilraft.bench.cluster.ServerProcess;
import dev.veilraft.bench.load.LoadTarget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * Memory per node against state size: distinct keys are put into a running cluster until the
 * values written reach each size in turn; then every node's heap in use after a full collection
 * and its resident set size are read.
 */
public final class MemoryCurve {
  /** Value bytes of each loading put (distinct keys, so the state grows by this much per put). */
  public static final int VALUE_BYTES = 16 * 1024;
  private static final int IN_FLIGHT = 32;

  /** One node's memory at one state size. */
  public record Point(String mode, long stateMegabytes, String node, String role, double heapUsedMb, double rssMb) {}

  private MemoryCurve() {}

  /** Grows the state of {@code cluster} through each of {@code megabytes} (ascending) and measures at each. */
  public static List<Point> run(BenchCluster cluster, List<Long> megabytes) throws IOException, InterruptedException {
    List<Point> points = new ArrayList<>();
    long loaded = 0;
    for (long mb : megabytes.stream().sorted().toList()) {
      long target = mb * 1024 * 1024 / VALUE_BYTES;
      load(cluster.target(), loaded, target);
      loaded = Math.max(loaded, target);
      int leader = cluster.leaderIndex();
      for (int i = 0; i < cluster.nodes().size(); i++) {
        ServerProcess node = cluster.nodes().get(i);
        double heap = node.heapUsedAfterGcBytes().orElse(-1L) / 1e6;
        double rss = node.rssBytes().orElse(-1L) / 1e6;
        points.add(new Point(cluster.mode(), mb, "node" + (i + 1), i == leader ? "leader" : "follower", heap, rss));
      }
    }
    return points;
  }

  private static void load(LoadTarget target, long from, long to) throws InterruptedException, IOException {
    byte[] value = new byte[VALUE_BYTES];
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    for (long k = from; k < to && failures.isEmpty(); k++) {
      byte[] v = value.clone();
      ByteBuffer.wrap(v).putLong(k);
      inFlight.acquire();
      target.put(List.of(("mem-" + k).getBytes(StandardCharsets.US_ASCII)), List.of(v)).whenComplete((r, e) -> {
        if (e != null) {
          failures.add(e);
        }
        inFlight.release();
      });
    }
    inFlight.acquire(IN_FLIGHT);
    if (!failures.isEmpty()) {
      throw new IOException(failures.size() + " puts failed while loading state, first: " + failures.get(0));
    }
  }
}
