package dev.veilraft.bench.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Several clients of one cluster used as one target: each call goes to the client with the
 * fewest puts in flight. A veilraft cluster bounds the unacknowledged requests of each client
 * (limits.pending_per_client_max, 128 by default) and a Ratis client its outstanding requests
 * (100 by default), so a load of hundreds in flight needs several clients, as an application
 * serving many users would have.
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
    int best = 0;
    for (int i = 1; i < targets.size(); i++) {
      if (inFlight.get(i) < inFlight.get(best)) {
        best = i;
      }
    }
    int chosen = best;
    inFlight.addAndGet(chosen, keys.size());
    CompletableFuture<Void> call;
    try {
      call = targets.get(chosen).put(keys, values);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    return call.whenComplete((ok, error) -> inFlight.addAndGet(chosen, -keys.size()));
  }

  @Override
  public void close() {
    targets.forEach(LoadTarget::close);
  }
}
