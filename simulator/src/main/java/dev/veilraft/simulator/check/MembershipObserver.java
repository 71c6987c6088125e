package dev.veilraft.simulator.check;

import dev.veilraft.simulator.cluster.NodeStatus;
import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.history.HistoryRecorder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Watches every running node's membership during a run (every {@link #sampleMs}) and judges the
 * membership invariants afterwards ({@link MembershipChecker}). The run tells it which node ids
 * are legitimate, which belong to attackers, and which were removed and when.
 */
public final class MembershipObserver implements AutoCloseable {
  public static final long sampleMs = 250;

  /** One node's view at one moment. */
  public record Observation(long timeNs, int slot, NodeStatus status) {}

  /** A member removed by governance: when it was seen gone, and the epoch then. */
  public record Removal(String nodeId, long timeNs, long epoch) {}

  private final SimCluster cluster;
  private final HistoryRecorder clock;
  private final List<Observation> observations = new ArrayList<>();
  private final Set<String> legitimate = new HashSet<>();
  private final Set<String> attackers = new HashSet<>();
  private final Map<String, Removal> removals = new HashMap<>();
  private volatile boolean closed;
  private Thread sampler;

  public MembershipObserver(SimCluster cluster, HistoryRecorder clock) {
    this.cluster = cluster;
    this.clock = clock;
  }

  public synchronized void legitimate(String nodeId) {
    legitimate.add(nodeId);
  }

  public synchronized void attacker(String nodeId) {
    attackers.add(nodeId);
  }

  public synchronized void removed(Removal removal) {
    removals.put(removal.nodeId(), removal);
  }

  public void start() {
    sampler = new Thread(() -> {
      while (!closed) {
        sample();
        try {
          Thread.sleep(sampleMs);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "membership-observer");
    sampler.setDaemon(true);
    sampler.start();
  }

  /** Takes one sample of every running node now. */
  public void sample() {
    for (int slot = 0; slot < cluster.layout().slots(); slot++) {
      if (!cluster.running(slot)) {
        continue;
      }
      Optional<NodeStatus> status = cluster.status(slot);
      if (status.isPresent()) {
        synchronized (this) {
          observations.add(new Observation(clock.now(), slot, status.get()));
        }
      }
    }
  }

  /** The history's clock (removals are timed with it). */
  public long now() {
    return clock.now();
  }

  public synchronized int observationCount() {
    return observations.size();
  }

  public Verdict check() {
    synchronized (this) {
      return new MembershipChecker(List.copyOf(observations), Set.copyOf(legitimate), Set.copyOf(attackers),
          Map.copyOf(removals)).check();
    }
  }

  @Override
  public void close() {
    closed = true;
    if (sampler != null) {
      sampler.interrupt();
      try {
        sampler.join(2_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
