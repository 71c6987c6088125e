package dev.veilraft.apps.nostr;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One connection's outgoing messages: a bounded queue written to the {@link RelaySink} by the
 * relay's sender threads, one message at a time, in order. A client that does not read fast enough
 * fills the queue; it is then closed with {@link #SLOW_CONSUMER_CODE} and a reason, never left to
 * miss messages silently.
 */
final class Outbox {
  /** WebSocket close code for a client whose queue overflowed: 1008, policy violation. */
  static final int SLOW_CONSUMER_CODE = 1008;
  /** WebSocket close code when a write failed or the relay shut down: 1011, unexpected condition. */
  static final int FAILURE_CODE = 1011;
  /** Messages one drain writes before it yields its thread to other connections. */
  static final int MESSAGES_PER_TURN_MAX = 64;

  private final RelaySink sink;
  private final Executor senders;
  private final int messagesMax;
  private final long charsMax;
  private final Runnable onClosed;
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private long chars;
  private boolean draining;
  private boolean closed;

  /**
   * @param onClosed runs once, on whichever thread closes the outbox (never under its lock), before the sink closes
   */
  Outbox(RelaySink sink, Executor senders, int messagesMax, long charsMax, Runnable onClosed) {
    this.sink = sink;
    this.senders = senders;
    this.messagesMax = messagesMax;
    this.charsMax = charsMax;
    this.onClosed = onClosed;
  }

  /** Queues {@code text}; false when the outbox is closed, or closes now because the client is slow. */
  boolean offer(String text) {
    boolean overflow;
    boolean schedule = false;
    synchronized (this) {
      if (closed) {
        return false;
      }
      overflow = queue.size() >= messagesMax || chars + text.length() > charsMax;
      if (overflow) {
        closed = true;
        queue.clear();
        chars = 0;
      } else {
        queue.addLast(text);
        chars += text.length();
        schedule = !draining;
        draining = true;
      }
    }
    if (overflow) {
      closeSink(SLOW_CONSUMER_CODE, "slow consumer: more than " + messagesMax + " messages or " + charsMax
          + " characters waiting to be sent");
      return false;
    }
    if (schedule) {
      schedule();
    }
    return true;
  }

  /** Closes the connection with {@code code} and {@code reason}, dropping what is queued; false when closed already. */
  boolean close(int code, String reason) {
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
      queue.clear();
      chars = 0;
    }
    closeSink(code, reason);
    return true;
  }

  /** The transport closed the connection: drop what is queued without closing the sink again. */
  void discard() {
    synchronized (this) {
      closed = true;
      queue.clear();
      chars = 0;
    }
  }

  synchronized boolean closed() {
    return closed;
  }

  synchronized int queued() {
    return queue.size();
  }

  private void schedule() {
    try {
      senders.execute(this::drain);
    } catch (RejectedExecutionException e) {
      close(FAILURE_CODE, "error: the relay is shutting down");
    }
  }

  private void drain() {
    for (int sent = 0; sent < MESSAGES_PER_TURN_MAX; sent++) {
      String text;
      synchronized (this) {
        text = closed ? null : queue.pollFirst();
        if (text == null) {
          draining = false;
          return;
        }
        chars -= text.length();
      }
      try {
        sink.send(text);
      } catch (RuntimeException e) {
        close(FAILURE_CODE, "error: writing to the connection failed");
        return;
      }
    }
    schedule();
  }

  private void closeSink(int code, String reason) {
    // The connection forgets itself first, so once the client sees the close the relay no longer counts it.
    try {
      onClosed.run();
    } finally {
      try {
        sink.close(code, reason);
      } catch (RuntimeException e) {
        // The transport is gone already; the connection is closed either way.
      }
    }
  }
}
