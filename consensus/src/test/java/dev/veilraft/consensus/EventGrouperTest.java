package dev.veilraft.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.consensus.proto.GroupResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link EventGrouper}: when it groups, its bounds, and that every caller gets exactly its own result once. */
class EventGrouperTest {
  private static final long WAIT_SECONDS = 20;

  /** A sealed request told apart by its ciphertext. */
  private static SealedRequest event(String name) {
    return SealedRequest.newBuilder().setEpoch(1).setCiphertext(ByteString.copyFromUtf8(name)).build();
  }

  /** The answer a replica would give each event: here its own ciphertext echoed, so a mix-up shows. */
  private static ApplyResult answer(SealedRequest event) {
    return ApplyResult.newBuilder().setSealedResponse(SealedResponse.newBuilder().setCiphertext(event.getCiphertext()))
        .build();
  }

  private static ApplyResult answer(Proposal proposal) {
    if (proposal.hasClientEvent()) {
      return answer(proposal.getClientEvent());
    }
    GroupResult.Builder results = GroupResult.newBuilder();
    proposal.getClientEventGroup().getEventsList().forEach(e -> results.addResults(answer(e)));
    return ApplyResult.newBuilder().setGroup(results).build();
  }

  /** Proposals as sent, each held until the test completes it. */
  private static final class HeldSends {
    final List<Proposal> sent = new ArrayList<>();
    final List<CompletableFuture<ApplyResult>> pending = new ArrayList<>();
    /** The thread each proposal was sent on. */
    final List<String> senders = new ArrayList<>();

    synchronized CompletableFuture<ApplyResult> send(Proposal proposal) {
      CompletableFuture<ApplyResult> f = new CompletableFuture<>();
      sent.add(proposal);
      pending.add(f);
      senders.add(Thread.currentThread().getName());
      return f;
    }

    synchronized String sender(int i) {
      return senders.get(i);
    }

    synchronized Proposal proposal(int i) {
      return sent.get(i);
    }

    synchronized int count() {
      return sent.size();
    }

    void answer(int i) {
      CompletableFuture<ApplyResult> f;
      Proposal p;
      synchronized (this) {
        f = pending.get(i);
        p = sent.get(i);
      }
      f.complete(EventGrouperTest.answer(p));
    }

    void fail(int i, Throwable error) {
      CompletableFuture<ApplyResult> f;
      synchronized (this) {
        f = pending.get(i);
      }
      f.completeExceptionally(error);
    }
  }

