package dev.veilraft.bench.load;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * A closed-loop load: {@code concurrency} puts are outstanding at every moment; each completion
 * issues the next put at once. Or, with a rate ({@link Spec#ratePerSecond} above 0), an open-loop
 * load: puts are issued on a fixed schedule whatever the cluster answers, and each put's latency
 * runs from when the schedule said to issue it, so a cluster that falls behind is charged for the
 * wait (no coordinated omission). Either way puts wait in a queue for a call slot: at most {@code
 * callsMax} calls are in flight, each carrying up to {@code batchMax} of the queued puts (one log
 * entry). With {@code batchMax} 1 and {@code callsMax} equal to the concurrency this is a plain closed loop of
 * single requests; with larger batches it groups whatever is waiting when a slot frees, so the
 * batches grow with the load and no put waits for a timer. A put's latency runs from when it is
 * issued (queueing included) to when its call completes. Completions are handled on the
 * generator's own threads, never on the client's callback thread: a Ratis client completes its
 * futures while holding its sliding-window lock, so sending the next put from there through
 * another client of the pool could deadlock two clients.
 */
public final class LoadGenerator {
  /** The most puts one call may carry (the genesis default limits.batch_events_max is 64). */
  public static final int BATCH_MAX = 64;
  /** Longest latency the histogram records; longer ones are clamped to it. */
  private static final long LATENCY_NS_MAX = TimeUnit.SECONDS.toNanos(120);
  private static final int LATENCY_DIGITS = 3;
  private static final long RETRY_AFTER_ERROR_MS = 100;
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);
  private static final int KEY_DIGITS = 11;
  /** Threads that handle completions and issue the next puts (sealing included, for the SDK). */
  private static final int DISPATCH_THREADS = 2;

  /**
   * The shape of the load. {@code keySpace} distinct keys are written round-robin, so the state
   * stays bounded. {@code ratePerSecond} 0 is a closed loop of {@code concurrency} puts; above 0,
   * puts are issued at that rate (open loop) and {@code concurrency} only names the point.
   */
  public record Spec(int concurrency, int valueBytes, int batchMax, int callsMax, int keySpace, double ratePerSecond) {
    public Spec {
      if (concurrency < 1 || valueBytes < 0 || batchMax < 1 || batchMax > BATCH_MAX || callsMax < 1 || keySpace < 1
          || !(ratePerSecond >= 0) || ratePerSecond > RATE_MAX) {
        throw new IllegalArgumentException("bad load spec " + this + ": concurrency, calls and keys >= 1, batch 1.."
            + BATCH_MAX + ", value bytes >= 0, rate 0.." + RATE_MAX);
      }
    }

    /** A closed loop of {@code concurrency} puts. */
    public Spec(int concurrency, int valueBytes, int batchMax, int callsMax, int keySpace) {
      this(concurrency, valueBytes, batchMax, callsMax, keySpace, 0);
    }

    /** This load as a closed loop (a warm-up that should saturate whatever the measured rate). */
    public Spec closedLoop() {
      return new Spec(concurrency, valueBytes, batchMax, callsMax, keySpace, 0);
    }

    public boolean openLoop() {
      return ratePerSecond > 0;
    }
  }

  /** The highest open-loop rate, puts per second. */
  public static final double RATE_MAX = 1_000_000;
  /** How often the open-loop schedule is checked: puts due since the last check are issued together. */
  private static final long SCHEDULE_TICK_NS = TimeUnit.MICROSECONDS.toNanos(200);

  /** What one measurement window saw: completed puts, failed puts, calls made, and the latencies. */
  public record Window(double seconds, long completed, long errors, long calls, Histogram latencyNs,
      String firstError) {
    public double opsPerSecond() {
      return completed / seconds;
    }

    public double percentileMs(double percentile) {
      return latencyNs.getTotalCount() == 0 ? 0 : latencyNs.getValueAtPercentile(percentile) / 1e6;
    }
  }

  private record Put(byte[] key, long issuedNanos) {}

  private final LoadTarget target;
  private final Spec spec;
  private final byte[] value;
  private final Recorder recorder = new Recorder(LATENCY_NS_MAX, LATENCY_DIGITS);
  private final ConcurrentLinkedQueue<Put> queue = new ConcurrentLinkedQueue<>();
  private final AtomicInteger callsInFlight = new AtomicInteger();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final AtomicLong nextKey = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicLong calls = new AtomicLong();
  private final AtomicReference<String> firstError = new AtomicReference<>();
  private final ExecutorService dispatcher = Executors.newFixedThreadPool(DISPATCH_THREADS, runnable -> {
    Thread thread = new Thread(runnable, "load-dispatch");
    thread.setDaemon(true);
    return thread;
  });
  private final Executor retryLater = CompletableFuture.delayedExecutor(RETRY_AFTER_ERROR_MS, TimeUnit.MILLISECONDS,
      dispatcher);
  private volatile boolean running;

  public LoadGenerator(LoadTarget target, Spec spec) {
    this.target = target;
    this.spec = spec;
    this.value = new byte[spec.valueBytes()];
    new Random(spec.valueBytes()).nextBytes(value);
  }

  /**
   * Starts the load: a closed loop issues {@code concurrency} puts now, each completion issuing the
   * next; an open loop starts its schedule on a thread of its own.
   */
  public void start() {
    running = true;
    if (spec.openLoop()) {
      Thread schedule = new Thread(this::issueOnSchedule, "load-schedule");
      schedule.setDaemon(true);
      schedule.start();
      return;
    }
    for (int i = 0; i < spec.concurrency(); i++) {
      issue(System.nanoTime());
    }
  }

  /** Issues put i at start + i / rate, until stopped; each put carries that intended time. */
  private void issueOnSchedule() {
    long start = System.nanoTime();
    double nanosPerPut = 1e9 / spec.ratePerSecond();
    long issued = 0;
    while (running) {
      long due = (long) ((System.nanoTime() - start) / nanosPerPut) + 1;
      for (; issued < due && running; issued++) {
        issue(start + (long) (issued * nanosPerPut));
      }
      LockSupport.parkNanos(SCHEDULE_TICK_NS); // pacing, not waiting for a condition
    }
  }

  /**
   * Lets the load run for {@code warmup} (not counted), then measures for {@code duration}. The
   * hooks run right before and right after the measured window (CPU counters, profilers).
   */
  public Window measure(Duration warmup, Duration duration, Runnable atStart, Runnable atEnd) throws InterruptedException {
    Thread.sleep(warmup.toMillis());
    atStart.run();
    recorder.getIntervalHistogram();
    long errorsBefore = errors.get();
    long callsBefore = calls.get();
    firstError.set(null);
    long t0 = System.nanoTime();
    Thread.sleep(duration.toMillis());
    Histogram h = recorder.getIntervalHistogram();
    long t1 = System.nanoTime();
    long callsDone = calls.get() - callsBefore;
    long errorsDone = errors.get() - errorsBefore;
    atEnd.run();
    return new Window((t1 - t0) / 1e9, h.getTotalCount(), errorsDone, callsDone, h, firstError.get());
  }

  /** Stops issuing puts and waits (bounded) for those in flight; false when some never completed. */
  public boolean stop() throws InterruptedException {
    running = false;
    long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
    while (outstanding.get() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    dispatcher.shutdown();
    return outstanding.get() == 0;
  }

  /** Queues one put whose latency counts from {@code issuedNanos}, and sends what a free slot can take. */
  private void issue(long issuedNanos) {
    if (!running) {
      return;
    }
    long k = nextKey.getAndIncrement() % spec.keySpace();
    byte[] key = String.format("k%0" + KEY_DIGITS + "d", k).getBytes(StandardCharsets.US_ASCII);
    outstanding.incrementAndGet();
    queue.add(new Put(key, issuedNanos));
    pump();
  }

  /** The closed loop's next put, issued now. */
  private void issueNext() {
    issue(System.nanoTime());
  }

  /** Sends queued puts while call slots are free. */
  private void pump() {
    while (true) {
      int inFlight = callsInFlight.get();
      if (inFlight >= spec.callsMax() || queue.isEmpty()) {
        return;
      }
      if (!callsInFlight.compareAndSet(inFlight, inFlight + 1)) {
        continue;
      }
      List<Put> batch = new ArrayList<>(Math.min(spec.batchMax(), spec.concurrency()));
      Put p;
      while (batch.size() < spec.batchMax() && (p = queue.poll()) != null) {
        batch.add(p);
      }
      if (batch.isEmpty()) {
        callsInFlight.decrementAndGet();
        continue;
      }
      send(batch);
    }
  }

  private void send(List<Put> batch) {
    List<byte[]> keys = new ArrayList<>(batch.size());
    List<byte[]> values = new ArrayList<>(batch.size());
    for (Put p : batch) {
      keys.add(p.key());
      values.add(value);
    }
    calls.incrementAndGet();
    CompletableFuture<Void> call;
    try {
      call = target.put(keys, values);
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenCompleteAsync((ok, error) -> {
      callsInFlight.decrementAndGet();
      long now = System.nanoTime();
      for (Put p : batch) {
        if (error == null) {
          recorder.recordValue(Math.min(LATENCY_NS_MAX, now - p.issuedNanos()));
        } else {
          errors.incrementAndGet();
          firstError.compareAndSet(null, String.valueOf(error));
        }
        outstanding.decrementAndGet();
      }
      if (!spec.openLoop()) {
        for (int i = 0; i < batch.size(); i++) {
          if (error == null) {
            issueNext();
          } else {
            // A failing cluster must not turn the closed loop into a busy loop.
            CompletableFuture.runAsync(this::issueNext, retryLater);
          }
        }
      }
      pump();
    }, dispatcher);
  }
}
