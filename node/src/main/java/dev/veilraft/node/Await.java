package dev.veilraft.node;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Bounded waiting for a condition the node does not get a callback for (leader elected, entry applied). */
public final class Await {
  private static final long POLL_MS = 20;

  private Await() {}

  /** Waits until {@code condition} holds; false when {@code timeout} passed first. */
  public static boolean until(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(POLL_MS);
    }
    return true;
  }
}
