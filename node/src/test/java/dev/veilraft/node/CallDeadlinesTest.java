package dev.veilraft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class CallDeadlinesTest {
  /** Far above any deadline here: a call that has not failed by then was never going to. */
  private static final long AWAIT_SECONDS = 10;

  private static Throwable failureOf(CompletableFuture<?> call) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(AWAIT_SECONDS, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void aCallStillPendingAtItsDeadlineFailsWithATimeout() throws InterruptedException {
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofMillis(50), "test-deadlines")) {
      CompletableFuture<String> call = new CompletableFuture<>();
      assertSame(call, deadlines.bound(call), "the call itself is bounded, as orTimeout does");
      assertInstanceOf(TimeoutException.class, failureOf(call));
      // The timer thread removes the entry just after it completes the call, which woke us.
      assertTrue(Await.until(() -> deadlines.pendingCount() == 0, Duration.ofSeconds(AWAIT_SECONDS)),
          "a timed-out call leaves the set");
    }
  }

  @Test
  void aCallThatCompletesInTimeKeepsItsResultAndLeavesNothingBehind() throws Exception {
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(30), "test-deadlines")) {
      List<CompletableFuture<Integer>> calls = new ArrayList<>();
      for (int i = 0; i < 1_000; i++) {
        calls.add(deadlines.bound(new CompletableFuture<>()));
      }
      assertEquals(1_000, deadlines.pendingCount());
      for (int i = 0; i < calls.size(); i++) {
        calls.get(i).complete(i);
      }
      assertEquals(0, deadlines.pendingCount(), "completed calls are not kept until their deadline");
      assertEquals(999, calls.get(999).get());
      CompletableFuture<Integer> done = CompletableFuture.completedFuture(7);
      assertSame(done, deadlines.bound(done));
      assertEquals(0, deadlines.pendingCount(), "a call already done is not tracked");
    }
  }

  /**
   * The one wake-up is for the earliest deadline. A call that completed in time still causes it,
   * and the wake-up must then schedule the next deadline without failing calls not yet due, or
   * later calls would fail early or never. Each call must fail no sooner than its timeout after it
   * was bound: a lower bound on elapsed time, which a slow machine cannot break.
   */
  @Test
  void aWakeUpFailsOnlyTheCallsDueAndSchedulesTheNext() {
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(30), "test-deadlines")) {
      long firstBound = System.nanoTime();
      CompletableFuture<String> first = deadlines.bound(new CompletableFuture<>(), 100);
      CompletableFuture<String> due = deadlines.bound(new CompletableFuture<>(), 100);
      long laterBound = System.nanoTime();
      List<CompletableFuture<String>> later = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        later.add(deadlines.bound(new CompletableFuture<>(), 600));
      }
      first.complete("in time");
      assertInstanceOf(TimeoutException.class, failureOf(due));
      assertTrue(elapsedMillis(firstBound) >= 100, "a call fails no sooner than its timeout");
      for (CompletableFuture<String> call : later) {
        assertInstanceOf(TimeoutException.class, failureOf(call));
      }
      assertTrue(elapsedMillis(laterBound) >= 600,
          "the wake-up for the 100 ms calls failed the 600 ms ones early: " + elapsedMillis(laterBound) + " ms");
      assertEquals("in time", first.join());
      // A new round after the set went empty is scheduled again.
      CompletableFuture<String> next = deadlines.bound(new CompletableFuture<>(), 50);
      assertInstanceOf(TimeoutException.class, failureOf(next));
    }
  }

  /** Threads binding at once, most calls completing in time and some not: each ends, none is kept. */
  @Test
  void concurrentCallsAllEndAndNoneIsKept() throws Exception {
    // Long enough that a call completed right after it was bound is never late, even on a loaded machine.
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(2), "test-deadlines")) {
      int threads = 4;
      int callsPerThread = 2_000;
      List<CompletableFuture<Integer>> all = Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          work.add(pool.submit(() -> {
            for (int i = 0; i < callsPerThread; i++) {
              CompletableFuture<Integer> call = deadlines.bound(new CompletableFuture<>());
              all.add(call);
              if (i % 10 != 0) {
                call.complete(i);
              }
            }
          }));
        }
        for (Future<?> w : work) {
          w.get(AWAIT_SECONDS, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      int timedOut = 0;
      for (CompletableFuture<Integer> call : all) {
        try {
          call.get(AWAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          assertInstanceOf(TimeoutException.class, e.getCause());
          timedOut++;
        }
      }
      assertEquals(threads * callsPerThread / 10, timedOut, "exactly the calls left pending time out");
      assertTrue(Await.until(() -> deadlines.pendingCount() == 0, Duration.ofSeconds(AWAIT_SECONDS)),
          "no call is kept once it ended: " + deadlines.pendingCount());
    }
  }

  /** A close racing with calls being bound: every call still ends, none waits for a timeout. */
  @Test
  void closingWhileCallsAreBoundEndsEveryCall() throws Exception {
    CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(30), "test-deadlines");
    List<CompletableFuture<Integer>> all = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch started = new CountDownLatch(1);
    AtomicReference<Throwable> binderFailure = new AtomicReference<>();
    Thread binder = new Thread(() -> {
      try {
        for (int i = 0; i < 20_000; i++) {
          all.add(deadlines.bound(new CompletableFuture<>()));
          if (i == 100) {
            started.countDown();
          }
        }
      } catch (Throwable t) {
        binderFailure.set(t);
      }
    });
    binder.start();
    assertTrue(started.await(AWAIT_SECONDS, TimeUnit.SECONDS));
    deadlines.close();
    binder.join(TimeUnit.SECONDS.toMillis(AWAIT_SECONDS));
    assertNull(binderFailure.get(), "binding around the close throws nothing");
    assertEquals(20_000, all.size());
    for (CompletableFuture<Integer> call : all) {
      assertEquals("CLOSED", assertInstanceOf(NodeException.class, failureOf(call)).code(),
          "a call bound around the close fails with CLOSED, not after 30 s");
    }
    assertEquals(0, deadlines.pendingCount());
  }

  private static long elapsedMillis(long sinceNanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNanos);
  }

  @Test
  void closingFailsThePendingCallsAndLaterOnesAtOnce() {
    CallDeadlines deadlines = new CallDeadlines(Duration.ofSeconds(30), "test-deadlines");
    CompletableFuture<String> pending = deadlines.bound(new CompletableFuture<>());
    CompletableFuture<String> done = deadlines.bound(new CompletableFuture<>());
    done.complete("done");
    deadlines.close();
    NodeException closed = assertInstanceOf(NodeException.class, failureOf(pending));
    assertEquals("CLOSED", closed.code());
    assertTrue(closed.getMessage().contains("closed before the call completed"), closed.getMessage());
    assertEquals("done", done.join(), "a completed call keeps its result");
    CompletableFuture<String> after = deadlines.bound(new CompletableFuture<>());
    assertEquals("CLOSED", assertInstanceOf(NodeException.class, failureOf(after)).code());
    assertEquals(0, deadlines.pendingCount());
  }

  @Test
  void aTimeoutBelowOneMillisecondIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new CallDeadlines(Duration.ofNanos(10), "test-deadlines"));
    assertTrue(e.getMessage().contains("at least 1 ms"), e.getMessage());
  }
}
