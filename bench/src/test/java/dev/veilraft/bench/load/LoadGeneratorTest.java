package dev.veilraft.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The load generator's two loops against a target that answers only when the test says so. */
class LoadGeneratorTest {
  private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);

  /** Holds every call until released; answers every call at once from then on. */
  private static final class HeldTarget implements LoadTarget {
    final List<CompletableFuture<Void>> calls = new CopyOnWriteArrayList<>();
    private volatile boolean released;

    @Override
    public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
      CompletableFuture<Void> call = new CompletableFuture<>();
      calls.add(call);
      if (released) {
        call.complete(null);
      }
      return call;
    }

    void releaseAll() {
      released = true;
      calls.forEach(call -> call.complete(null));
    }

    @Override
    public void close() {}
  }

  @Test
  void anOpenLoopKeepsIssuingWhileNothingIsAnswered() throws Exception {
    // Proves the open loop does not wait for answers: with 10 puts named as the point's concurrency and none
    // answered, a closed loop stops at 10 calls; at 2,000 puts/s the schedule sends more (up to --calls in flight).
    HeldTarget target = new HeldTarget();
    LoadGenerator load = new LoadGenerator(target, new LoadGenerator.Spec(10, 8, 1, 100, 1000, 2000));
    load.start();
    try {
      assertThat(await(() -> target.calls.size() > 10)).as("calls sent with none answered").isTrue();
      assertThat(await(() -> target.calls.size() == 100)).as("bounded by calls in flight").isTrue();
    } finally {
      target.releaseAll();
      assertThat(load.stop()).as("every put answered").isTrue();
    }
  }

  @Test
  void aClosedLoopSendsItsConcurrencyAndTheNextPutOnlyAfterAnAnswer() throws Exception {
    HeldTarget target = new HeldTarget();
    LoadGenerator load = new LoadGenerator(target, new LoadGenerator.Spec(10, 8, 1, 10, 1000));
    load.start();
    try {
      assertThat(target.calls).hasSize(10); // issued synchronously by start()
      target.calls.get(0).complete(null);
      assertThat(await(() -> target.calls.size() == 11)).as("the answered put's successor").isTrue();
      assertThat(target.calls).hasSize(11);
    } finally {
      target.releaseAll();
      assertThat(load.stop()).as("every put answered").isTrue();
    }
  }

  @Test
  void aRateMustBeAFinitePositiveNumberUpToTheMaximum() {
    assertThatThrownBy(() -> new LoadGenerator.Spec(1, 8, 1, 1, 1, -1)).hasMessageContaining("rate 0..");
    assertThatThrownBy(() -> new LoadGenerator.Spec(1, 8, 1, 1, 1, Double.NaN)).hasMessageContaining("rate 0..");
    assertThatThrownBy(() -> new LoadGenerator.Spec(1, 8, 1, 1, 1, LoadGenerator.RATE_MAX * 2))
        .hasMessageContaining("rate 0..");
    LoadGenerator.Spec open = new LoadGenerator.Spec(1, 8, 1, 1, 1, 500);
    assertThat(open.openLoop()).isTrue();
    assertThat(open.closedLoop().openLoop()).isFalse();
    assertThat(open.closedLoop().concurrency()).isEqualTo(1);
  }

  private static boolean await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + WAIT_NS;
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(5);
    }
    return condition.getAsBoolean();
  }
}
