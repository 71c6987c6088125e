package dev.veilraft.simulator.report;

import dev.veilraft.simulator.Simulation;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.fault.FaultWindow;
import dev.veilraft.simulator.history.Operation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The text summary of a run: operations, the fault timeline, every verdict, and the last line. */
public final class Summary {
  private Summary() {}

  /** The {@code f} values of the workloads' final phases (reads after every fault healed). */
  static final java.util.Set<String> FINAL_PHASE = java.util.Set.of("final-read", "final-req", "checkstate",
      "accounting", "melt-state");

  /** Operation counts of a history. */
  public record Counts(int operations, int ok, int fail, int info, int finalReads) {
    public static Counts of(List<Operation> ops) {
      int ok = 0;
      int fail = 0;
      int info = 0;
      int finals = 0;
      for (Operation o : ops) {
        if (FINAL_PHASE.contains(o.f())) {
          finals++;
        }
        switch (o.outcome()) {
          case OK -> ok++;
          case FAIL -> fail++;
          default -> info++;
        }
      }
      return new Counts(ops.size(), ok, fail, info, finals);
    }
  }

  public static List<String> lines(Simulation.Result result) {
    List<String> lines = new ArrayList<>();
    Counts c = Counts.of(result.operations());
    lines.add(String.format(Locale.ROOT, "operations %d: ok %d, fail %d, info %d (final reads %d)", c.operations(), c.ok(),
        c.fail(), c.info(), c.finalReads()));
    if (result.proxiedBytes() >= 0) {
      lines.add(String.format(Locale.ROOT, "network %.1f MB of Raft traffic through the link proxies",
          result.proxiedBytes() / 1e6));
    }
    lines.add("fault timeline:");
    if (result.timeline().windows().isEmpty()) {
      lines.add("  (no faults)");
    }
    for (FaultWindow w : result.timeline().windows()) {
      lines.add(String.format(Locale.ROOT, "  #%d %6.1f-%6.1f s %-17s %s%s", w.index(), w.startNs() / 1e9, w.endNs() / 1e9,
          w.kind().cliName(), w.outcome(), w.passed() ? "" : "  <-- FAILED"));
    }
    for (String note : result.timeline().notes()) {
      lines.add("  note: " + note);
    }
    if (!result.healed().isEmpty()) {
      lines.add("  final heal: " + String.join("; ", result.healed()));
    }
    lines.add("checkers:");
    for (Verdict v : result.verdicts()) {
      lines.add(String.format(Locale.ROOT, "  %s %-14s (%s) %s", v.passed() ? "PASS" : "FAIL", v.checker(),
          v.kind().name().toLowerCase(Locale.ROOT), v.detail()));
    }
    return lines;
  }

  /** Exactly {@code simulate OK seed=S ops=N} or {@code simulate FAILED seed=S <checker>: <reason>}. */
  public static String lastLine(long seed, Simulation.Result result) {
    for (Verdict v : result.verdicts()) {
      if (!v.passed()) {
        return failedLine(seed, v.checker(), v.detail());
      }
    }
    return "simulate OK seed=" + seed + " ops=" + result.operations().size();
  }

  public static String failedLine(long seed, String checker, String reason) {
    return "simulate FAILED seed=" + seed + " " + checker + ": " + reason.replace('\n', ' ');
  }
}
