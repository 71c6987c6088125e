package dev.veilraft.simulator;

import dev.veilraft.simulator.fault.FaultKind;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One simulation run as the command line describes it.
 *
 * @param faultList the {@code --faults} text as given (replayed verbatim)
 * @param history where the history goes (null: {@code <workDir>/history.jsonl})
 * @param reportDir where the HTML report and PNG go (null: no report)
 * @param workDir the cluster's files (null: a fresh temporary directory)
 * @param nodeJar the jar node processes run (process mode; null: found next to the simulator)
 * @param nodeJarGiven whether {@code --node-jar} named it (then the replay command names it too)
 */
public record SimulationOptions(int nodes, String workload, String faultList, Set<FaultKind> faults, Duration duration,
    long seed, boolean processes, Path history, Path reportDir, Path workDir, Path nodeJar, boolean nodeJarGiven,
    int clients) {
  public static final int NODES_MIN = 1;
  public static final int NODES_MAX = 9;
  public static final int CLIENTS_MAX = 64;
  public static final Duration DURATION_MIN = Duration.ofSeconds(5);
  public static final Duration DURATION_MAX = Duration.ofHours(24);

  public SimulationOptions {
    if (nodes < NODES_MIN || nodes > NODES_MAX) {
      throw new IllegalArgumentException("--nodes " + nodes + ": expected " + NODES_MIN + ".." + NODES_MAX);
    }
    if (clients < 1 || clients > CLIENTS_MAX) {
      throw new IllegalArgumentException("--clients " + clients + ": expected 1.." + CLIENTS_MAX);
    }
    if (duration.compareTo(DURATION_MIN) < 0 || duration.compareTo(DURATION_MAX) > 0) {
      throw new IllegalArgumentException("--duration " + duration.toSeconds() + "s: expected " + DURATION_MIN.toSeconds()
          + "s.." + DURATION_MAX.toHours() + "h");
    }
  }

  /** The exact command that replays this run (same seed, same schedule). */
  public String replayCommand() {
    List<String> parts = new ArrayList<>(List.of("veilraft", "simulate", "--nodes", Integer.toString(nodes), "--workload",
        workload, "--faults", faultList.isBlank() ? "none" : faultList, "--duration", formatDuration(duration), "--seed",
        Long.toString(seed)));
    if (clients != SimulateCommand.CLIENTS_DEFAULT) {
      parts.addAll(List.of("--clients", Integer.toString(clients)));
    }
    if (processes) {
      parts.add("--processes");
      if (nodeJarGiven) {
        parts.addAll(List.of("--node-jar", nodeJar.toString()));
      }
    }
    return String.join(" ", parts);
  }

  static String formatDuration(Duration d) {
    long s = d.toSeconds();
    if (s % 3600 == 0) {
      return s / 3600 + "h";
    }
    if (s % 60 == 0 && s >= 60) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  /** Parses {@code 30s}, {@code 10m}, {@code 2h}, {@code 500ms}. */
  public static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException();
      };
    } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
      throw new IllegalArgumentException("duration '" + text + "': expected a number and a unit, e.g. 30s, 10m, 2h");
    }
  }
}
