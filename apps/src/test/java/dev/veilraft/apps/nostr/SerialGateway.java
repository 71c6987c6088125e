package dev.veilraft.apps.nostr;

import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import dev.veilraft.apps.CommittedListener;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-memory stand-in for the node: submits are applied one at a time through the real AppHost
 * and RocksDB store, then every registered relay is told, as the node's apply thread does; queries
 * read the same store from another thread.
 */
final class SerialGateway implements AppGateway, AutoCloseable {
  final NostrAppFixture app;
  final List<CommittedListener> listeners = new CopyOnWriteArrayList<>();
  final AtomicInteger submits = new AtomicInteger();
  final AtomicInteger queries = new AtomicInteger();
  /** When set, submits fail with it, as when no leader answers. */
  final AtomicReference<RuntimeException> submitFailure = new AtomicReference<>();
  /** When set, submits wait for it to open before they apply: keeps publishes in flight. */
  final AtomicReference<CountDownLatch> submitGate = new AtomicReference<>();
  /** When set, queries wait for it to open: lets a test commit events while a REQ loads. */
  final AtomicReference<CountDownLatch> queryGate = new AtomicReference<>();
  /** When set, a query pauses there after it took its {@code readFrom} index, before it reads state. */
  final AtomicReference<Pause> readPause = new AtomicReference<>();
  /** When set, a query pauses there after its reads, before it takes its {@code readThrough} index. */
  final AtomicReference<Pause> answerPause = new AtomicReference<>();

  /** A point a query stops at: the test awaits {@link #reached}, acts, then {@link #resume}s it. */
  static final class Pause {
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch resumed = new CountDownLatch(1);

    void reached() throws InterruptedException {
      if (!reached.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("no query reached the pause within 30 s");
      }
    }

    void resume() {
      resumed.countDown();
    }

    private void pass() throws InterruptedException {
      reached.countDown();
      if (!resumed.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("a query stayed paused for 30 s");
      }
    }
  }
  /**
   * When set, relays are told of commits only once it opens, in commit order: the node's fan-out
   * running behind its commits. Submits and queries go on meanwhile.
   */
  final AtomicReference<CountDownLatch> listenerGate = new AtomicReference<>();
  private final ExecutorService applyThread = Executors.newSingleThreadExecutor();
  private final ExecutorService listenerThread = Executors.newSingleThreadExecutor();
  private final ExecutorService queryThread = Executors.newSingleThreadExecutor();

  SerialGateway(NostrAppFixture app) {
    this.app = app;
  }

  @Override
  public CompletableFuture<byte[]> submit(String appName, byte[] request) {
    submits.incrementAndGet();
    RuntimeException failure = submitFailure.get();
    if (failure != null) {
      return CompletableFuture.failedFuture(failure);
    }
    CountDownLatch gate = submitGate.get();
    return CompletableFuture.supplyAsync(() -> {
      try {
        if (gate != null && !gate.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("submit gate stayed shut for 30 s");
        }
        EventResult result = app.apply(request);
        if (result.getStatus() != EventResult.Status.OK) {
          throw new AppRejectedException(result.getError());
        }
        byte[] response = result.getResponse().toByteArray();
        long index = app.store.appliedIndex();
        CountDownLatch late = listenerGate.get();
        if (late == null) {
          for (CommittedListener listener : listeners) {
            listener.committed(index, request, response);
          }
        } else {
          listenerThread.execute(() -> {
            try {
              if (late.await(30, TimeUnit.SECONDS)) {
                listeners.forEach(listener -> listener.committed(index, request, response));
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
        }
        return response;
      } catch (StateException e) {
        throw new CompletionException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CompletionException(e);
      }
    }, applyThread);
  }

  @Override
  public CompletableFuture<QueryAnswer> query(String appName, byte[] request, boolean linearizable) {
    queries.incrementAndGet();
    CountDownLatch before = queryGate.get();
    Pause reading = readPause.get();
    Pause answering = answerPause.get();
    return CompletableFuture.supplyAsync(() -> {
      try {
        pass(before, "query");
        // As Replica.query: the label first, then the reads, then (as NodeAppGateway) the bound.
        long readFrom = app.store.appliedIndex();
        if (reading != null) {
          reading.pass();
        }
        EventResult result = NostrAppFixture.HOST.query(app.store, appName, request, true);
        if (result.getStatus() != EventResult.Status.OK) {
          throw new AppRejectedException(result.getError());
        }
        if (answering != null) {
          answering.pass();
        }
        return new QueryAnswer(result.getResponse().toByteArray(), readFrom, app.store.readIndexBound());
      } catch (StateException e) {
        throw new CompletionException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new UncheckedIOException(new java.io.InterruptedIOException("interrupted"));
      }
    }, queryThread);
  }

  private static void pass(CountDownLatch gate, String name) throws InterruptedException {
    if (gate != null && !gate.await(30, TimeUnit.SECONDS)) {
      throw new IllegalStateException(name + " gate stayed shut for 30 s");
    }
  }

  /** Waits until every submit and query handed in so far has run. */
  void settle() throws Exception {
    applyThread.submit(() -> { }).get(30, TimeUnit.SECONDS);
    queryThread.submit(() -> { }).get(30, TimeUnit.SECONDS);
    listenerThread.submit(() -> { }).get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    applyThread.shutdownNow();
    queryThread.shutdownNow();
    listenerThread.shutdownNow();
  }
}
