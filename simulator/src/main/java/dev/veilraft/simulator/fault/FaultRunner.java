package dev.veilraft.simulator.fault;

import dev.veilraft.simulator.attack.AttackRunner;
import dev.veilraft.simulator.attack.Governance;
import dev.veilraft.simulator.check.MembershipObserver;
import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.cluster.SimException;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.simulator.history.HistoryRecorder;
import dev.veilraft.simulator.net.LinkBehaviour;
import dev.veilraft.simulator.net.NetworkControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Plays a {@link Schedule} against a cluster: waits for each fault's start, injects it, waits for
 * its end and heals it, recording what happened in the {@link Timeline}. Choices that depend on
 * the moment (which node leads, which members a partition splits) are drawn from a generator
 * seeded by the schedule, so they follow the seed as far as the cluster's own timing allows.
 * {@link #healAll} undoes whatever is still faulty and restarts every member that is down.
 */
public final class FaultRunner {
  /** How long a joiner that a crash interrupted gets to finish its join. */
  static final Duration JOIN_WAIT = Duration.ofSeconds(150);

  private final SimCluster cluster;
  private final Schedule schedule;
  private final Timeline timeline;
  private final HistoryRecorder clock;
  private final AttackRunner attacks;
  private final MembershipObserver observer;
  private final Random random;
  /** Slots that are members (the initial ones and spares that joined), whose restarts the heal owes. */
  private final Set<Integer> members = new TreeSet<>();
  private final Set<Integer> crashed = new TreeSet<>();
  private final Set<Integer> paused = new TreeSet<>();
  private final Set<Integer> skewed = new TreeSet<>();
  private final Set<Integer> filled = new TreeSet<>();
  private volatile boolean stopping;

  public FaultRunner(SimCluster cluster, Schedule schedule, Timeline timeline, HistoryRecorder clock,
      AttackRunner attacks, MembershipObserver observer) {
    this.cluster = cluster;
    this.schedule = schedule;
    this.timeline = timeline;
    this.clock = clock;
    this.attacks = attacks;
    this.observer = observer;
    this.random = new Random(schedule.seed() ^ 0x5DEECE66DL);
    for (int i = 0; i < schedule.members(); i++) {
      members.add(i);
    }
  }

  /** Asks the runner to stop before its next fault; the fault in progress still heals. */
  public void stop() {
    stopping = true;
  }

  /** Plays every fault; {@code startNs} is the history time the run began. */
  public void run(long startNs) throws InterruptedException {
    for (ScheduledFault f : schedule.faults()) {
      if (stopping) {
        timeline.note("stopped before fault #" + f.index());
        return;
      }
      sleepUntil(startNs + TimeUnit.MILLISECONDS.toNanos(f.atMs()));
      long begin = clock.now();
      Fault fault = f.fault();
      if (fault instanceof Fault.Attack attack) {
        AttackRunner.Outcome outcome = attacks.run(attack);
        if (attack.kind() == FaultKind.REMOVED_RETURN) {
          members.remove(attack.slot());
        }
        timeline.add(new FaultWindow(f.index(), fault.kind(), fault.describe(), begin, clock.now(), outcome.detail(),
            outcome.passed()));
        continue;
      }
      String injected;
      boolean ok = true;
      try {
        injected = inject(fault);
      } catch (SimException e) {
        injected = "could not inject: " + e.getMessage();
        ok = false;
      }
      long injectedAt = clock.now();
      sleepUntil(injectedAt + TimeUnit.MILLISECONDS.toNanos(f.holdMs()));
      String healed = heal(fault);
      timeline.add(new FaultWindow(f.index(), fault.kind(), fault.describe(), begin, clock.now(),
          injected + (healed.isEmpty() ? "" : "; " + healed), ok));
    }
  }

  private void sleepUntil(long historyNs) throws InterruptedException {
    long wait = historyNs - clock.now();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** The slot a target names: the leader of the moment, or a fixed slot. */
  private int resolve(int target) {
    if (target != Fault.LEADER) {
      return target;
    }
    Optional<Integer> leader = cluster.leader();
    if (leader.isPresent()) {
      return leader.get();
    }
    List<Integer> up = running();
    return up.isEmpty() ? 0 : up.get(random.nextInt(up.size()));
  }

  private List<Integer> running() {
    List<Integer> up = new ArrayList<>();
    for (int slot : members) {
      if (cluster.running(slot)) {
        up.add(slot);
      }
    }
    return up;
  }

  private String inject(Fault fault) throws SimException, InterruptedException {
    if (fault instanceof Fault.Crash c) {
      return crash(c);
    } else if (fault instanceof Fault.Partition p) {
      return partition(p);
    } else if (fault instanceof Fault.Delay d) {
      NetworkControl net = network();
      for (int a : members) {
        for (int b : members) {
          net.set(a, b, LinkBehaviour.slow(d.delayMs(), d.jitterMs(), d.loss()));
        }
      }
      return "links slowed";
    } else if (fault instanceof Fault.Pause p) {
      int slot = resolve(p.slot());
      cluster.pause(slot);
      paused.add(slot);
      return "paused " + SimLayout.name(slot);
    } else if (fault instanceof Fault.Skew s) {
      int slot = resolve(s.slot());
      cluster.skewClock(slot, Duration.ofMillis(s.offsetMs()));
      skewed.add(slot);
      return "skewed " + SimLayout.name(slot);
    } else if (fault instanceof Fault.DiskFull d) {
      int slot = resolve(d.slot());
      filled.add(slot);
      long ballast = cluster.fillDisk(slot);
      return String.format(java.util.Locale.ROOT, "filled the disk of %s (ballast %.1f MB)", SimLayout.name(slot),
          ballast / 1e6);
    }
    throw new IllegalStateException("attacks run to their end: " + fault);
  }

  private NetworkControl network() throws SimException {
    return cluster.network().orElseThrow(() -> new SimException("UNSUPPORTED", "this cluster mode has no per-link network"));
  }

  private String crash(Fault.Crash c) throws InterruptedException {
    return switch (c.moment()) {
      case ANY -> {
        int slot = resolve(c.slot());
        cluster.crash(slot);
        crashed.add(slot);
        yield "killed " + SimLayout.name(slot);
      }
      case MID_ROTATION -> {
        int leader = resolve(Fault.LEADER);
        CompletableFuture<Governance.Result> rotation = CompletableFuture.supplyAsync(
            () -> Governance.propose(cluster, leader, "--rotate-key"));
        Thread.sleep(50 + random.nextInt(300));
        int slot = resolve(c.slot());
        cluster.crash(slot);
        crashed.add(slot);
        String result = awaitQuietly(rotation);
        yield "proposed a rotation through " + SimLayout.name(leader) + ", killed " + SimLayout.name(slot) + " ("
            + result + ")";
      }
      case MID_JOIN -> {
        observer.legitimate(cluster.layout().nodeIds().get(c.joinerSlot()));
        CompletableFuture<String> join = CompletableFuture.supplyAsync(() -> {
          try {
            cluster.start(c.joinerSlot());
            return "joined";
          } catch (SimException e) {
            return "join failed: " + e.code();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
          }
        });
        members.add(c.joinerSlot());
        Thread.sleep(200 + random.nextInt(1500));
        // In process mode half of these crashes hit the joiner itself, which then resumes its join at restart.
        int slot = cluster.canPause() && random.nextBoolean() ? c.joinerSlot() : resolve(c.slot());
        cluster.crash(slot);
        crashed.add(slot);
        String joined;
        try {
          joined = join.get(JOIN_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
          joined = "join did not finish: " + e;
        }
        yield SimLayout.name(c.joinerSlot()) + " started joining; killed " + SimLayout.name(slot) + " (" + joined + ")";
      }
    };
  }

  private static String awaitQuietly(CompletableFuture<Governance.Result> f) throws InterruptedException {
    try {
      Governance.Result r = f.get(60, TimeUnit.SECONDS);
      return r.accepted() ? "rotation accepted" : "rotation not confirmed: " + r.output();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      return "rotation outcome unknown: " + e;
    }
  }

  private String partition(Fault.Partition p) throws SimException {
    NetworkControl net = network();
    List<Integer> nodes = new ArrayList<>(members);
    java.util.Collections.shuffle(nodes, new Random(p.shuffle()));
    int n = nodes.size();
    List<String> sides;
    switch (p.shape()) {
      case ISOLATE_LEADER -> {
        int leader = resolve(Fault.LEADER);
        for (int other : nodes) {
          if (other != leader) {
            net.cutBetween(leader, other);
          }
        }
        sides = List.of(SimLayout.name(leader) + " | rest");
      }
      case BRIDGE -> {
        // Two halves that cannot talk, and one node (the bridge) that talks to both.
        int bridge = nodes.get(0);
        List<Integer> rest = nodes.subList(1, n);
        List<Integer> left = rest.subList(0, rest.size() / 2);
        List<Integer> right = rest.subList(rest.size() / 2, rest.size());
        cutAcross(net, left, right);
        sides = List.of(names(left) + " | " + names(right) + " bridged by " + SimLayout.name(bridge));
      }
      case RING -> {
        // Each node talks only to its two neighbours in a shuffled ring (no cut with three nodes or fewer).
        for (int i = 0; i < n; i++) {
          for (int j = i + 1; j < n; j++) {
            boolean neighbours = j == i + 1 || (i == 0 && j == n - 1);
            if (!neighbours) {
              net.cutBetween(nodes.get(i), nodes.get(j));
            }
          }
        }
        sides = List.of("ring " + names(nodes));
      }
      default -> {
        int minority = Math.max(1, (n - 1) / 2);
        cutAcross(net, nodes.subList(0, minority), nodes.subList(minority, n));
        sides = List.of(names(nodes.subList(0, minority)) + " | " + names(nodes.subList(minority, n)));
      }
    }
    return "cut " + String.join(", ", sides);
  }

  private static void cutAcross(NetworkControl net, List<Integer> a, List<Integer> b) {
    for (int x : a) {
      for (int y : b) {
        net.cutBetween(x, y);
      }
    }
  }

  private static String names(List<Integer> slots) {
    List<String> names = new ArrayList<>();
    slots.forEach(s -> names.add(SimLayout.name(s)));
    return "{" + String.join(",", names) + "}";
  }

  private String heal(Fault fault) throws InterruptedException {
    if (fault instanceof Fault.Crash) {
      return restartCrashed();
    } else if (fault instanceof Fault.Partition || fault instanceof Fault.Delay) {
      cluster.network().ifPresent(NetworkControl::healAll);
      return "healed";
    } else if (fault instanceof Fault.Pause) {
      return resumePaused();
    } else if (fault instanceof Fault.Skew) {
      return unskew();
    } else if (fault instanceof Fault.DiskFull) {
      return freeDisks();
    }
    return "";
  }

  /** Restarts every member that is down: the crashed ones, and a joiner whose join a crash interrupted. */
  private String restartCrashed() throws InterruptedException {
    List<String> done = new ArrayList<>();
    crashed.removeIf(slot -> !members.contains(slot));
    for (int slot : List.copyOf(members)) {
      if (cluster.running(slot)) {
        crashed.remove(slot);
        continue;
      }
      try {
        cluster.start(slot);
        crashed.remove(slot);
        done.add("restarted " + SimLayout.name(slot));
      } catch (SimException e) {
        done.add(SimLayout.name(slot) + " did not restart (" + e.code() + ")");
      }
    }
    return String.join(", ", done);
  }

  private String resumePaused() {
    List<String> done = new ArrayList<>();
    for (int slot : List.copyOf(paused)) {
      try {
        cluster.resume(slot);
        paused.remove(slot);
        done.add("resumed " + SimLayout.name(slot));
      } catch (SimException e) {
        done.add(SimLayout.name(slot) + " did not resume (" + e.getMessage() + ")");
      }
    }
    return String.join(", ", done);
  }

  private String unskew() {
    for (int slot : List.copyOf(skewed)) {
      try {
        cluster.skewClock(slot, Duration.ZERO);
        skewed.remove(slot);
      } catch (SimException e) {
        timeline.note("cannot unskew " + SimLayout.name(slot) + ": " + e.getMessage());
      }
    }
    return "clock restored";
  }

  /**
   * Frees every filled disk; a node that stopped on the full disk (a node process ends when its
   * state store or Raft log cannot write) is started again from what it has on disk.
   */
  private String freeDisks() throws InterruptedException {
    List<String> done = new ArrayList<>();
    for (int slot : List.copyOf(filled)) {
      try {
        cluster.freeDisk(slot);
        filled.remove(slot);
        if (cluster.running(slot)) {
          done.add("freed the disk of " + SimLayout.name(slot) + " (it kept running)");
        } else {
          String ended = cluster.exitStatus(slot).map(status -> " (exit status " + status + ")").orElse("");
          cluster.start(slot);
          done.add("freed the disk of " + SimLayout.name(slot) + ", which had stopped" + ended + "; restarted it");
        }
      } catch (SimException e) {
        done.add("the disk of " + SimLayout.name(slot) + ": " + e.getMessage());
      }
    }
    return String.join(", ", done);
  }

  /** Heals the network, resumes, unskews, frees disks, and starts every member that is down. Returns what it did. */
  public List<String> healAll() throws InterruptedException {
    List<String> done = new ArrayList<>();
    String freed = freeDisks();
    if (!freed.isEmpty()) {
      done.add(freed);
    }
    cluster.network().ifPresent(NetworkControl::healAll);
    String resumed = resumePaused();
    if (!resumed.isEmpty()) {
      done.add(resumed);
    }
    unskew();
    for (int slot : members) {
      if (!cluster.running(slot)) {
        try {
          cluster.start(slot);
          done.add("restarted " + SimLayout.name(slot));
        } catch (SimException e) {
          done.add(SimLayout.name(slot) + " stays down: " + e.getMessage());
        }
      }
    }
    crashed.clear();
    return done;
  }

  /** The member slots at the end (initial members and spares that joined, minus removed ones). */
  public Set<Integer> members() {
    return Set.copyOf(members);
  }
}
