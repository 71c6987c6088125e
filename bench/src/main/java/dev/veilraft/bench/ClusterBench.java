package dev.veilraft.bench;

import dev.veilraft.bench.cluster.BenchCluster;
import dev.veilraft.bench.cluster.ProcCounters;
import dev.veilraft.bench.cluster.ServerProcess;
import dev.veilraft.bench.load.LoadGenerator;
import dev.veilraft.bench.report.PointResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Measures one point on a running cluster: a fresh closed-loop load, a warm-up, a measured window
 * with CPU counters of every server JVM and of this one, and optionally profiles (JFR or
 * async-profiler) of every server JVM and of this one (the load generator and client) over exactly
 * that window (run 0, a warm-up, is never profiled).
 */
final class ClusterBench {
  private final PrintStream out;
  private final Optional<WindowProfiler> profiler;

  ClusterBench(PrintStream out, Optional<WindowProfiler> profiler) {
    this.out = out;
    this.profiler = profiler;
  }

  /** Above this share of a core spent compiling in a window, the point is reported as measured cold. */
  static final double JIT_WARM_PERCENT_MAX = 10;

  PointResult measure(BenchCluster cluster, LoadGenerator.Spec spec, Duration warmup, Duration duration, int run)
      throws IOException, InterruptedException {
    int leader = cluster.leaderIndex();
    List<ServerProcess> nodes = cluster.nodes();
    ProcCounters[] before = new ProcCounters[nodes.size() + 1];
    ProcCounters[] after = new ProcCounters[nodes.size() + 1];
    long[] appliedIndex = new long[2];
    String tag = String.format("%s-n%d-c%d-s%d-b%d-r%d", cluster.mode(), nodes.size(), spec.concurrency(),
        spec.valueBytes(), spec.batchMax(), run);
    LoadGenerator load = new LoadGenerator(cluster.target(), spec);
    load.start();
    LoadGenerator.Window window;
    try {
      window = load.measure(warmup, duration, () -> {
        startProfile(nodes, tag);
        readCounters(nodes, before);
        appliedIndex[0] = cluster.leaderAppliedIndex();
      }, () -> {
        readCounters(nodes, after);
        appliedIndex[1] = cluster.leaderAppliedIndex();
        stopProfile(nodes, leader, tag);
      });
    } finally {
      if (!load.stop()) {
        out.println("bench warning: some puts of " + tag + " never completed");
      }
    }
    List<PointResult.ProcessCpu> cpu = new ArrayList<>();
    long puts = window.completed();
    for (int i = 0; i <= nodes.size(); i++) {
      ProcCounters.Used used = after[i].since(before[i]);
      double seconds = used.cpuNanos() / 1e9;
      String name = i < nodes.size() ? "node" + (i + 1) : "client";
      String role = i == nodes.size() ? "client" : i == leader ? "leader" : "follower";
      cpu.add(new PointResult.ProcessCpu(name, role, 100 * seconds / window.seconds(),
          puts == 0 ? 0 : seconds * 1e6 / puts, 100 * used.compilerNanos() / 1e9 / window.seconds(),
          used.cpuNanos() == 0 ? 0 : Math.min(100, 100.0 * used.kernelNanos() / used.cpuNanos()),
          puts == 0 ? 0 : (double) used.voluntarySwitches() / puts));
    }
    for (PointResult.ProcessCpu c : cpu) {
      if (run > 0 && c.jitPercentOfCore() > JIT_WARM_PERCENT_MAX) { // run 0 is the cluster's warm-up itself
        out.printf(Locale.ROOT, "bench warning: %s of %s: the JIT compiler of %s used %.0f%% of a core in the measured"
            + " window, so it was not warm yet; give it a longer --cluster-warmup%n", cluster.mode(), tag, c.process(),
            c.jitPercentOfCore());
      }
    }
    int leaderAfter = cluster.leaderIndex();
    if (run > 0 && leaderAfter != leader) { // run 0 is the cluster's warm-up: no detail line, and a start may elect twice
      out.printf(Locale.ROOT, "bench warning: %s of %s: leadership moved from node%d to node%d during the measured"
          + " window; the roles in its detail line are those at its start%n", cluster.mode(), tag, leader + 1,
          leaderAfter + 1);
    }
    warnIfAFollowerIdled(cluster.mode(), tag, cpu);
    long entries = appliedIndex[0] < 0 || appliedIndex[1] < 0 ? 0 : appliedIndex[1] - appliedIndex[0];
    double putsPerEntry = entries <= 0 ? 0 : (double) window.completed() / entries;
    return new PointResult(cluster.mode(), nodes.size(), spec.concurrency(), spec.valueBytes(), spec.batchMax(),
        spec.callsMax(), run, window.seconds(), window.completed(), window.errors(), window.calls(),
        window.opsPerSecond(), window.percentileMs(50), window.percentileMs(99), window.percentileMs(99.9),
        window.latencyNs().getTotalCount() == 0 ? 0 : window.latencyNs().getMaxValue() / 1e6,
        window.latencyNs().getTotalCount() == 0 ? 0 : window.latencyNs().getMean() / 1e6, cpu, loadAverage(),
        window.firstError(), putsPerEntry);
  }

