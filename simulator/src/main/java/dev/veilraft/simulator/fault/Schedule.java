package dev.veilraft.simulator.fault;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The faults of a run, generated from its seed alone: the same seed, fault list, duration and
 * node count (and the same code) give the same schedule. Faults run one after another, so at most
 * one node or one network change is faulty at a time and a majority stays able to serve: what is
 * judged is that nothing acknowledged is lost and the cluster recovers, not how it fares without
 * a quorum. Every requested kind appears at least once; the rest of the window is filled with
 * kinds drawn at random. The last {@link #quietFraction} of the run has no faults, so the cluster
 * is seen to recover while clients still run.
 *
 * @param spares slots after the members the schedule uses: joiners first, then one per attacker
 */
public record Schedule(long seed, List<ScheduledFault> faults, int members, int spares) {
  public static final long warmupMs = 2_000;
  public static final double quietFraction = 0.25;
  static final long holdMsMin = 1_500;
  static final long holdMsMax = 5_000;
  static final long gapMsMin = 500;
  static final long gapMsMax = 1_500;
  /** An attack runs to its end; its window is how long the schedule reserves for it. */
  static final long attackHoldMs = 1_000;
  static final long longAttackHoldMs = 4_000;

  public static Schedule generate(long seed, Set<FaultKind> kinds, Duration duration, int members) {
    Random random = new Random(seed);
    List<FaultKind> order = new ArrayList<>(kinds);
    Collections.sort(order);
    Collections.shuffle(order, random);
    long end = Math.max(warmupMs + 1, (long) (duration.toMillis() * (1 - quietFraction)));
    List<FaultKind> repeatable = order.stream().filter(k -> !k.attack()).toList();
    List<ScheduledFault> faults = new ArrayList<>();
    Slots slots = new Slots(members);
    long at = warmupMs;
    int i = 0;
    while (true) {
      FaultKind kind;
      if (i < order.size()) {
        kind = order.get(i);
      } else if (!repeatable.isEmpty() && at < end) {
        kind = repeatable.get(random.nextInt(repeatable.size()));
      } else {
        break;
      }
      long hold = kind.attack() ? (kind == FaultKind.REMOVED_RETURN || kind == FaultKind.TAMPER_FILES ? longAttackHoldMs
          : attackHoldMs) : between(random, holdMsMin, holdMsMax);
      faults.add(new ScheduledFault(faults.size(), at, hold, draw(kind, random, members, slots)));
      at += hold + between(random, gapMsMin, gapMsMax);
      i++;
    }
    return new Schedule(seed, List.copyOf(faults), members, slots.spares);
  }

  /** Hands out spare slots (after the members) to joiners and attackers. */
  private static final class Slots {
    final int members;
    int spares;

    Slots(int members) {
      this.members = members;
    }

    int next() {
      return members + spares++;
    }
  }

  private static Fault draw(FaultKind kind, Random random, int members, Slots slots) {
    int anyMember = random.nextInt(members);
    int target = random.nextBoolean() ? Fault.LEADER : anyMember;
    return switch (kind) {
      case CRASH -> {
        int dice = random.nextInt(4);
        if (dice == 0) {
          yield new Fault.Crash(target, Fault.Moment.MID_JOIN, slots.next());
        }
        yield new Fault.Crash(target, dice == 1 ? Fault.Moment.MID_ROTATION : Fault.Moment.ANY, -1);
      }
      case PARTITION -> new Fault.Partition(Fault.Shape.values()[random.nextInt(Fault.Shape.values().length)],
          random.nextLong());
      case DELAY -> new Fault.Delay(between(random, 20, 250), between(random, 0, 80), random.nextInt(3) * 0.05);
      case PAUSE -> new Fault.Pause(target);
      case SKEW -> new Fault.Skew(target, (random.nextBoolean() ? 1 : -1) * between(random, 5_000, 120_000));
      case DISK -> new Fault.DiskFull(target);
      case TAMPER_FILES -> new Fault.Attack(kind, -1, anyMember);
      case STOLEN_IDENTITY -> new Fault.Attack(kind, slots.next(), anyMember);
      default -> new Fault.Attack(kind, slots.next(), -1);
    };
  }

  private static long between(Random random, long min, long max) {
    return min + (long) (random.nextDouble() * (max - min));
  }

  /** The schedule, one fault per line, for the summary. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    for (ScheduledFault f : faults) {
      lines.add(String.format(java.util.Locale.ROOT, "#%d at %5.1f s for %4.1f s: %s", f.index(), f.atMs() / 1000.0,
          f.holdMs() / 1000.0, f.fault().describe()));
    }
    return lines;
  }
}
