package dev.veilraft.node.deploy;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.node.demo.KvWorkload;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Writes of distinct keys with a bound on requests in flight; remembers which ones were acknowledged. */
final class KvWriter {
  private final VeilraftClient client;
  private final Semaphore inFlight;
  private final int inFlightMax;
  private final Map<Integer, byte[]> acknowledged = new ConcurrentHashMap<>();
  private final AtomicInteger failures = new AtomicInteger();
  private int next;

  KvWriter(VeilraftClient client, int inFlightMax) {
    this.client = client;
    this.inFlightMax = inFlightMax;
    this.inFlight = new Semaphore(inFlightMax);
  }

  /** Sends new writes until {@code total} were acknowledged in all; false when {@code timeout} passed first. */
  boolean writeUntilAcknowledged(int total, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (acknowledged.size() < total) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      if (!inFlight.tryAcquire(Math.max(1, (deadline - System.nanoTime()) / 1_000_000),
          TimeUnit.MILLISECONDS)) {
        continue;
      }
      int key = next++;
      byte[] value = KvWorkload.value(key);
      client.callAsync(KvApp.NAME, KvRequests.put(KvWorkload.key(key), value).toByteArray())
          .whenComplete((response, error) -> {
            if (error == null) {
              acknowledged.put(key, value);
            } else {
              failures.incrementAndGet();
            }
            inFlight.release();
          });
    }
    return true;
  }

  /** Waits for the writes still in flight and returns every acknowledged one (key index to value). */
  Map<Integer, byte[]> finish(Duration timeout) throws InterruptedException {
    if (!inFlight.tryAcquire(inFlightMax, timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("writes still in flight after " + timeout);
    }
    inFlight.release(inFlightMax);
    return Map.copyOf(acknowledged);
  }

  int failures() {
    return failures.get();
  }
}
