package dev.veilraft.simulator.fault;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The fault names {@code --faults} accepts, and what each cluster mode can do. */
public enum FaultKind {
  CRASH(true, true, false),
  PARTITION(false, true, false),
  DELAY(false, true, false),
  PAUSE(false, true, false),
  SKEW(true, true, false),
  DISK(false, true, false),
  ROGUE_MEASUREMENT(true, true, true),
  REPLAYED_EVIDENCE(true, true, true),
  FORGED_SIGNATURE(true, true, true),
  DEBUG_POLICY(true, true, true),
  STOLEN_IDENTITY(true, true, true),
  REMOVED_RETURN(true, true, true),
  TAMPER_FILES(true, true, true);

  private final boolean inJvm;
  private final boolean processes;
  private final boolean attack;

  FaultKind(boolean inJvm, boolean processes, boolean attack) {
    this.inJvm = inJvm;
    this.processes = processes;
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
    return processMode ? processes : inJvm;
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
