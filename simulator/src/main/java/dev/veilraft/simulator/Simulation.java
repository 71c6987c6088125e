package dev.veilraft.simulator;

import dev.veilraft.simulator.attack.AttackRunner;
import dev.veilraft.simulator.check.AttackChecker;
import dev.veilraft.simulator.check.ConfidentialityChecker;
import dev.veilraft.simulator.check.MembershipObserver;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.cluster.InJvmCluster;
import dev.veilraft.simulator.cluster.NodeStatus;
import dev.veilraft.simulator.cluster.ProcessCluster;
import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.cluster.SimException;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.simulator.fault.FaultRunner;
import dev.veilraft.simulator.fault.FaultWindow;
import dev.veilraft.simulator.fault.Schedule;
import dev.veilraft.simulator.fault.Timeline;
import dev.veilraft.simulator.history.HistoryFormatException;
import dev.veilraft.simulator.history.HistoryRecorder;
import dev.veilraft.simulator.history.Operation;
import dev.veilraft.simulator.history.Operations;
import dev.veilraft.simulator.workload.ClientFactory;
import dev.veilraft.simulator.workload.MintWorkload;
import dev.veilraft.simulator.workload.RegisterWorkload;
import dev.veilraft.simulator.workload.RelayWorkload;
import dev.veilraft.simulator.workload.Workload;
import dev.veilraft.simulator.workload.WorkloadContext;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * One simulation run: lay out and start a cluster, run a workload while a seeded schedule of
 * faults and attacks plays, heal everything, judge liveness (the cluster makes progress again
 * within {@link #LIVENESS_BOUND}), run the workload's final phase, stop the nodes, and judge
 * safety from the history, the membership observations, the attacks and a scan of every disk.
 */
public final class Simulation {
  /** After the faults healed, a write and a read must succeed within this. */
  public static final Duration LIVENESS_BOUND = Duration.ofSeconds(45);
  /** The final reads of every key through every node must finish within this. */
  public static final Duration FINAL_PHASE_BOUND = Duration.ofSeconds(120);
  /** A schedule may run this much past the run's duration (attacks take their time) before it is stopped. */
  public static final Duration SCHEDULE_OVERRUN_MAX = Duration.ofMinutes(5);
  static final String LIVENESS = "liveness";
  static final long CATCH_UP_POLL_MS = 100;
  static final String SCHEDULE = "schedule";

  private final SimulationOptions options;
  private final Schedule schedule;
  private final Path workDir;
  private final Path historyFile;

  public Simulation(SimulationOptions options, Schedule schedule, Path workDir) {
    this.options = options;
    this.schedule = schedule;
    this.workDir = workDir;
    this.historyFile = options.history() != null ? options.history() : workDir.resolve("history.jsonl");
  }

  /** Everything a run produced: the verdicts, what the history holds, the fault timeline. */
  public record Result(List<Verdict> verdicts, List<Operation> operations, Timeline timeline, Path historyFile,
      long recoveryMs, int observations, List<String> healed, long proxiedBytes) {
    public boolean passed() {
      return verdicts.stream().allMatch(Verdict::passed);
    }
  }

  public Result run(Progress progress) throws IOException, SimException, InterruptedException {
    Timeline timeline = new Timeline();
    try (SimCluster cluster = createCluster()) {
      // Ctrl-C must not leave node processes behind.
      Thread cleanup = new Thread(cluster::close, "simulate-cleanup");
      Runtime.getRuntime().addShutdownHook(cleanup);
      try {
        progress.say("starting " + options.nodes() + " nodes (" + cluster.mode() + ") in " + workDir);
        cluster.startAll();
        return run(cluster, timeline, progress);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
          // The hook is running already.
        }
      }
    }
  }

  private Result run(SimCluster cluster, Timeline timeline, Progress progress)
      throws IOException, InterruptedException {
    // History time 0 is when the cluster serves and the clients start.
    try (HistoryRecorder history = new HistoryRecorder(historyFile);
        ClientFactory clients = new ClientFactory(cluster);
        MembershipObserver observer = new MembershipObserver(cluster, history)) {
      for (int i = 0; i < options.nodes(); i++) {
        observer.legitimate(cluster.layout().nodeIds().get(i));
      }
      observer.start();
      Workload workload = switch (options.workload()) {
        case MintWorkload.NAME -> new MintWorkload();
        case RelayWorkload.NAME -> new RelayWorkload();
        default -> new RegisterWorkload();
      };
      progress.say("cluster up; " + options.clients() + " " + workload.name() + " clients for "
          + SimulationOptions.formatDuration(options.duration()) + ", " + schedule.faults().size() + " faults");
      long startNs = history.now();
      workload.start(new WorkloadContext(cluster, clients, history, options.seed(), options.clients()));
      FaultRunner runner = new FaultRunner(cluster, schedule, timeline, history,
          new AttackRunner(cluster, observer, clients, new Random(options.seed() * 7 + 1)), observer);
      Thread faults = new Thread(() -> {
        try {
          runner.run(startNs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }, "fault-schedule");
      faults.start();
      TimeUnit.NANOSECONDS.sleep(Math.max(0, startNs + options.duration().toNanos() - history.now()));
      faults.join(SCHEDULE_OVERRUN_MAX.toMillis());
      if (faults.isAlive()) {
        runner.stop();
        faults.join(SCHEDULE_OVERRUN_MAX.toMillis());
        timeline.note("the schedule ran " + SCHEDULE_OVERRUN_MAX.toMinutes() + " min past the run's end and was stopped");
      }
      workload.stop();
      progress.say("workload stopped; healing every fault");
      List<String> healed = runner.healAll();
      long healedAt = history.now();
      Verdict liveness = liveness(cluster, workload, runner, history, healedAt);
      long recoveryMs = liveness.passed() ? TimeUnit.NANOSECONDS.toMillis(history.now() - healedAt) : -1;
      progress.say(liveness.detail());
      long finalDeadline = System.nanoTime() + FINAL_PHASE_BOUND.toNanos();
      Optional<String> behind = liveness.passed() ? catchUp(cluster, runner.members(), finalDeadline) : Optional.empty();
      boolean finished = liveness.passed() && behind.isEmpty()
          && workload.finish(Duration.ofNanos(Math.max(0, finalDeadline - System.nanoTime())));
      // A node that cannot answer its final reads is usually stuck: its threads say where.
      String unfinishedDumps = finished || !liveness.passed() || behind.isPresent() ? ""
          : String.join("; ", runningSlots(cluster).stream().map(cluster::dumpThreads).toList());
      observer.sample();
      observer.close();
      long proxied = cluster.network().map(n -> n.bytesForwarded()).orElse(-1L);
      cluster.close();
      history.flush();
      List<Verdict> verdicts = new ArrayList<>();
      List<Operation> ops;
      try {
        ops = Operations.pair(history.events());
      } catch (HistoryFormatException e) {
        throw new IllegalStateException("the simulator wrote a malformed history: " + e.getMessage(), e);
      }
      verdicts.addAll(workload.check(ops));
      verdicts.add(observer.check());
      verdicts.add(new AttackChecker().check(timeline.windows()));
      verdicts.add(scheduleVerdict(timeline.windows()));
      verdicts.add(new ConfidentialityChecker().check(dataDirs(cluster), logs(cluster), workload.plaintextMarker()));
      verdicts.add(liveness);
      if (behind.isPresent()) {
        verdicts.add(Verdict.fail(LIVENESS, Verdict.Kind.LIVENESS, behind.get()));
      } else if (liveness.passed() && !finished) {
        verdicts.add(Verdict.fail(LIVENESS, Verdict.Kind.LIVENESS, "the final reads did not finish within "
            + FINAL_PHASE_BOUND.toSeconds() + " s" + lastFinalFailure(ops) + "; " + unfinishedDumps));
      }
      return new Result(List.copyOf(verdicts), ops, timeline, historyFile, recoveryMs, observer.observationCount(),
          healed, proxied);
    }
  }

  /** Reports progress lines while a run goes on. */
  public interface Progress {
    void say(String line);
  }

  private SimCluster createCluster() throws IOException {
    if (options.processes()) {
      ProcessCluster cluster = ProcessCluster.create(workDir, options.nodes(), schedule.spares(), options.nodeJar(), true,
          options.seed());
      if (options.faults().contains(dev.veilraft.simulator.fault.FaultKind.SKEW)) {
        cluster.enableClockSkew();
      }
      if (options.faults().contains(dev.veilraft.simulator.fault.FaultKind.DISK)) {
        try {
          cluster.enableDiskFaults();
        } catch (SimException e) {
          cluster.close();
          throw new IOException("disk faults: " + e.getMessage(), e);
        }
      }
      return cluster;
    }
    return InJvmCluster.create(workDir, options.nodes(), schedule.spares());
  }

  /**
   * Liveness after the heal: some member accepts a write and answers a read within
   * {@link #LIVENESS_BOUND}, probing the running members in turn.
   */
  private static Verdict liveness(SimCluster cluster, Workload workload, FaultRunner runner, HistoryRecorder clock,
      long healedAt) throws InterruptedException {
    long deadline = System.nanoTime() + LIVENESS_BOUND.toNanos();
    List<Integer> members = new ArrayList<>(runner.members());
    int attempt = 0;
    while (System.nanoTime() < deadline) {
      int slot = members.get(attempt++ % members.size());
      if (cluster.running(slot) && workload.probe(slot)) {
        return Verdict.pass(LIVENESS, Verdict.Kind.LIVENESS, String.format(java.util.Locale.ROOT,
            "progress %.1f s after the faults healed (bound %d s)", (clock.now() - healedAt) / 1e9,
            LIVENESS_BOUND.toSeconds()));
      }
    }
    return Verdict.fail(LIVENESS, Verdict.Kind.LIVENESS, "no write and read succeeded within "
        + LIVENESS_BOUND.toSeconds() + " s after the faults healed");
  }

  /**
   * Waits until every running member has processed every entry committed when the final phase
   * begins (its Raft applied index, which counts the leader no-op and configuration entries that
   * never reach the store, reaches the highest commit index any of them reports). Final reads that a node answers from its own replica (a relay's REQ, like any NIP-01
   * relay's) would otherwise judge a node still catching up after a restart, which is allowed to
   * lag, as if it had lost acknowledged writes. Empty when all caught up; else which node did not.
   */
  static Optional<String> catchUp(SimCluster cluster, java.util.Set<Integer> members, long deadlineNs)
      throws InterruptedException {
    List<Integer> slots = members.stream().filter(cluster::running).sorted().toList();
    long target = -1;
    while (target < 0 && System.nanoTime() < deadlineNs) {
      for (int slot : slots) {
        target = Math.max(target, cluster.status(slot).map(NodeStatus::commitIndex).orElse(-1L));
      }
      if (target < 0) {
        TimeUnit.MILLISECONDS.sleep(CATCH_UP_POLL_MS);
      }
    }
    if (target < 0) {
      return Optional.of("no running member reported a commit index within " + FINAL_PHASE_BOUND.toSeconds() + " s");
    }
    for (int slot : slots) {
      long applied = -1;
      while (true) {
        applied = cluster.status(slot).map(NodeStatus::raftAppliedIndex).orElse(applied);
        if (applied >= target) {
          break;
        }
        if (System.nanoTime() >= deadlineNs) {
          return Optional.of(SimLayout.name(slot) + " processed log index " + applied + " did not reach the commit index "
              + target + " (at the end of the run) within " + FINAL_PHASE_BOUND.toSeconds() + " s; "
              + cluster.dumpThreads(slot));
        }
        TimeUnit.MILLISECONDS.sleep(CATCH_UP_POLL_MS);
      }
    }
    return Optional.empty();
  }

  private static List<Integer> runningSlots(SimCluster cluster) {
    List<Integer> slots = new ArrayList<>();
    for (int slot = 0; slot < cluster.layout().slots(); slot++) {
      if (cluster.running(slot)) {
        slots.add(slot);
      }
    }
    return slots;
  }

  /** " (last error: through NODE, ERROR)" of the last failed final operation, or "". */
  private static String lastFinalFailure(List<Operation> ops) {
    for (int i = ops.size() - 1; i >= 0; i--) {
      Operation op = ops.get(i);
      if (op.f().startsWith("final") && op.failed()) {
        return " (last error: through " + op.node() + ", " + op.error() + ")";
      }
    }
    return "";
  }

  private static Verdict scheduleVerdict(List<FaultWindow> windows) {
    for (FaultWindow w : windows) {
      if (!w.kind().attack() && !w.passed()) {
        return Verdict.fail(SCHEDULE, Verdict.Kind.SAFETY, "fault #" + w.index() + " (" + w.description() + ") "
            + w.outcome());
      }
    }
    return Verdict.pass(SCHEDULE, Verdict.Kind.SAFETY, windows.size() + " faults injected and healed");
  }

  private static List<Path> dataDirs(SimCluster cluster) {
    List<Path> dirs = new ArrayList<>();
    for (int slot = 0; slot < cluster.layout().slots(); slot++) {
      dirs.add(cluster.dataDir(slot));
    }
    return dirs;
  }

  private static List<Path> logs(SimCluster cluster) {
    List<Path> logs = new ArrayList<>();
    for (int slot = 0; slot < cluster.layout().slots(); slot++) {
      Path log = cluster.logOf(slot);
      if (!logs.contains(log)) {
        logs.add(log);
      }
    }
    return logs;
  }
}
