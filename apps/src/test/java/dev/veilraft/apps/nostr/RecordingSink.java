package dev.veilraft.apps.nostr;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** A client's side of a connection: records what the relay sends, and can stall sends to play a slow reader. */
final class RecordingSink implements RelaySink {
  static final long WAIT_SECONDS = 30;

  final BlockingQueue<String> received = new LinkedBlockingQueue<>();
  final AtomicReference<String> closedWith = new AtomicReference<>();
  final CountDownLatch closed = new CountDownLatch(1);
  /** When set, each send waits for it: the client stopped reading. */
  final AtomicReference<CountDownLatch> stall = new AtomicReference<>();

  @Override
  public void send(String text) {
    CountDownLatch gate = stall.get();
    if (gate != null) {
      try {
        gate.await(WAIT_SECONDS * 3, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    received.add(text);
  }

  @Override
  public void close(int code, String reason) {
    closedWith.compareAndSet(null, code + " " + reason);
    closed.countDown();
  }

  /** The next message, waiting a bounded time for it. */
  String next() throws InterruptedException {
    String message = received.poll(WAIT_SECONDS, TimeUnit.SECONDS);
    assertThat(message).as("a message from the relay within %d s", WAIT_SECONDS).isNotNull();
    return message;
  }

  /** The next {@code count} messages. */
  List<String> next(int count) throws InterruptedException {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      out.add(next());
    }
    return out;
  }

  /** The close code and reason, waiting a bounded time for the close. */
  String awaitClose() throws InterruptedException {
    assertThat(closed.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("connection closed").isTrue();
    return closedWith.get();
  }
}
