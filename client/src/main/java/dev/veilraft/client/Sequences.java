package dev.veilraft.client;

import java.util.concurrent.ConcurrentSkipListSet;

/**
 * A client's exactly-once sequence numbers: which it handed out and which still wait for their
 * response, and so what a request may acknowledge. A request acknowledges every sequence below
 * the oldest one still outstanding, and the cluster then forgets their results, so a sequence
 * must be outstanding from the moment it exists: numbering and registering happen under one
 * lock. (Apart, a request numbered later could be sealed in between, acknowledge the earlier
 * number before it was registered, and the earlier request was then refused as acknowledged
 * already without ever being applied.) Thread-safe.
 */
final class Sequences {
  private long next = 1;
  /** Sequences handed out whose response has not arrived (or was given up on) yet. */
  private final ConcurrentSkipListSet<Long> outstanding = new ConcurrentSkipListSet<>();

  /** Hands out {@code count} consecutive sequences, outstanding from now on; returns the first. */
  synchronized long take(int count) {
    long first = next;
    next += count;
    for (int i = 0; i < count; i++) {
      outstanding.add(first + i);
    }
    return first;
  }

  /** What a request holding {@code sequence} (outstanding) may acknowledge: all below the oldest outstanding. */
  long acknowledgedFor(long sequence) {
    Long oldest = outstanding.ceiling(0L);
    return oldest == null ? sequence : Math.min(oldest, sequence);
  }

  /** The response to {@code sequence} arrived, or the caller gave up on it. */
  void done(long sequence) {
    outstanding.remove(sequence);
  }
}
