package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How {@link EpochSessions} zeroes an erased epoch's session keys, and never under a derivation. */
class EpochSessionsTest {
  private static final Duration BOUND = Duration.ofSeconds(10);

  private static SessionSealing.SessionKeys keys(int fill) {
    byte[] request = new byte[32];
    byte[] response = new byte[32];
    java.util.Arrays.fill(request, (byte) fill);
    java.util.Arrays.fill(response, (byte) (fill + 1));
    return new SessionSealing.SessionKeys(request, response);
  }

  @Test
  void anErasureZeroesEveryAdoptedKeyAndRefusesDerivationsAndKeysAdoptedLaterAreZeroedAtOnce() {
    // Proves what an erasure leaves: both keys of every session adopted before it are zeroed where they are held,
    // a derivation afterwards is refused naming the epoch, and keys that arrive after it never live unzeroed.
    EpochSessions sessions = new EpochSessions(7);
    SessionSealing.SessionKeys first = keys(1);
    SessionSealing.SessionKeys second = keys(3);
    sessions.adopt(first);
    sessions.adopt(second);
    assertThat(sessions.held()).isEqualTo(4);
    assertThat(sessions.derive(first.responseSecret(), byte[]::clone)).isEqualTo(keys(1).responseSecret());

    sessions.erase();
    assertThat(sessions.isErased()).isTrue();
    assertThat(sessions.held()).isZero();
    for (SessionSealing.SessionKeys k : java.util.List.of(first, second)) {
      assertThat(k.requestKey()).containsOnly(0);
      assertThat(k.responseSecret()).containsOnly(0);
    }
    assertThatThrownBy(() -> sessions.derive(first.responseSecret(), byte[]::clone))
        .isInstanceOf(EpochSecretsErasedException.class).hasMessageContaining("epoch 7")
        .satisfies(e -> assertThat(((EpochSecretsErasedException) e).epoch()).isEqualTo(7));

    SessionSealing.SessionKeys late = keys(5);
    sessions.adopt(late);
    assertThat(late.requestKey()).containsOnly(0);
    assertThat(late.responseSecret()).containsOnly(0);
    assertThat(EpochSessions.erased(8).isErased()).isTrue();
  }

  @Test
  void anErasureWaitsForADerivationInProgressWhichSeesTheWholeSecret() throws Exception {
    // Proves the read lock: an erasure that starts while a derivation reads the secret waits for it (a key from a
    // partly zeroed secret would be guessable), then zeroes the secret; the derivation got the intact bytes.
    EpochSessions sessions = new EpochSessions(2);
    SessionSealing.SessionKeys session = keys(9);
    sessions.adopt(session);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<byte[]> derived = CompletableFuture.supplyAsync(() -> sessions.derive(session.responseSecret(),
        secret -> {
          inside.countDown();
          await(release);
          return secret.clone();
        }));
    assertThat(inside.await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
    Thread eraser = new Thread(sessions::erase, "eraser");
    eraser.start();
    awaitParked(eraser);
    assertThat(session.responseSecret()).as("not zeroed under the derivation").containsOnly(10);

    release.countDown();
    assertThat(derived.get(BOUND.toSeconds(), TimeUnit.SECONDS)).containsOnly(10);
    eraser.join(BOUND.toMillis());
    assertThat(eraser.isAlive()).isFalse();
    assertThat(session.responseSecret()).containsOnly(0);
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(BOUND.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("not released within " + BOUND);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Waits (bounded) until {@code thread} is parked: here, on the write lock. */
  private static void awaitParked(Thread thread) {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (thread.getState() != Thread.State.WAITING) {
      assertThat(thread.isAlive()).as("the eraser ended without waiting").isTrue();
      assertThat(System.nanoTime() < deadline).as("the eraser parked within " + BOUND).isTrue();
      Thread.onSpinWait();
    }
  }
}
