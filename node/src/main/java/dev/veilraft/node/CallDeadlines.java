package dev.veilraft.node;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.CyclicTimeouts;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deadline of every call a node has in flight for a caller (a proposal, a client event, a
 * query). A call still pending at its deadline fails with a {@link TimeoutException}, as {@link
 * CompletableFuture#orTimeout} would fail it. This class needs no timer wake-up per call.
 *
 * <p>{@code orTimeout} schedules one task per call on the JDK's single delay thread. It wakes
 * that thread whenever the new task is the earliest in its queue, and at low concurrency that is
 * every call, because the previous call completed and its task was removed. That wake-up cost a
 * context switch per call on the node that took the request: about 2.4% of a leader's CPU at one
 * request in flight in session 35's profile.
 *
 * <p>Here the pending calls sit in a set. Jetty's {@link CyclicTimeouts} keeps one wake-up, for
 * the earliest deadline. A call that completes leaves the set. All calls get the same timeout,
 * so a new call's deadline is never earlier than one already scheduled, and it schedules
 * nothing. The wake-up walks the whole set, fails the overdue calls and schedules the next
 * wake-up for the earliest remaining deadline. Deadlines are rounded up to {@link #TICK}, so
 * calls started within one tick share a wake-up: at most one walk per tick, also when calls
 * time out one after another in an outage (a walk visits every pending call, at most the node's
 * queue bound plus the queries in flight). An idle node wakes at most once per timeout.
 */
final class CallDeadlines implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CallDeadlines.class);
  /** Deadlines are rounded up to this: a call may fail up to one tick after its timeout. */
  static final Duration TICK = Duration.ofMillis(100);

  private final long timeoutMillis;
  private final Set<Pending> pending = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorScheduler scheduler;
  private final CyclicTimeouts<Pending> timeouts;
  private volatile boolean closed;

  /** Deadlines {@code timeout} after each call starts; {@code threadName} names the one timer thread. */
  CallDeadlines(Duration timeout, String threadName) {
    if (timeout.toMillis() <= 0) {
      throw new IllegalArgumentException("a call timeout must be at least 1 ms, not " + timeout);
    }
    this.timeoutMillis = timeout.toMillis();
    this.scheduler = new ScheduledExecutorScheduler(threadName, true);
    try {
      scheduler.start();
    } catch (Exception e) {
      throw new IllegalStateException("the call deadline timer did not start: " + e.getMessage(), e);
    }
    this.timeouts = new CyclicTimeouts<>(scheduler) {
      @Override
      protected Iterator<Pending> iterator() {
        return pending.iterator();
      }

      @Override
      protected boolean onExpired(Pending call) {
        call.future.completeExceptionally(new TimeoutException());
        return true;
      }
    };
  }

  /**
   * Bounds {@code call}: it fails with a {@link TimeoutException} if still pending at its
   * deadline, or with {@link NodeException} {@code CLOSED} once this closes. Returns {@code call}
   * itself, as {@code orTimeout} does.
   */
  <T> CompletableFuture<T> bound(CompletableFuture<T> call) {
    return bound(call, timeoutMillis);
  }

  /** {@link #bound(CompletableFuture)} with another timeout: for tests of deadlines out of order. */
  <T> CompletableFuture<T> bound(CompletableFuture<T> call, long callTimeoutMillis) {
    if (call.isDone()) {
      return call;
    }
    if (closed) {
      call.completeExceptionally(closedFailure());
      return call;
    }
    Pending entry = new Pending(call, roundedUp(CyclicTimeouts.Expirable.calcExpireNanoTime(callTimeoutMillis)));
    pending.add(entry);
    call.whenComplete((result, error) -> pending.remove(entry));
    if (!call.isDone()) {
      try {
        timeouts.schedule(entry);
      } catch (RejectedExecutionException e) {
        // The timer stopped: this closes concurrently, and failPending below fails the call.
        if (!closed) {
          throw e;
        }
      }
    }
    // A close that ran between the check above and the add may have missed this entry.
    if (closed) {
      failPending();
    }
    return call;
  }

  /** {@code nanoTime} rounded up to a multiple of {@link #TICK} (nanoTime may be negative). */
  private static long roundedUp(long nanoTime) {
    long tick = TICK.toNanos();
    return -Math.floorDiv(-nanoTime, tick) * tick;
  }

  /** Calls pending now, for tests and metrics. */
  int pendingCount() {
    return pending.size();
  }

  /**
   * Stops the timer and fails the calls still pending: nothing would time them out afterwards, and
   * a caller must not wait forever on a node that closed.
   */
  @Override
  public void close() {
    closed = true;
    timeouts.destroy();
    try {
      scheduler.stop();
    } catch (Exception e) {
      LOG.warn("the call deadline timer did not stop cleanly: {}", e.toString());
    }
    failPending();
  }

  private void failPending() {
    for (Iterator<Pending> it = pending.iterator(); it.hasNext(); ) {
      Pending call = it.next();
      it.remove();
      call.future.completeExceptionally(closedFailure());
    }
  }

  private static NodeException closedFailure() {
    return new NodeException("CLOSED", "the node closed before the call completed");
  }

  /** One pending call; identity equality, so two calls never collide in the set. */
  private static final class Pending implements CyclicTimeouts.Expirable {
    final CompletableFuture<?> future;
    final long expireNanoTime;

    Pending(CompletableFuture<?> future, long expireNanoTime) {
      this.future = future;
      this.expireNanoTime = expireNanoTime;
    }

    @Override
    public long getExpireNanoTime() {
      return expireNanoTime;
    }
  }
}
