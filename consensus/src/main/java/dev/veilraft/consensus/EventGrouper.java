package dev.veilraft.consensus;

import com.google.protobuf.CodedOutputStream;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Groups client events that reach this node at the same time into one log entry, without a
 * timer. While fewer than {@code groupsInFlightMax} proposals of this grouper are unanswered, an
 * event is sent at once (alone, as an ordinary {@code client_event} entry, so a lightly loaded
 * node behaves exactly as without grouping); otherwise it waits, and each completion sends what
 * waits, oldest first, up to {@code eventsMax} events and {@code bytesMax} bytes, as ONE
 * {@link EventGroup} entry. Groups therefore grow with the load and nothing waits for a clock.
 *
 * <p>Each event stays its own request: every replica applies it alone within the entry (its own
 * sealing, exactly-once record and result, see {@code Replica}), and this class hands each caller
 * exactly its own result (or its entry's failure), completing every future once. Events whose
 * caller gave up (future already completed, e.g. by a timeout) before they were sent are dropped,
 * so nothing enters the log for a caller that was already told it failed. Thread-safe; no Ratis
 * types: {@code send} is the raw proposal path.
 *
 * <p>Results are handed to callers on {@link #DELIVERY_THREADS} delivery threads, not on the thread
 * that completes a proposal (Ratis' client thread), because completing a caller writes its HTTPS
 * answer. A group's callers are completed in their order in the entry, by one task; two entries'
 * groups may be delivered at the same time, so callers of different entries can learn their
 * results in either order (each request's result is its own, and proposal order — what the log
 * holds — is unchanged). When {@link #DELIVERIES_QUEUED_MAX} deliveries wait, after close, or when
 * the pool fails to take one (it could not start a thread), the completing thread delivers itself:
 * never dropped, never twice.
 */
public final class EventGrouper implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventGrouper.class);

  /**
   * Proposals of this grouper that may be unanswered at once: one. A proposal holds its slot until
   * Ratis answered it (the leader applied its entry) and its delivery started. Under load each
   * group then carries everything that arrived during the previous one's round (replication,
   * fsync, commit, apply, answer). Per-entry work (Ratis' append and replication, the thread
   * hand-offs between them, the store commit with its digest update) is then spread over the most
   * events. Measured in session 20 (bench/README, 3 nodes, 256 B, warm): 4 → 2 gave 27% more
   * puts/s at 64 in flight and 5% at 256; 2 → 1 another 22% and 14%, with a lower p99 at both. The
   * cost is at low concurrency: an event that arrives while a group is out waits for that group's
   * whole round instead of going at once; and a proposal that is sent again through a leadership
   * transfer ({@code RaftConsensus}) holds the slot meanwhile, so this node's other events wait
   * (bounded by {@link #QUEUED_EVENTS_MAX}, then NODE_BUSY).
   */
  public static final int GROUPS_IN_FLIGHT_MAX = 1;
  /**
   * Events that may wait for a free slot. Past it a submit fails at once (NODE_BUSY): a node never
   * queues without bound. The queue is shared: the per-client pending limit is checked at apply,
   * per client id (which a client chooses freely), so it does not bound what one sender can queue
   * here, and one flooding sender can make this node answer NODE_BUSY to everyone (as Ratis' own
   * pending-request limit did before grouping). Per-connection admission belongs in front of it.
   */
  public static final int QUEUED_EVENTS_MAX = 8_192;
  /**
   * Bytes of sealed events that may wait. Past it a submit fails at once (NODE_BUSY), so large
   * events cannot fill the heap while they wait (8,192 events of the largest size would).
   */
  public static final long QUEUED_BYTES_MAX = 64L << 20;
  /**
   * Threads that hand results to callers. Completing a caller's future runs its HTTPS answer (the
   * response body and its TLS write) on the completing thread, which must not be Ratis' client
   * thread (it completes proposals under its sliding-window lock, so every answer written there
   * delayed the next completion). Two: a group's slot is free as soon as its delivery starts, so
   * the next group can be committed while the answers of this one are still being written.
   */
  public static final int DELIVERY_THREADS = 2;
  /**
   * Committed proposals whose results may wait for a delivery thread. A proposal keeps its slot
   * until its delivery starts, so with the production {@link #GROUPS_IN_FLIGHT_MAX} this never fills; should
   * it, the completing thread delivers itself, as it did before deliveries had threads (back-pressure:
   * events wait in this grouper and past its bounds a submit gets NODE_BUSY). 64 groups hold at
   * most 64 × {@link Limits#GROUP_EVENTS_MAX} answers.
   */
  public static final int DELIVERIES_QUEUED_MAX = 64;

  /** An event waiting to be sent, with its caller's future and its size inside an EventGroup. */
  private record Waiting(SealedRequest event, CompletableFuture<ApplyResult> caller, int groupedBytes) {}

  /** How many proposals were sent and how many events they carried (for tests and metrics). */
  public record Stats(long proposals, long groups, long events, long largestGroup) {}

  /** Refused because {@link #QUEUED_EVENTS_MAX} events already wait. */
  public static final class BusyException extends RuntimeException {
    BusyException(String message) {
      super(message);
    }
  }

  private final Function<Proposal, CompletableFuture<ApplyResult>> send;
  private final int groupsInFlightMax;
  private final int eventsMax;
  private final int bytesMax;
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** Guarded by this. */
  private int inFlight;
  /** Guarded by this: the grouped sizes of the waiting events. */
  private long waitingBytes;
  /** Guarded by this: one thread at a time moves waiting events into proposals (see {@link #pump}). */
  private boolean pumping;
  /** Guarded by this. */
  private boolean closed;
  /**
   * Runs {@link #pump} after a completion delivered on a thread other than this grouper's delivery
   * threads: the completing thread, when the delivery queue was full. One daemon thread; see
   * {@link #release}.
   */
  private final java.util.concurrent.ExecutorService pumper;
  /**
   * Runs {@link #deliver} for each committed proposal ({@link #DELIVERY_THREADS} daemon threads, a
   * queue of {@link #DELIVERIES_QUEUED_MAX}). A delivery it does not take — queue full, or the
   * grouper closed — runs on the completing thread instead, so none is ever dropped.
   */
  private final java.util.concurrent.ThreadPoolExecutor deliverer;
  private final AtomicLong proposals = new AtomicLong();
  private final AtomicLong groups = new AtomicLong();
  private final AtomicLong events = new AtomicLong();
  private final AtomicLong largestGroup = new AtomicLong();

  /** A grouper with the production bounds ({@link Limits#GROUP_EVENTS_MAX}, {@link Limits#GROUP_BYTES_MAX}). */
  public EventGrouper(Function<Proposal, CompletableFuture<ApplyResult>> send) {
    this(send, GROUPS_IN_FLIGHT_MAX, Limits.GROUP_EVENTS_MAX, Limits.GROUP_BYTES_MAX);
  }

  /**
   * @param eventsMax at most {@link Limits#GROUP_EVENTS_MAX} (replicas refuse larger groups)
   * @param bytesMax at most {@link Limits#GROUP_BYTES_MAX}
   */
  public EventGrouper(Function<Proposal, CompletableFuture<ApplyResult>> send, int groupsInFlightMax, int eventsMax,
      int bytesMax) {
    this(send, groupsInFlightMax, eventsMax, bytesMax, java.util.function.UnaryOperator.identity());
  }

  /**
   * As above; {@code newDeliveryThread} sees each delivery thread before the pool starts it (for
   * tests: one that throws, as the JVM does when it cannot start another thread).
   */
  EventGrouper(Function<Proposal, CompletableFuture<ApplyResult>> send, int groupsInFlightMax, int eventsMax,
      int bytesMax, java.util.function.UnaryOperator<Thread> newDeliveryThread) {
    Check.argument(groupsInFlightMax >= 1, "groups in flight must be at least 1, got " + groupsInFlightMax);
    Check.argument(eventsMax >= 1 && eventsMax <= Limits.GROUP_EVENTS_MAX, "events per group must lie in 1.."
        + Limits.GROUP_EVENTS_MAX + ", got " + eventsMax);
    Check.argument(bytesMax >= 1 && bytesMax <= Limits.GROUP_BYTES_MAX, "bytes per group must lie in 1.."
        + Limits.GROUP_BYTES_MAX + ", got " + bytesMax);
    this.send = send;
    this.groupsInFlightMax = groupsInFlightMax;
    this.eventsMax = eventsMax;
    this.bytesMax = bytesMax;
    this.pumper = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "veilraft-event-grouper");
      t.setDaemon(true);
      return t;
    });
    AtomicLong deliveryThreads = new AtomicLong();
    this.deliverer = new java.util.concurrent.ThreadPoolExecutor(DELIVERY_THREADS, DELIVERY_THREADS, 0L,
        java.util.concurrent.TimeUnit.MILLISECONDS, new java.util.concurrent.ArrayBlockingQueue<>(DELIVERIES_QUEUED_MAX),
        r -> newDeliveryThread.apply(
            new DeliveryThread(this, r, "veilraft-event-delivery-" + deliveryThreads.incrementAndGet())),
        // Not CallerRunsPolicy: it discards the task once the executor is shut down, and a proposal
        // in flight at close still owes its callers their results.
        (delivery, executor) -> delivery.run());
  }

  /**
   * Submits one sealed client event; completes with its own result: a {@code sealed_response} or
   * its error, exactly as if it had been proposed alone. Fails when its entry was not committed
   * (the caller may retry: exactly-once records make a retry safe) or with {@link BusyException}.
   */
  public CompletableFuture<ApplyResult> submit(SealedRequest event) {
    CompletableFuture<ApplyResult> caller;
    synchronized (this) {
      caller = enqueue(event);
    }
    pump();
    return caller;
  }

  /**
   * Submits several events that arrived together (a client's bundle), each exactly as {@link
   * #submit} would, but all queued before any is proposed: a free slot then proposes them together
   * in one entry, where one by one the first would take a free slot alone. The results are in the
   * order of {@code events}.
   */
  public List<CompletableFuture<ApplyResult>> submitAll(List<SealedRequest> events) {
    List<CompletableFuture<ApplyResult>> callers = new ArrayList<>(events.size());
    synchronized (this) {
      for (SealedRequest event : events) {
        callers.add(enqueue(event));
      }
    }
    pump();
    return callers;
  }

  /** Queues one event, or fails it at once when closed or over a queue bound. Holds the lock. */
  private CompletableFuture<ApplyResult> enqueue(SealedRequest event) {
    if (closed) {
      return CompletableFuture.failedFuture(new IllegalStateException("NODE_CLOSING: this node is shutting down"));
    }
    if (waiting.size() >= QUEUED_EVENTS_MAX) {
      return CompletableFuture.failedFuture(new BusyException("NODE_BUSY: " + waiting.size()
          + " events already wait to be proposed on this node (at most " + QUEUED_EVENTS_MAX + "); retry later"));
    }
    int bytes = CodedOutputStream.computeMessageSize(EventGroup.EVENTS_FIELD_NUMBER, event);
    if (waitingBytes + bytes > QUEUED_BYTES_MAX) {
      return CompletableFuture.failedFuture(new BusyException("NODE_BUSY: " + waitingBytes + " bytes of events "
          + "already wait to be proposed on this node (at most " + QUEUED_BYTES_MAX + "); retry later"));
    }
    CompletableFuture<ApplyResult> caller = new CompletableFuture<>();
    waiting.add(new Waiting(event, caller, bytes));
    waitingBytes += bytes;
    return caller;
  }

  public Stats stats() {
    return new Stats(proposals.get(), groups.get(), events.get(), largestGroup.get());
  }

  /**
   * Sends waiting events while a slot is free. One thread pumps at a time; another that finds it
   * pumping leaves the work to it. No wake-up is lost: the pumping thread re-checks under the
   * lock before it stops, and whoever changes the state afterwards finds {@code pumping} false.
   * Sending outside the lock also keeps a proposal that completes at once (a failed send) from
   * recursing into here.
   */
  private void pump() {
    synchronized (this) {
      if (pumping) {
        return;
      }
      pumping = true;
    }
    while (true) {
      List<Waiting> next;
      synchronized (this) {
        next = inFlight < groupsInFlightMax ? take() : List.of();
        if (next.isEmpty()) {
          pumping = false;
          return;
        }
        inFlight++;
      }
      try {
        propose(next);
      } catch (RuntimeException | Error e) {
        // Not a failed send (propose turns those into failed proposals) but something like an
        // OutOfMemoryError before the proposal was handed on: free the slot and the pump, tell the
        // group's callers (the outcome is unknown to them, as after any failed call), and leave
        // what still waits to the grouper's thread, so no event is stranded behind the error.
        boolean more;
        synchronized (this) {
          inFlight--;
          pumping = false;
          more = !waiting.isEmpty();
        }
        next.forEach(w -> w.caller().completeExceptionally(e));
        if (more) {
          pumpOnGroupersThread();
        }
        throw e;
      }
    }
  }

  /** The oldest waiting events that fit one proposal (at least one if any waits). Holds the lock. */
  private List<Waiting> take() {
    List<Waiting> next = new ArrayList<>();
    long bytes = 0;
    while (!waiting.isEmpty() && next.size() < eventsMax) {
      Waiting w = waiting.peek();
      if (w.caller().isDone()) {
        waiting.poll(); // its caller already gave up: do not commit what it was told failed
        waitingBytes -= w.groupedBytes();
        continue;
      }
      if (!next.isEmpty() && bytes + w.groupedBytes() > bytesMax) {
        break;
      }
      next.add(waiting.poll());
      waitingBytes -= w.groupedBytes();
      bytes += w.groupedBytes();
    }
    return next;
  }

  private void propose(List<Waiting> group) {
    Proposal proposal;
    if (group.size() == 1) {
      proposal = Proposal.newBuilder().setClientEvent(group.get(0).event()).build();
    } else {
      EventGroup.Builder body = EventGroup.newBuilder();
      group.forEach(w -> body.addEvents(w.event()));
      proposal = Proposal.newBuilder().setClientEventGroup(body).build();
      groups.incrementAndGet();
    }
    proposals.incrementAndGet();
    events.addAndGet(group.size());
    largestGroup.accumulateAndGet(group.size(), Math::max);
    CompletableFuture<ApplyResult> sent;
    try {
      sent = send.apply(proposal);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    // On the completing thread (Ratis' client thread in production) only hand the results over, so
    // that thread returns at once. Each group's delivery is one task, run exactly once, by a
    // delivery thread or (queue full, closed) right here. The slot stays taken until the task
    // starts, so deliveries waiting for a thread never outnumber the proposals in flight, and a
    // caller that learns its result finds its slot free again.
    sent.whenComplete((result, error) -> {
      Runnable delivery = once(() -> {
        try {
          release();
        } finally {
          deliverOrFail(group, result, error);
        }
      });
      try {
        deliverer.execute(delivery);
      } catch (Throwable t) {
        // The pool could not take it (an Error such as "unable to create native thread"), or the
        // rejection handler's own run of it failed: deliver here first, or the slot and the group's
        // callers would be lost; then say so. Should the pool have queued it before it failed, or
        // started it, it still runs once: whoever starts it first.
        try {
          delivery.run();
        } finally {
          LOG.error("handing an event delivery to a delivery thread failed ({}); delivered on the completing thread",
              t.toString());
        }
      }
    });
  }

  /** {@code task}, run by whichever caller comes first, and never again. */
  private static Runnable once(Runnable task) {
    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
    return () -> {
      if (ran.compareAndSet(false, true)) {
        task.run();
      }
    };
  }

  /**
   * {@link #deliver}, and should it fail (a malformed reply it cannot read), fails the callers it
   * did not complete, so no caller waits for an answer that will never come.
   */
  private static void deliverOrFail(List<Waiting> group, ApplyResult result, Throwable error) {
    try {
      deliver(group, result, error);
    } catch (RuntimeException e) {
      IllegalStateException failed = new IllegalStateException("GROUP_REPLY_UNREADABLE: the reply to a group of "
          + group.size() + " events could not be handed out: " + e.getClass().getName(), e);
      group.forEach(w -> w.caller().completeExceptionally(failed));
    }
  }

  /**
   * Frees a delivered proposal's slot and sends what waits. On one of this grouper's delivery
   * threads (the usual case) it pumps right there, before the delivered group's callers are
   * answered: handing the pump to {@link #pumper} instead cost every entry under load one more
   * thread wake-up between one round's commit and the next round's proposal, and on two busy cores
   * that wake-up waits for a core (session 30, bench/README: 10% more puts/s at 64 in flight in an
   * A/B, 2% at 256 and at 8; even in a second run). The delivered group's callers wait for the
   * send; {@code RaftConsensus} sends through its client (which may block) on a thread of its own,
   * so on a leader that wait is the local append's hand-off. If the other delivery thread frees a
   * slot meanwhile, this one sends that group too before it answers its own callers.
   */
  private void release() {
    boolean more;
    synchronized (this) {
      inFlight--;
      more = !waiting.isEmpty() && !pumping;
    }
    if (!more) {
      return;
    }
    if (Thread.currentThread() instanceof DeliveryThread thread && thread.grouper == this) {
      pump();
      return;
    }
    // Not on this thread: it is the completing thread (a delivery the executor did not take), which
    // may be Ratis' apply or client thread (the latter completes a proposal under its sliding-window
    // lock, and a send from there could wait for a window slot that only that lock frees).
    pumpOnGroupersThread();
  }

  /** Leaves {@link #pump} to {@link #pumper}. */
  private void pumpOnGroupersThread() {
    try {
      pumper.execute(this::pump);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // Closed meanwhile: close() failed every waiting event, so none is left behind.
    }
  }

  /** A thread of {@link #deliverer}, which knows its grouper: {@link #release} pumps on it. */
  private static final class DeliveryThread extends Thread {
    private final EventGrouper grouper;

    DeliveryThread(EventGrouper grouper, Runnable task, String name) {
      super(task, name);
      this.grouper = grouper;
      setDaemon(true);
    }
  }

  /** Hands each caller its own result; every caller's future is completed exactly once here. */
  private static void deliver(List<Waiting> group, ApplyResult result, Throwable error) {
    if (error != null) {
      group.forEach(w -> w.caller().completeExceptionally(error));
      return;
    }
    if (group.size() == 1) {
      group.get(0).caller().complete(result);
      return;
    }
    if (result.hasGroup() && result.getGroup().getResultsCount() == group.size()) {
      for (int i = 0; i < group.size(); i++) {
        group.get(i).caller().complete(result.getGroup().getResults(i));
      }
      return;
    }
    if (result.hasError()) {
      // The group was refused as a whole (its shape), so no event of it was applied: each caller
      // learns why, as it would had its event been refused alone.
      group.forEach(w -> w.caller().complete(result));
      return;
    }
    IllegalStateException mismatch = new IllegalStateException("GROUP_REPLY_MISMATCH: a group of " + group.size()
        + " events was answered with " + (result.hasGroup() ? result.getGroup().getResultsCount() + " results"
        : "a " + result.getResultCase() + " result"));
    group.forEach(w -> w.caller().completeExceptionally(mismatch));
  }

  /**
   * Fails every waiting event (not yet proposed) and refuses new ones; proposals in flight still
   * complete and their results are still delivered, once each.
   */
  @Override
  public void close() {
    List<Waiting> dropped;
    synchronized (this) {
      closed = true;
      dropped = new ArrayList<>(waiting);
      waiting.clear();
      waitingBytes = 0;
    }
    IllegalStateException closing = new IllegalStateException("NODE_CLOSING: this node shut down before the event "
        + "was proposed; it was not committed");
    dropped.forEach(w -> w.caller().completeExceptionally(closing));
    pumper.shutdown();
    // Deliveries already queued still run (shutdown, not shutdownNow); later ones run on their
    // completing thread (the rejection handler), so a proposal in flight still reaches its callers.
    deliverer.shutdown();
  }
}