  /**
   * A follower that used less than this share of the busiest follower's CPU in a window did not
   * take part in replication (seen once: a plaintext member at 1% of a core while its peer was at
   * 48%, after a leader change under the load of three clusters starting at once).
   */
  static final double FOLLOWER_IDLE_SHARE_MAX = 0.1;

  /**
   * Warns when a follower sat out a window: the point was then measured with fewer members doing
   * the work (a leader replicating to one follower instead of two), which flatters its mode.
   */
  private void warnIfAFollowerIdled(String mode, String tag, List<PointResult.ProcessCpu> cpu) {
    double busiest = cpu.stream().filter(c -> c.role().equals("follower"))
        .mapToDouble(PointResult.ProcessCpu::percentOfCore).max().orElse(0);
    for (PointResult.ProcessCpu c : cpu) {
      if (c.role().equals("follower") && c.percentOfCore() < FOLLOWER_IDLE_SHARE_MAX * busiest) {
        out.printf(Locale.ROOT, "bench warning: %s of %s: follower %s used %.0f%% of a core in the measured window"
            + " while the busiest follower used %.0f%%: it was not replicating, so the point was measured with a"
            + " member missing; run it again%n", mode, tag, c.process(), c.percentOfCore(), busiest);
      }
    }
  }

  /**
   * CPU each server process uses with no load at all (heartbeats, timers, background work), in
   * percent of one core over {@code window}: the floor under every loaded measurement.
   */
  List<Double> idleCpuPercent(BenchCluster cluster, Duration window) throws InterruptedException {
    List<ServerProcess> nodes = cluster.nodes();
    ProcCounters[] before = new ProcCounters[nodes.size() + 1];
    ProcCounters[] after = new ProcCounters[nodes.size() + 1];
    readCounters(nodes, before);
    long t0 = System.nanoTime();
    Thread.sleep(window.toMillis());
    readCounters(nodes, after);
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Double> percent = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      percent.add(100 * after[i].since(before[i]).cpuNanos() / 1e9 / seconds);
    }
    return percent;
  }

  /** Each node's counters, then this JVM's (the client), into {@code counters}. */
  private static void readCounters(List<ServerProcess> nodes, ProcCounters[] counters) {
    for (int i = 0; i < nodes.size(); i++) {
      counters[i] = nodes.get(i).counters();
    }
    counters[nodes.size()] = ProcCounters.ofThisProcess();
  }

  private void startProfile(List<ServerProcess> nodes, String tag) {
    if (profiler.isEmpty() || tag.endsWith("-r0")) {
      return;
    }
    try {
      profiler.get().start(nodes, tag);
    } catch (IOException e) {
      out.println("bench warning: cannot start profiling " + tag + ": " + e.getMessage());
    }
  }

  private void stopProfile(List<ServerProcess> nodes, int leader, String tag) {
    if (profiler.isEmpty() || tag.endsWith("-r0")) {
      return;
    }
    try {
      profiler.get().stop(nodes, leader, tag);
    } catch (IOException e) {
      out.println("bench warning: cannot save the profiles of " + tag + ": " + e.getMessage());
    }
  }

  /** The 1, 5 and 15 minute load averages, as /proc/loadavg gives them. */
  static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return fields[0] + "/" + fields[1] + "/" + fields[2];
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "unknown";
    }
  }
}
