package dev.veilraft.simulator.fault;

import java.util.Locale;

/**
 * One fault of a schedule, with every parameter drawn from the seed. Faults are small named
 * strategies: the {@link FaultRunner} injects one at its start and heals it at its end.
 */
public sealed interface Fault {
  /** A target chosen when the fault starts: the leader of that moment. */
  int LEADER = -1;

  FaultKind kind();

  String describe();

  /** When a crash happens: at any moment, while a spare joins, or right after a key rotation was proposed. */
  enum Moment { ANY, MID_JOIN, MID_ROTATION }

  /** Crash a node (SIGKILL or an abrupt stop) and restart it from its disk when the fault heals. */
  record Crash(int slot, Moment moment, int joinerSlot) implements Fault {
    public FaultKind kind() {
      return FaultKind.CRASH;
    }

    public String describe() {
      String what = "crash " + target(slot);
      return switch (moment) {
        case ANY -> what;
        case MID_JOIN -> what + " while n" + (joinerSlot + 1) + " joins";
        case MID_ROTATION -> what + " right after proposing a key rotation";
      };
    }
  }

  /** The shapes of a partition (Jepsen's names). */
  enum Shape { MAJORITY_MINORITY, ISOLATE_LEADER, BRIDGE, RING }

  /** Cut links so the nodes split as {@code shape} says; the sides are drawn from {@code shuffle}. */
  record Partition(Shape shape, long shuffle) implements Fault {
    public FaultKind kind() {
      return FaultKind.PARTITION;
    }

    public String describe() {
      return "partition " + shape.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Slow every link between members: a delay, a jitter and an emulated loss rate. */
  record Delay(long delayMs, long jitterMs, double loss) implements Fault {
    public FaultKind kind() {
      return FaultKind.DELAY;
    }

    public String describe() {
      return String.format(Locale.ROOT, "delay %d ms +%d ms jitter, %.0f%% loss on every link", delayMs, jitterMs,
          loss * 100);
    }
  }

  /** SIGSTOP a node's process, SIGCONT when the fault heals. */
  record Pause(int slot) implements Fault {
    public FaultKind kind() {
      return FaultKind.PAUSE;
    }

    public String describe() {
      return "pause " + target(slot);
    }
  }

  /** Run a node's local clock {@code offsetMs} ahead (negative: behind). */
  record Skew(int slot, long offsetMs) implements Fault {
    public FaultKind kind() {
      return FaultKind.SKEW;
    }

    public String describe() {
      return "skew " + target(slot) + " clock " + (offsetMs >= 0 ? "+" : "") + offsetMs / 1000 + " s";
    }
  }

  /** Fill a node's disk (its size-limited tmpfs) to the last page; free it when the fault heals. */
  record DiskFull(int slot) implements Fault {
    public FaultKind kind() {
      return FaultKind.DISK;
    }

    public String describe() {
      return "fill the disk of " + target(slot);
    }
  }

  /** An attacker or a malicious host: see {@link dev.veilraft.simulator.attack.Attacks}. */
  record Attack(FaultKind kind, int slot, int victim) implements Fault {
    public String describe() {
      return switch (kind) {
        case REMOVED_RETURN -> "removed-return: n" + (slot + 1) + " joins, is removed by governance, tries to come back";
        case TAMPER_FILES -> "tamper-files: the host flips bytes in a file of " + target(victim);
        case STOLEN_IDENTITY -> "stolen-identity: n" + (slot + 1) + " presents " + target(victim) + "'s evidence";
        default -> kind.cliName() + ": n" + (slot + 1) + " tries to join";
      };
    }
  }

  static String target(int slot) {
    return slot == LEADER ? "the leader" : "n" + (slot + 1);
  }
}
