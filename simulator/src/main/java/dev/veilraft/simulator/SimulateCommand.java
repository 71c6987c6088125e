package dev.veilraft.simulator;

import dev.veilraft.simulator.cluster.SimException;
import dev.veilraft.simulator.fault.FaultKind;
import dev.veilraft.simulator.fault.Schedule;
import dev.veilraft.simulator.report.HtmlReport;
import dev.veilraft.simulator.report.Summary;
import dev.veilraft.simulator.cluster.DiskMounts;
import dev.veilraft.simulator.workload.MintWorkload;
import dev.veilraft.simulator.workload.RegisterWorkload;
import dev.veilraft.simulator.workload.RelayWorkload;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code veilraft simulate}: one seeded run of a real cluster under faults, judged by the checkers. */
@Command(name = "simulate", mixinStandardHelpOptions = true, versionProvider = SimulatorMain.Version.class,
    description = {"Run a real veilraft cluster (simulated TEE, INSECURE) under a seeded schedule of faults and attacks,"
        + " record every client operation, and check the history.",
        "",
        "Faults: crash (kill and restart, also the leader, mid-join, mid-rotation), partition (majority/minority, "
            + "isolate-leader, bridge, ring), delay (per-link delay, jitter, emulated loss), pause (SIGSTOP/SIGCONT), "
            + "skew (a node's clock), disk, and the attackers rogue-measurement, replayed-evidence, forged-signature, "
            + "debug-policy, stolen-identity, removed-return, tamper-files; or all.",
        ""},
    footer = {"", "The last line is 'simulate OK seed=S ops=N' or 'simulate FAILED seed=S <checker>: <reason>'.",
        "Exit codes: 0 every checker passed, 1 a checker failed, 2 bad usage."})
final class SimulateCommand implements Callable<Integer> {
  static final int CLIENTS_DEFAULT = 5;

  CommandSpec spec;

  /**
   * Picocli hands over the command's model when it builds it; the modes paragraph of the help is
   * appended here from {@link FaultKind#modesHelp}, the table the run uses to refuse faults.
   */
  @Spec
  void spec(CommandSpec spec) {
    this.spec = spec;
    List<String> description = new ArrayList<>(List.of(spec.usageMessage().description()));
    description.addAll(FaultKind.modesHelp());
    description.add("");
    spec.usageMessage().description(description.toArray(String[]::new));
  }

  @Option(names = "--nodes", defaultValue = "3", description = "Cluster size, 1..9 (default: ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--workload", defaultValue = "kv", description = "kv | mint | relay (default: ${DEFAULT-VALUE}).")
  String workload;

  @Option(names = "--faults", defaultValue = "crash", paramLabel = "LIST",
      description = "Comma-separated fault names, 'all' or 'none' (default: ${DEFAULT-VALUE}).")
  String faults;

  @Option(names = "--duration", defaultValue = "30s", description = "How long clients run, e.g. 30s, 10m (default: "
      + "${DEFAULT-VALUE}).")
  String duration;

  @Option(names = "--seed", description = "The run's seed (default: random, printed).")
  Long seed;

  @Option(names = "--processes", description = "One JVM per node, with a fault-injecting proxy per link.")
  boolean processes;

  @Option(names = "--history", paramLabel = "FILE", description = "Where the history goes (JSON Lines; default: "
      + "<work dir>/history.jsonl).")
  Path history;

  @Option(names = "--report", paramLabel = "DIR", description = "Write report.html and latency.png here.")
  Path report;

  @Option(names = "--work-dir", paramLabel = "DIR", description = "The cluster's files (default: a new temporary "
      + "directory, kept).")
  Path workDir;

  @Option(names = "--node-jar", paramLabel = "JAR", description = "The jar node processes run (default: "
      + "node/target/veilraft.jar next to this jar, else this jar).")
  Path nodeJar;

  @Option(names = "--clients", defaultValue = "" + CLIENTS_DEFAULT, description = "Concurrent clients (default: "
      + "${DEFAULT-VALUE}).")
  int clients;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & Long.MAX_VALUE;
    SimulationOptions options;
    Schedule schedule;
    Path dir;
    try {
      if (!List.of(RegisterWorkload.NAME, MintWorkload.NAME, RelayWorkload.NAME).contains(workload)) {
        throw new IllegalArgumentException("--workload '" + workload + "': expected kv, mint or relay");
      }
      Set<FaultKind> requested = FaultKind.parseList(faults);
      Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
      List<String> leftOut = new ArrayList<>();
      boolean all = List.of(faults.split(",")).stream().anyMatch(f -> f.trim().equals("all"));
      List<String> skipped = new ArrayList<>();
      for (FaultKind k : requested) {
        java.util.Optional<String> noDisk = k == FaultKind.DISK && k.supported(processes)
            ? DiskMounts.unavailableReason(Path.of(System.getProperty("java.io.tmpdir"))) : java.util.Optional.empty();
        if (noDisk.isPresent()) {
          // CI runs as root; elsewhere the run goes on without the disk fault and says so.
          skipped.add(k.cliName() + " (" + noDisk.get() + ")");
        } else if (k.supported(processes)) {
          kinds.add(k);
        } else if (all) {
          leftOut.add(k.cliName() + " (" + k.unsupportedReason(processes) + ")");
        } else {
          throw new IllegalArgumentException("--faults " + k.cliName() + ": " + k.unsupportedReason(processes));
        }
      }
      dir = workDir != null ? workDir.toAbsolutePath() : Files.createTempDirectory("veilraft-sim-" + s + "-");
      Files.createDirectories(dir);
      Path jar = processes ? NodeJar.find(nodeJar) : null;
      options = new SimulationOptions(nodes, workload, faults, kinds, SimulationOptions.parseDuration(duration), s,
          processes, history, report, dir, jar, nodeJar != null, clients);
      schedule = Schedule.generate(s, kinds, options.duration(), nodes);
      out.println("veilraft simulate: seed " + s + ", " + nodes + " nodes " + (processes ? "(one process each)"
          : "(in this JVM)") + ", workload " + workload + ", " + options.duration().toSeconds() + " s; simulated TEE (INSECURE)");
      out.println("replay: " + options.replayCommand());
      leftOut.forEach(l -> out.println("left out: " + l));
      skipped.forEach(l -> out.println("SKIPPED: " + l));
      out.println("schedule:");
      schedule.describe().forEach(l -> out.println("  " + l));
      out.flush();
    } catch (IllegalArgumentException | IOException e) {
      out.println(Summary.failedLine(s, "usage", e.getMessage()));
      return 2;
    }
    SimulatorMain.logTo(dir.resolve("simulator.log"));
    try {
      Simulation.Result result = new Simulation(options, schedule, dir).run(line -> {
        out.println("... " + line);
        out.flush();
      });
      Summary.lines(result).forEach(out::println);
      String last = Summary.lastLine(s, result);
      out.println("history: " + result.historyFile());
      if (report != null) {
        out.println("report: " + HtmlReport.write(report, result, options.replayCommand(), last, schedule.describe()));
      }
      out.println("replay: " + options.replayCommand());
      out.println(last);
      out.flush();
      return result.passed() ? 0 : 1;
    } catch (SimException e) {
      out.println("replay: " + options.replayCommand());
      out.println(Summary.failedLine(s, "cluster", e.getMessage()));
      return 1;
    } catch (IOException | RuntimeException e) {
      out.println("replay: " + options.replayCommand());
      out.println(Summary.failedLine(s, "simulator", e.toString()));
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.println(Summary.failedLine(s, "simulator", "interrupted"));
      return 1;
    }
  }
}