  private static boolean await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.onSpinWait();
      Thread.yield();
    }
    return true;
  }

  private static ByteString ciphertext(CompletableFuture<ApplyResult> f) throws Exception {
    return f.get(WAIT_SECONDS, TimeUnit.SECONDS).getSealedResponse().getCiphertext();
  }

  @Test
  void anEventOnAnIdleNodeIsSentAtOnceAloneAsAnOrdinaryClientEvent() throws Exception {
    // Proves no event waits while a slot is free, and a lone event is the entry it always was (client_event).
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 2, 8, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<ApplyResult> a = grouper.submit(event("a"));
      CompletableFuture<ApplyResult> b = grouper.submit(event("b"));
      assertThat(sends.count()).isEqualTo(2);
      assertThat(sends.proposal(0).getClientEvent()).isEqualTo(event("a"));
      assertThat(sends.proposal(1).getClientEvent()).isEqualTo(event("b"));
      sends.answer(1);
      sends.answer(0);
      assertThat(ciphertext(a).toStringUtf8()).isEqualTo("a");
      assertThat(ciphertext(b).toStringUtf8()).isEqualTo("b");
      assertThat(grouper.stats().groups()).isZero();
    }
  }

  @Test
  void eventsSubmittedTogetherTakeAFreeSlotAsOneGroupAndEachGetsItsOwnAnswer() throws Exception {
    // Proves a bundle's events are queued before any is proposed: a free slot sends them as one group (one by one,
    // the first would take the slot alone), cut at the count bound, and each caller gets its own answer, in order.
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 2, 3, Limits.GROUP_BYTES_MAX)) {
      List<CompletableFuture<ApplyResult>> callers = grouper.submitAll(List.of(event("a"), event("b"), event("c"),
          event("d")));
      assertThat(sends.count()).as("two slots: a group of three, then the fourth").isEqualTo(2);
      assertThat(sends.proposal(0).getClientEventGroup().getEventsList()).containsExactly(event("a"), event("b"),
          event("c"));
      assertThat(sends.proposal(1).getClientEvent()).isEqualTo(event("d"));
      sends.answer(1);
      sends.answer(0);
      assertThat(callers).hasSize(4);
      for (int i = 0; i < 4; i++) {
        assertThat(ciphertext(callers.get(i)).toStringUtf8()).isEqualTo(String.valueOf((char) ('a' + i)));
      }
      assertThat(grouper.submitAll(List.of())).isEmpty();
      assertThat(grouper.stats().groups()).isEqualTo(1);
    }
  }

  @Test
  void whileEverySlotIsBusyWaitingEventsLeaveTogetherInOrderWithinTheCountAndByteBounds() throws Exception {
    // Proves each completion sends what waits as one group, oldest first, cut at the event count bound and at the
    // byte bound (a lone event larger than the byte bound still goes, alone), and each caller gets its own answer.
    HeldSends sends = new HeldSends();
    SealedRequest probe = event("e00");
    int oneEventBytes = com.google.protobuf.CodedOutputStream.computeMessageSize(1, probe);
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, 4, 3 * oneEventBytes)) {
      List<CompletableFuture<ApplyResult>> callers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        callers.add(grouper.submit(event(String.format("e%02d", i))));
      }
      SealedRequest huge = SealedRequest.newBuilder().setCiphertext(ByteString.copyFrom(new byte[10 * oneEventBytes]))
          .build();
      CompletableFuture<ApplyResult> hugeCaller = grouper.submit(huge);
      assertThat(sends.count()).as("one slot: only the first event left").isEqualTo(1);

      sends.answer(0);
      assertThat(await(() -> sends.count() == 2)).isTrue();
      assertThat(sends.proposal(1).getClientEventGroup().getEventsList()).as("cut by bytes, not by count (4)")
          .containsExactly(event("e01"), event("e02"), event("e03"));
      sends.answer(1);
      assertThat(await(() -> sends.count() == 3)).isTrue();
      assertThat(sends.proposal(2).getClientEventGroup().getEventsList())
          .containsExactly(event("e04"), event("e05"), event("e06"));
      sends.answer(2);
      assertThat(await(() -> sends.count() == 4)).isTrue();
      assertThat(sends.proposal(3).getClientEvent()).as("the huge event does not fit next to e07").isEqualTo(event("e07"));
      sends.answer(3);
      assertThat(await(() -> sends.count() == 5)).isTrue();
      assertThat(sends.proposal(4).getClientEvent()).isEqualTo(huge);
      sends.answer(4);

      for (int i = 0; i < 8; i++) {
        assertThat(ciphertext(callers.get(i)).toStringUtf8()).isEqualTo(String.format("e%02d", i));
      }
      assertThat(ciphertext(hugeCaller)).isEqualTo(huge.getCiphertext());
      assertThat(grouper.stats()).isEqualTo(new EventGrouper.Stats(5, 2, 9, 3));
    }
    // The count bound alone: 6 waiting events, at most 4 per group.
    HeldSends counted = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(counted::send, 1, 4, Limits.GROUP_BYTES_MAX)) {
      for (int i = 0; i < 7; i++) {
        grouper.submit(event("c" + i));
      }
      counted.answer(0);
      assertThat(await(() -> counted.count() == 2)).isTrue();
      assertThat(counted.proposal(1).getClientEventGroup().getEventsCount()).isEqualTo(4);
      counted.answer(1);
      assertThat(await(() -> counted.count() == 3)).isTrue();
      assertThat(counted.proposal(2).getClientEventGroup().getEventsCount()).isEqualTo(2);
      counted.answer(2);
    }
  }

  @Test
  void aDeliveryNoThreadCouldTakeIsDeliveredOnTheCompletingThreadAndFreesItsSlot() throws Exception {
    // Proves an Error from the delivery pool (the JVM could not start a thread) loses neither the slot nor the
    // callers: the committed proposal's callers get their answers on the completing thread, and what waited is
    // proposed next.
    HeldSends sends = new HeldSends();
    java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();
    java.util.function.UnaryOperator<Thread> noThreadAtFirst = t -> {
      if (refusals.getAndIncrement() == 0) {
        throw new OutOfMemoryError("unable to create native thread");
      }
      return t;
    };
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, 8, Limits.GROUP_BYTES_MAX, noThreadAtFirst)) {
      CompletableFuture<ApplyResult> a = grouper.submit(event("a"));
      CompletableFuture<ApplyResult> b = grouper.submit(event("b"));
      assertThat(sends.count()).as("one slot: b waits").isEqualTo(1);
      sends.answer(0);
      assertThat(a).as("answered on the completing thread").isCompleted();
      assertThat(ciphertext(a).toStringUtf8()).isEqualTo("a");
      assertThat(await(() -> sends.count() == 2)).as("the slot was freed: b is proposed").isTrue();
      sends.answer(1);
      assertThat(ciphertext(b).toStringUtf8()).isEqualTo("b");
      assertThat(refusals).as("the pool tried to start a thread for each delivery").hasValueGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aFailedOrRefusedEntryReachesExactlyItsOwnCallersAndCallersThatGaveUpAreNotSent() throws Exception {
    // Proves a group whose proposal failed fails only its own callers, a group refused as a whole gives each caller
    // that refusal, a reply that does not match the group fails its callers (never a wrong answer), and an event
    // whose caller already gave up (timed out) while waiting is dropped instead of committed.
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, 8, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<ApplyResult> lone = grouper.submit(event("lone"));
      CompletableFuture<ApplyResult> x1 = grouper.submit(event("x1"));
      CompletableFuture<ApplyResult> gaveUp = grouper.submit(event("gave-up"));
      CompletableFuture<ApplyResult> x2 = grouper.submit(event("x2"));
      gaveUp.completeExceptionally(new java.util.concurrent.TimeoutException("caller's deadline"));
      sends.answer(0);
      assertThat(await(() -> sends.count() == 2)).isTrue();
      assertThat(sends.proposal(1).getClientEventGroup().getEventsList()).containsExactly(event("x1"), event("x2"));
      CompletableFuture<ApplyResult> y1 = grouper.submit(event("y1"));
      CompletableFuture<ApplyResult> y2 = grouper.submit(event("y2"));
      sends.fail(1, new IOException("not committed: leader lost"));
      assertThatThrownBy(() -> x1.get(WAIT_SECONDS, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasMessageContaining("leader lost");
      assertThatThrownBy(() -> x2.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("leader lost");
      assertThat(ciphertext(lone).toStringUtf8()).isEqualTo("lone");

      assertThat(await(() -> sends.count() == 3)).isTrue();
      ApplyResult refused = ApplyResult.newBuilder().setError(EntryError.newBuilder().setCode("GROUP_TOO_LARGE")).build();
      sends.pending.get(2).complete(refused);
      assertThat(y1.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(refused);
      assertThat(y2.get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(refused);

      CompletableFuture<ApplyResult> z1 = grouper.submit(event("z1"));
      CompletableFuture<ApplyResult> z2 = grouper.submit(event("z2"));
      CompletableFuture<ApplyResult> z3 = grouper.submit(event("z3"));
      assertThat(sends.count()).isEqualTo(4);
      sends.answer(3);
      assertThat(await(() -> sends.count() == 5)).isTrue();
      sends.pending.get(4).complete(ApplyResult.newBuilder().setGroup(GroupResult.newBuilder()
          .addResults(answer(event("z2")))).build());
      assertThatThrownBy(() -> z2.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("GROUP_REPLY_MISMATCH");
      assertThatThrownBy(() -> z3.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("GROUP_REPLY_MISMATCH");
      assertThat(ciphertext(z1).toStringUtf8()).isEqualTo("z1");
    }
  }

  @Test
  void anErrorWhileProposingFailsThatGroupAndTheGrouperGoesOn() throws Exception {
    // Proves an Error escaping the send (say an OutOfMemoryError) reaches the thread that proposed and fails
    // that group's callers, and frees the slot and the pump, so later events and those that waited behind it
    // are still proposed instead of waiting forever.
    HeldSends held = new HeldSends();
    java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean(true);
    java.util.function.Function<Proposal, CompletableFuture<ApplyResult>> send = proposal -> {
      if (broken.getAndSet(false)) {
        throw new OutOfMemoryError("simulated: no memory for the proposal");
      }
      return held.send(proposal);
    };
    try (EventGrouper grouper = new EventGrouper(send, 1, 8, Limits.GROUP_BYTES_MAX)) {
      // An idle grouper proposes on the submitting thread, so the error reaches that caller.
      assertThatThrownBy(() -> grouper.submit(event("lost"))).isInstanceOf(OutOfMemoryError.class)
          .hasMessageContaining("no memory");
      CompletableFuture<ApplyResult> next = grouper.submit(event("next"));
      assertThat(held.count()).as("the next event is proposed at once: the slot and the pump are free").isEqualTo(1);
      assertThat(held.proposal(0).getClientEvent()).isEqualTo(event("next"));
      held.answer(0);
      assertThat(ciphertext(next).toStringUtf8()).isEqualTo("next");
    }
    // Events that waited behind a group whose proposal hit an Error on a delivery thread are not
    // stranded: the grouper's own thread proposes them without waiting for another submit.
    HeldSends oneByOne = new HeldSends();
    java.util.function.Function<Proposal, CompletableFuture<ApplyResult>> sendOne = proposal -> {
      if (broken.getAndSet(false)) {
        throw new OutOfMemoryError("simulated: no memory for the proposal");
      }
      return oneByOne.send(proposal);
    };
    try (EventGrouper grouper = new EventGrouper(sendOne, 1, 1, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<ApplyResult> busy = grouper.submit(event("busy"));
      CompletableFuture<ApplyResult> unlucky = grouper.submit(event("unlucky"));
      CompletableFuture<ApplyResult> stranded = grouper.submit(event("stranded"));
      assertThat(oneByOne.count()).isEqualTo(1);
      broken.set(true);
      oneByOne.answer(0); // its delivery thread proposes "unlucky", and that send throws
      assertThat(ciphertext(busy).toStringUtf8()).isEqualTo("busy");
      assertThatThrownBy(() -> unlucky.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("no memory");
      assertThat(await(() -> oneByOne.count() == 2)).as("the event behind it is still proposed").isTrue();
      assertThat(oneByOne.proposal(1).getClientEvent()).isEqualTo(event("stranded"));
      oneByOne.answer(1);
      assertThat(ciphertext(stranded).toStringUtf8()).isEqualTo("stranded");
    }
  }

  @Test
  void closingFailsWhatWaitsAndRefusesNewEvents() throws Exception {
    // Proves close leaves no caller hanging: waiting events fail with NODE_CLOSING, the one in flight still gets
    // its answer, and a later submit fails at once.
    HeldSends sends = new HeldSends();
    EventGrouper grouper = new EventGrouper(sends::send, 1, 8, Limits.GROUP_BYTES_MAX);
    CompletableFuture<ApplyResult> inFlight = grouper.submit(event("in-flight"));
    CompletableFuture<ApplyResult> waiting = grouper.submit(event("waiting"));
    grouper.close();
    assertThatThrownBy(() -> waiting.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("NODE_CLOSING");
    assertThatThrownBy(() -> grouper.submit(event("late")).get(WAIT_SECONDS, TimeUnit.SECONDS))
        .hasMessageContaining("NODE_CLOSING");
    sends.answer(0);
    assertThat(ciphertext(inFlight).toStringUtf8()).isEqualTo("in-flight");
    assertThat(sends.count()).isEqualTo(1);
  }

  @Test
  void aNodeWithAFullQueueRefusesTheNextEventAtOnce() throws Exception {
    // Proves the wait queue is bounded: past QUEUED_EVENTS_MAX waiting events (or QUEUED_BYTES_MAX waiting bytes) a
    // submit fails with NODE_BUSY at once, and the events already waiting are still sent.
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, Limits.GROUP_EVENTS_MAX, Limits.GROUP_BYTES_MAX)) {
      grouper.submit(event("in-flight"));
      List<CompletableFuture<ApplyResult>> waiting = new ArrayList<>();
      for (int i = 0; i < EventGrouper.QUEUED_EVENTS_MAX; i++) {
        waiting.add(grouper.submit(event("w" + i)));
      }
      CompletableFuture<ApplyResult> refused = grouper.submit(event("one too many"));
      assertThat(refused).isCompletedExceptionally();
      assertThatThrownBy(refused::join).hasCauseInstanceOf(EventGrouper.BusyException.class)
          .hasMessageContaining("NODE_BUSY");
      sends.answer(0);
      assertThat(await(() -> sends.count() == 2)).isTrue();
      assertThat(sends.proposal(1).getClientEventGroup().getEventsCount()).isEqualTo(Limits.GROUP_EVENTS_MAX);
      sends.answer(1);
      assertThat(ciphertext(waiting.get(0)).toStringUtf8()).isEqualTo("w0");
    }
    // The byte bound: large events fill it long before the count bound.
    HeldSends large = new HeldSends();
    int eventBytes = 1 << 20;
    SealedRequest big = SealedRequest.newBuilder().setCiphertext(ByteString.copyFrom(new byte[eventBytes])).build();
    try (EventGrouper grouper = new EventGrouper(large::send, 1, Limits.GROUP_EVENTS_MAX, Limits.GROUP_BYTES_MAX)) {
      grouper.submit(big);
      int fits = (int) (EventGrouper.QUEUED_BYTES_MAX / (eventBytes + 8));
      for (int i = 0; i < fits; i++) {
        assertThat(grouper.submit(big)).isNotCompletedExceptionally();
      }
      assertThatThrownBy(grouper.submit(big)::join).hasCauseInstanceOf(EventGrouper.BusyException.class)
          .hasMessageContaining("bytes of events");
    }
  }

  @Test
  void underConcurrentSubmitsEveryCallerGetsItsOwnAnswerExactlyOnceAndNeverMoreThanTheBoundIsInFlight()
      throws Exception {
    // Proves demultiplexing under concurrency: 8 threads submit 4,000 events against a send that answers on other
    // threads (some at once, on the submitting thread); every event is proposed exactly once, every caller gets
    // its own answer, no proposal exceeds the count bound and at most the in-flight bound are ever outstanding.
    int threads = 8;
    int perThread = 500;
    int inFlightMax = 3;
    int eventsMax = 16;
    ExecutorService answerers = Executors.newFixedThreadPool(3);
    AtomicInteger outstanding = new AtomicInteger();
    AtomicInteger worstOutstanding = new AtomicInteger();
    AtomicReference<String> violation = new AtomicReference<>();
    ConcurrentLinkedQueue<SealedRequest> proposed = new ConcurrentLinkedQueue<>();
    AtomicInteger sendCount = new AtomicInteger();
    try (EventGrouper grouper = new EventGrouper(proposal -> {
      int now = outstanding.incrementAndGet();
      worstOutstanding.accumulateAndGet(now, Math::max);
      List<SealedRequest> events = proposal.hasClientEvent() ? List.of(proposal.getClientEvent())
          : proposal.getClientEventGroup().getEventsList();
      if (events.size() > eventsMax || (proposal.hasClientEventGroup() && events.size() < 2)) {
        violation.set("proposal of " + events.size() + " events");
      }
      proposed.addAll(events);
      ApplyResult result = answer(proposal);
      if (sendCount.incrementAndGet() % 5 == 0) {
        outstanding.decrementAndGet();
        return CompletableFuture.completedFuture(result);
      }
      return CompletableFuture.supplyAsync(() -> {
        outstanding.decrementAndGet();
        return result;
      }, answerers);
    }, inFlightMax, eventsMax, Limits.GROUP_BYTES_MAX)) {
      List<List<CompletableFuture<ApplyResult>>> callers = new ArrayList<>();
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> submitters = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        List<CompletableFuture<ApplyResult>> mine = new ArrayList<>();
        callers.add(mine);
        int thread = t;
        Thread submitter = new Thread(() -> {
          try {
            start.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < perThread; i++) {
            mine.add(grouper.submit(event(thread + "/" + i)));
          }
        });
        submitter.start();
        submitters.add(submitter);
      }
      start.countDown();
      for (Thread s : submitters) {
        s.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      }
      for (int t = 0; t < threads; t++) {
        for (int i = 0; i < perThread; i++) {
          assertThat(ciphertext(callers.get(t).get(i)).toStringUtf8()).isEqualTo(t + "/" + i);
        }
      }
      assertThat(violation.get()).isNull();
      assertThat(worstOutstanding.get()).isLessThanOrEqualTo(inFlightMax);
      assertThat(proposed).hasSize(threads * perThread).doesNotHaveDuplicates();
      assertThat(grouper.stats().events()).isEqualTo(threads * perThread);
      assertThat(grouper.stats().groups()).as("grouping happened").isPositive();
    } finally {
      answerers.shutdownNow();
    }
  }

  /** A dependent of a caller's future, as the HTTPS answer is: notes its thread, optionally holds it. */
  private static CompletableFuture<String> answeredOn(CompletableFuture<ApplyResult> caller, CountDownLatch hold) {
    return caller.thenApply(result -> {
      String thread = Thread.currentThread().getName();
      if (hold != null) {
        try {
          hold.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return thread;
    });
  }

  @Test
  void answersAreWrittenOnDeliveryThreadsSoTheCompletingThreadReturnsAtOnce() throws Exception {
    // Proves the thread that completes a proposal (Ratis' client thread) does not run the callers' answers: it
    // returns while an answer is still being written, a second delivery thread answers the next proposal
    // meanwhile, and a proposal's slot is free again once its callers are being answered.
    HeldSends sends = new HeldSends();
    CountDownLatch hold = new CountDownLatch(1);
    try (EventGrouper grouper = new EventGrouper(sends::send, 2, 8, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<String> slow = answeredOn(grouper.submit(event("slow")), hold);
      CompletableFuture<ApplyResult> next = grouper.submit(event("next"));
      CompletableFuture<String> nextOn = answeredOn(next, null);
      sends.answer(0); // returns although the answer of "slow" is held
      sends.answer(1);
      // The dependent first: a thread waiting in get() on the caller's future may run its dependents itself.
      assertThat(nextOn.get(WAIT_SECONDS, TimeUnit.SECONDS)).startsWith("veilraft-event-delivery-");
      assertThat(ciphertext(next).toStringUtf8()).isEqualTo("next");
      CompletableFuture<ApplyResult> third = grouper.submit(event("third"));
      assertThat(await(() -> sends.count() == 3)).as("a delivered proposal's slot is free again").isTrue();
      assertThat(slow).isNotDone();
      hold.countDown();
      assertThat(slow.get(WAIT_SECONDS, TimeUnit.SECONDS)).startsWith("veilraft-event-delivery-")
          .isNotEqualTo(nextOn.get());
      sends.answer(2);
      assertThat(ciphertext(third).toStringUtf8()).isEqualTo("third");
    }
  }

  @Test
  void theDeliveryThreadThatFreesTheSlotProposesWhatWaitsBeforeAnsweringItsCallers() throws Exception {
    // Proves the next group leaves on the delivery thread of the group that freed the slot (no hand-off to the
    // grouper's thread per entry), before that group's callers learn their answers.
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, 8, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<ApplyResult> first = grouper.submit(event("first"));
      List<CompletableFuture<ApplyResult>> waiting = grouper.submitAll(List.of(event("w1"), event("w2")));
      assertThat(sends.count()).as("one slot: the others wait").isEqualTo(1);
      CompletableFuture<Boolean> answeredAfterNextSent = first.thenApply(r -> sends.count() == 2);
      sends.answer(0);
      assertThat(await(() -> sends.count() == 2)).as("the waiting group is proposed").isTrue();
      assertThat(sends.sender(1)).startsWith("veilraft-event-delivery-");
      assertThat(sends.proposal(1).getClientEventGroup().getEventsList()).containsExactly(event("w1"), event("w2"));
      assertThat(answeredAfterNextSent.get(WAIT_SECONDS, TimeUnit.SECONDS))
          .as("the next group was sent before the freed group's caller was answered").isTrue();
      assertThat(ciphertext(first).toStringUtf8()).isEqualTo("first");
      sends.answer(1);
      assertThat(ciphertext(waiting.get(0)).toStringUtf8()).isEqualTo("w1");
      assertThat(ciphertext(waiting.get(1)).toStringUtf8()).isEqualTo("w2");
    }
  }

  @Test
  void aDeliveryOnTheCompletingThreadLeavesTheNextProposalToTheGroupersThread() throws Exception {
    // Proves the completing thread (Ratis', under its sliding-window lock) never sends: with both delivery threads
    // held and the delivery queue full, a completion is delivered on its own thread, and the event that waited
    // for its slot is proposed by the grouper's thread instead.
    HeldSends sends = new HeldSends();
    CountDownLatch hold = new CountDownLatch(1);
    int held = EventGrouper.DELIVERY_THREADS;
    int slots = held + EventGrouper.DELIVERIES_QUEUED_MAX + 1;
    try (EventGrouper grouper = new EventGrouper(sends::send, slots, 8, Limits.GROUP_BYTES_MAX)) {
      List<CompletableFuture<ApplyResult>> callers = new ArrayList<>();
      for (int i = 0; i < slots; i++) {
        CompletableFuture<ApplyResult> caller = grouper.submit(event("e" + i));
        callers.add(caller);
        answeredOn(caller, i < held ? hold : null);
      }
      for (int i = 0; i < held; i++) {
        sends.answer(i); // each delivery thread frees its slot, then is held answering
      }
      // A caller's future is done before its held dependent runs, and its slot was freed before that.
      assertThat(await(() -> callers.subList(0, held).stream().allMatch(CompletableFuture::isDone))).isTrue();
      for (int i = 0; i < held; i++) { // the freed slots are taken again at once
        callers.add(grouper.submit(event("e" + (slots + i))));
      }
      assertThat(sends.count()).isEqualTo(slots + held);
      for (int i = held; i < slots - 1; i++) {
        sends.answer(i); // queued: their slots stay taken until a delivery thread starts them
      }
      CompletableFuture<ApplyResult> late = grouper.submit(event("late"));
      assertThat(sends.count()).as("every slot is taken: the late event waits").isEqualTo(slots + held);
      sends.answer(slots - 1); // the queue is full: delivered on this thread, which frees a slot
      assertThat(await(() -> sends.count() == slots + held + 1)).as("the late event is proposed").isTrue();
      assertThat(sends.sender(slots + held)).isEqualTo("veilraft-event-grouper");
      hold.countDown();
      for (int i = slots; i < slots + held + 1; i++) {
        sends.answer(i);
      }
      for (int i = 0; i < slots + held; i++) {
        assertThat(ciphertext(callers.get(i)).toStringUtf8()).isEqualTo("e" + i);
      }
      assertThat(ciphertext(late).toStringUtf8()).isEqualTo("late");
    }
  }

  @Test
  void withEveryDeliveryThreadBusyAndTheQueueFullTheCompletingThreadDeliversItselfAndNoneIsLost() throws Exception {
    // Proves the delivery queue is bounded and back-pressure reaches the completing thread instead of dropping:
    // with both delivery threads held and DELIVERIES_QUEUED_MAX deliveries waiting, the next completion delivers
    // on its own thread; once released, every caller gets exactly its own answer.
    HeldSends sends = new HeldSends();
    CountDownLatch hold = new CountDownLatch(1);
    int held = EventGrouper.DELIVERY_THREADS;
    int total = held + EventGrouper.DELIVERIES_QUEUED_MAX + 1;
    try (EventGrouper grouper = new EventGrouper(sends::send, total, 8, Limits.GROUP_BYTES_MAX)) {
      List<CompletableFuture<ApplyResult>> callers = new ArrayList<>();
      List<CompletableFuture<String>> answered = new ArrayList<>();
      for (int i = 0; i < total; i++) {
        CompletableFuture<ApplyResult> caller = grouper.submit(event("e" + i));
        callers.add(caller);
        answered.add(answeredOn(caller, i < held ? hold : null));
      }
      assertThat(sends.count()).isEqualTo(total);
      for (int i = 0; i < total - 1; i++) {
        sends.answer(i);
      }
      sends.answer(total - 1);
      assertThat(answered.get(total - 1).get(WAIT_SECONDS, TimeUnit.SECONDS))
          .as("the completion past the bound is delivered on the completing thread")
          .isEqualTo(Thread.currentThread().getName());
      assertThat(answered.get(held)).as("queued behind the held deliveries").isNotDone();
      hold.countDown();
      for (int i = 0; i < total; i++) {
        assertThat(ciphertext(callers.get(i)).toStringUtf8()).isEqualTo("e" + i);
        assertThat(answered.get(i).get(WAIT_SECONDS, TimeUnit.SECONDS)).isNotNull();
      }
    }
  }

  @Test
  void closingStillDeliversQueuedResultsAndThoseOfProposalsThatCompleteLater() throws Exception {
    // Proves close loses no result: a delivery queued at close still runs, and a proposal in flight at close that
    // commits afterwards is delivered on its completing thread; each caller gets its own answer.
    HeldSends sends = new HeldSends();
    CountDownLatch hold = new CountDownLatch(1);
    EventGrouper grouper = new EventGrouper(sends::send, 8, 8, Limits.GROUP_BYTES_MAX);
    int held = EventGrouper.DELIVERY_THREADS;
    List<CompletableFuture<ApplyResult>> callers = new ArrayList<>();
    List<CompletableFuture<String>> answered = new ArrayList<>();
    for (int i = 0; i < held + 2; i++) {
      CompletableFuture<ApplyResult> caller = grouper.submit(event("c" + i));
      callers.add(caller);
      answered.add(answeredOn(caller, i < held ? hold : null));
    }
    for (int i = 0; i <= held; i++) {
      sends.answer(i); // the held ones occupy both threads; the next waits in the queue
    }
    grouper.close();
    sends.answer(held + 1);
    assertThat(answered.get(held + 1).get(WAIT_SECONDS, TimeUnit.SECONDS)).isEqualTo(Thread.currentThread().getName());
    hold.countDown();
    assertThat(answered.get(held).get(WAIT_SECONDS, TimeUnit.SECONDS)).startsWith("veilraft-event-delivery-");
    for (int i = 0; i < held + 2; i++) {
      assertThat(ciphertext(callers.get(i)).toStringUtf8()).isEqualTo("c" + i);
    }
  }

  @Test
  void aReplyThatCannotBeReadFailsItsCallersInsteadOfLeavingThemWaiting() throws Exception {
    // Proves a delivery that throws (a send that completed with no result and no error) still completes every caller
    // of its group, with a failure, and the grouper keeps sending afterwards.
    HeldSends sends = new HeldSends();
    try (EventGrouper grouper = new EventGrouper(sends::send, 1, 8, Limits.GROUP_BYTES_MAX)) {
      CompletableFuture<ApplyResult> first = grouper.submit(event("first"));
      CompletableFuture<ApplyResult> a = grouper.submit(event("a"));
      CompletableFuture<ApplyResult> b = grouper.submit(event("b"));
      sends.answer(0);
      assertThat(ciphertext(first).toStringUtf8()).isEqualTo("first");
      assertThat(await(() -> sends.count() == 2)).isTrue();
      sends.pending.get(1).complete(null);
      assertThatThrownBy(() -> a.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("GROUP_REPLY_UNREADABLE");
      assertThatThrownBy(() -> b.get(WAIT_SECONDS, TimeUnit.SECONDS)).hasMessageContaining("GROUP_REPLY_UNREADABLE");
      CompletableFuture<ApplyResult> after = grouper.submit(event("after"));
      assertThat(await(() -> sends.count() == 3)).isTrue();
      sends.answer(2);
      assertThat(ciphertext(after).toStringUtf8()).isEqualTo("after");
    }
  }
}
