package dev.veilraft.simulator.fault;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The fault names {@code --faults} accepts, and what each cluster mode can do: one table, which
 * both refuses unsupported faults ({@link #supported}, {@link #unsupportedReason}) and writes
 * {@code simulate --help} ({@link #modesHelp}), so the two cannot disagree. A null "how" means
 * the mode does not support the fault.
 */
public enum FaultKind {
  CRASH("stop and restart a node's server in this JVM", "SIGKILL the node's process, then restart it", false),
  PARTITION(null, "cut links at the TCP proxy of each directed link", false),
  DELAY(null, "delay, jitter and drop at the TCP proxy of each directed link", false),
  PAUSE(null, "SIGSTOP/SIGCONT the node's process", false),
  SKEW("shift the node's clock object", "write the node's INSECURE clock offset file"
      + " (veilraft.insecure.clockOffsetFile, simulated platform only)", false),
  DISK(null, "fill a size-limited tmpfs mounted on the node's data directory (needs root; without it the run"
      + " leaves disk out and says why)", false),
  ROGUE_MEASUREMENT(Attackers.HOW, Attackers.HOW, true),
  REPLAYED_EVIDENCE(Attackers.HOW, Attackers.HOW, true),
  FORGED_SIGNATURE(Attackers.HOW, Attackers.HOW, true),
  DEBUG_POLICY(Attackers.HOW, Attackers.HOW, true),
  STOLEN_IDENTITY(Attackers.HOW, Attackers.HOW, true),
  REMOVED_RETURN(Attackers.HOW, Attackers.HOW, true),
  TAMPER_FILES(Attackers.HOW, Attackers.HOW, true);

  /** How every attacker runs, in both modes: it talks to the cluster like any outside client or joiner. */
  private static final class Attackers {
    static final String HOW = "an attacker client against the running cluster";
  }

  private final String inJvmHow;
  private final String processesHow;
  private final boolean attack;

  FaultKind(String inJvmHow, String processesHow, boolean attack) {
    this.inJvmHow = inJvmHow;
    this.processesHow = processesHow;
    this.attack = attack;
  }

  /** The name on the command line: lower case with dashes. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public boolean attack() {
    return attack;
  }

  public boolean supported(boolean processMode) {
    return (processMode ? processesHow : inJvmHow) != null;
  }

  /**
   * The help text on modes, from the same table as {@link #supported}: per mode, every fault it
   * runs and how, then every fault it does not run and why.
   */
  public static List<String> modesHelp() {
    List<String> lines = new ArrayList<>();
    for (boolean processMode : new boolean[] {false, true}) {
      lines.add(processMode ? "--processes (one JVM per node, a TCP proxy per directed link) runs:"
          : "In-JVM mode (default; every node in this JVM) runs:");
      List<String> attackers = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      for (FaultKind k : values()) {
        if (!k.supported(processMode)) {
          refused.add(k.cliName());
        } else if (k.attack) {
          attackers.add(k.cliName());
        } else {
          lines.add("  " + k.cliName() + ": " + (processMode ? k.processesHow : k.inJvmHow));
        }
      }
      if (!attackers.isEmpty()) {
        lines.add("  " + String.join(", ", attackers) + ": " + Attackers.HOW);
      }
      for (String name : refused) {
        lines.add("  not " + name + ": " + parse(name).unsupportedReason(processMode));
      }
    }
    lines.add("With 'all', faults the mode does not run are left out and listed; named explicitly, they are refused.");
    return lines;
  }

  /** Why this fault cannot run in the given mode (only meaningful when not {@link #supported}). */
  public String unsupportedReason(boolean processMode) {
    return switch (this) {
      case PARTITION, DELAY -> cliName() + " needs a proxy per link, which needs a process per node: add --processes";
      case PAUSE -> "pause sends SIGSTOP to a node's process: add --processes";
      case DISK -> "disk fills a node's disk, and a node may stop its JVM on a failed log write (which in one JVM "
          + "would be the simulator's): add --processes";
      default -> cliName() + " is not supported in " + (processMode ? "process" : "in-JVM") + " mode";
    };
  }

  public static FaultKind parse(String name) {
    for (FaultKind k : values()) {
      if (k.cliName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("unknown fault '" + name + "'; expected 'all' or any of " + names());
  }

  /** Parses a comma-separated list; "all" is every kind, "none" or empty none. */
  public static Set<FaultKind> parseList(String list) {
    Set<FaultKind> kinds = EnumSet.noneOf(FaultKind.class);
    if (list == null || list.isBlank() || list.trim().equals("none")) {
      return kinds;
    }
    for (String part : list.split(",")) {
      if (part.trim().equals("all")) {
        kinds.addAll(EnumSet.allOf(FaultKind.class));
      } else {
        kinds.add(parse(part));
      }
    }
    return kinds;
  }

  public static String names() {
    List<String> names = new ArrayList<>();
    for (FaultKind k : values()) {
      names.add(k.cliName());
    }
    return String.join(", ", names);
  }
}
