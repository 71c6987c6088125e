package dev.veilraft.bench.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Several clients of one cluster used as one target. A veilraft cluster bounds the unacknowledged
 * requests of each client (limits.pending_per_client_max, 128 by default) and a Ratis client its
 * outstanding requests (100 by default), so a load of hundreds in flight needs several clients.
 * Each call goes to the first client with fewer than {@link #PUTS_PER_CLIENT} puts in flight (the
 * least loaded when all have that many): a load of C in flight uses as few clients as it would
 * alone, {@link #clientsFor}(C), however many the pool holds for the run's highest load. (Spread
 * over every client of the pool, a point's numbers depended on the other points of its run: 64 in
 * flight over 8 clients sent a veilraft node 8 events per client, in bundles of about 2, against
 * 32 per client when run alone.)
 */
public final class PooledTarget implements LoadTarget {
  /** Puts in flight per client the benchmark plans for (well under both limits above). */
  public static final int PUTS_PER_CLIENT = 32;

  private final List<LoadTarget> targets;
  private final AtomicIntegerArray inFlight;

  public PooledTarget(List<LoadTarget> targets) {
    if (targets.isEmpty()) {
      throw new IllegalArgumentException("a pool needs at least one client");
    }
    this.targets = List.copyOf(targets);
    this.inFlight = new AtomicIntegerArray(targets.size());
  }

  /** Clients needed for {@code concurrency} puts in flight. */
  public static int clientsFor(int concurrency) {
    return Math.max(1, (concurrency + PUTS_PER_CLIENT - 1) / PUTS_PER_CLIENT);
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    // Two callers may both pick a client at 31 (or a batch may take it past 32): harmless, the
    // bound is a plan, not a limit.
    int chosen = -1;
    int leastLoaded = 0;
    int leastLoad = Integer.MAX_VALUE;
    for (int i = 0; i < targets.size() && chosen < 0; i++) {
      int load = inFlight.get(i);
      if (load < PUTS_PER_CLIENT) {
        chosen = i;
      } else if (load < leastLoad) {
        leastLoaded = i;
        leastLoad = load;
      }
    }
    int target = chosen >= 0 ? chosen : leastLoaded;
    inFlight.addAndGet(target, keys.size());
    CompletableFuture<Void> call;
    try {
      call = targets.get(target).put(keys, values);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.whenComplete((ok, error) -> inFlight.addAndGet(target, -keys.size()));
  }

  @Override
  public void close() {
    targets.forEach(LoadTarget::close);
  }
}
