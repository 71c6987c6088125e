package dev.veilraft.bench;

import dev.veilraft.bench.cluster.BenchCluster;
import dev.veilraft.bench.load.LoadGenerator;
import dev.veilraft.bench.report.PointResult;
import dev.veilraft.bench.report.Results;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.BiFunction;

/**
 * The throughput points on running clusters of one size: a warm-up of each cluster, then every
 * event size and concurrency, each run of each point alternating the modes (their order reversed
 * on every second run), with the ratio lines after each concurrency.
 */
final class ThroughputRun {
  /** The concurrency of the warm-up that follows each cluster's start. */
  static final int WARMUP_CONCURRENCY = 64;
  /** How long each cluster's idle CPU is measured after its warm-up. */
  static final Duration IDLE_WINDOW = Duration.ofSeconds(5);

  private final PrintStream out;
  private final Results results;
  private final ClusterBench bench;
  private final Duration clusterWarmup;
  private final Duration pointWarmup;
  private final Duration measured;
  private final int repeat;
  private final BiFunction<Integer, Integer, LoadGenerator.Spec> spec;

  ThroughputRun(PrintStream out, Results results, ClusterBench bench, Duration clusterWarmup, Duration pointWarmup,
      Duration measured, int repeat, BiFunction<Integer, Integer, LoadGenerator.Spec> spec) {
    this.out = out;
    this.results = results;
    this.bench = bench;
    this.clusterWarmup = clusterWarmup;
    this.pointWarmup = pointWarmup;
    this.measured = measured;
    this.repeat = repeat;
    this.spec = spec;
  }

  /** Measures every point on {@code clusters} (mode to cluster, all of {@code nodes} members). */
  void measureAll(Map<String, BenchCluster> clusters, int nodes, List<Integer> sizes, List<Integer> concurrencies)
      throws IOException, InterruptedException {
    for (BenchCluster cluster : clusters.values()) {
      // JIT, connection set-up and the first snapshots happen here, not in a measured window.
      bench.measure(cluster, spec.apply(WARMUP_CONCURRENCY, sizes.get(0)).closedLoop(), clusterWarmup,
          Duration.ofSeconds(1), 0);
      List<Double> idle = bench.idleCpuPercent(cluster, IDLE_WINDOW);
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < idle.size(); i++) {
        text.append(String.format(Locale.ROOT, " node%d=%.1f%%", i + 1, idle.get(i)));
        results.curvePoint("idle_cpu", Map.of("mode", cluster.mode(), "nodes", nodes, "node", "node" + (i + 1),
            "percent_of_core", idle.get(i)));
      }
      out.printf(Locale.ROOT, "bench idle mode=%s nodes=%d cpu_per_node:%s load=%s%n", cluster.mode(), nodes, text,
          ClusterBench.loadAverage());
    }
    for (int size : sizes) {
      for (int c : concurrencies) {
        for (int run = 1; run <= repeat; run++) {
          List<String> order = new ArrayList<>(clusters.keySet());
          if (run % 2 == 0) {
            Collections.reverse(order);
          }
          for (String mode : order) {
            PointResult point = bench.measure(clusters.get(mode), spec.apply(c, size), pointWarmup, measured, run);
            results.add(point);
            out.println(point.line());
            out.println(point.detail());
          }
        }
        printRatios(nodes, c, size);
      }
    }
  }

  /** confidential / plaintext (the line), and when they ran, confidential-b / confidential and confidential / etcd. */
  private void printRatios(int nodes, int c, int size) {
    OptionalDouble plain = results.meanOps("plaintext", nodes, c, size);
    OptionalDouble confidential = results.meanOps("confidential", nodes, c, size);
    OptionalDouble b = results.meanOps("confidential-b", nodes, c, size);
    OptionalDouble etcd = results.meanOps("etcd", nodes, c, size);
    if (confidential.isEmpty() || confidential.getAsDouble() <= 0) {
      return;
    }
    if (plain.isPresent() && plain.getAsDouble() > 0) {
      double ratio = confidential.getAsDouble() / plain.getAsDouble();
      results.ratio(nodes, c, size, ratio);
      out.printf(Locale.ROOT, "bench ratio conc=%d value=%.3f%n", c, ratio);
    }
    if (b.isPresent()) {
      out.printf(Locale.ROOT, "bench ratio-b conc=%d value=%.3f%n", c, b.getAsDouble() / confidential.getAsDouble());
    }
    if (etcd.isPresent() && etcd.getAsDouble() > 0) {
      out.printf(Locale.ROOT, "bench ratio-vs-etcd conc=%d value=%.3f%n", c, confidential.getAsDouble() / etcd.getAsDouble());
    }
  }
}
