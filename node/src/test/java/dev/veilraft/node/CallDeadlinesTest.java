package dev.veilraft.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class CallDeadlinesTest {
  /** Far above any deadline here: a call that has not failed by then was never going to. */
  private static final long AWAIT_SECONDS = 10;

  private static Throwable failureOf(CompletableFuture<?> call) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> call.get(AWAIT_SECONDS, TimeUnit.SECONDS));
    return e.getCause();
  }

  @Test
  void aCallStillPendingAtItsDeadlineFailsWithATimeout() {
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofMillis(50), "test-deadlines")) {
      CompletableFuture<String> call = new CompletableFuture<>();
      assertSame(call, deadlines.bound(call), "the call itself is bounded, as orTimeout does");
      assertInstanceOf(TimeoutException.class, failureOf(call));
      assertEquals(0, deadlines.pendingCount(), "a timed-out call leaves the set");
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
   * The one wake-up is for the earliest deadline; a call that completed in time still causes it,
   * and the wake-up must then schedule the next deadline, or the later calls would never fail.
   */
  @Test
  void laterCallsStillFailAfterAnEarlierOneCompletedInTime() {
    try (CallDeadlines deadlines = new CallDeadlines(Duration.ofMillis(100), "test-deadlines")) {
      CompletableFuture<String> first = deadlines.bound(new CompletableFuture<>());
      List<CompletableFuture<String>> later = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        later.add(deadlines.bound(new CompletableFuture<>()));
      }
      first.complete("in time");
      for (CompletableFuture<String> call : later) {
        assertInstanceOf(TimeoutException.class, failureOf(call));
      }
      assertEquals("in time", first.join());
      // A new round after the set went empty is scheduled again.
      CompletableFuture<String> next = deadlines.bound(new CompletableFuture<>());
      assertInstanceOf(TimeoutException.class, failureOf(next));
    }
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
