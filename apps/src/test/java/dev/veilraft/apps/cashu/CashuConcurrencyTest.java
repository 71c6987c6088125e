package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two front ends (two nodes) racing to spend the same proofs over one ordered log. */
class CashuConcurrencyTest {
  static final int ROUNDS = 20;

  @TempDir Path dir;
  MintHarness mint;
  ExecutorService threads;

  @BeforeEach
  void open() throws Exception {
    mint = new MintHarness(dir);
    threads = Executors.newFixedThreadPool(2);
  }

  @AfterEach
  void close() throws InterruptedException {
    threads.shutdownNow();
    assertThat(threads.awaitTermination(MintHarness.ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS)).isTrue();
    mint.close();
  }

  @Test
  void concurrentSwapsOfTheSameProofsHaveExactlyOneWinner() throws Exception {
    // Proves that of two swaps of the same proofs sent at once to two front ends, exactly one is signed and the
    // other is refused as spent, every round, and the books still balance.
    CashuHttpApi nodeA = mint.api;
    CashuHttpApi nodeB = mint.secondFrontEnd();
    TestWallet alice = mint.wallet("alice");
    TestWallet bob = mint.wallet("bob");
    long signed = 0;
    for (int round = 0; round < ROUNDS; round++) {
      List<TestWallet.Held> coins = mint.mint(alice, 10);
      byte[] fromAlice = CashuJson.write(TestWallet.swapBody(coins, alice.outputsFor(9)));
      byte[] fromBob = CashuJson.write(TestWallet.swapBody(coins, bob.outputsFor(9)));
      CountDownLatch start = new CountDownLatch(1);
      List<Future<MintHarness.Answer>> answers = new ArrayList<>();
      answers.add(threads.submit(() -> {
        start.await();
        return MintHarness.call(nodeA, "POST", "/v1/swap", fromAlice);
      }));
      answers.add(threads.submit(() -> {
        start.await();
        return MintHarness.call(nodeB, "POST", "/v1/swap", fromBob);
      }));
      start.countDown();
      int won = 0;
      int spent = 0;
      for (Future<MintHarness.Answer> future : answers) {
        MintHarness.Answer answer = future.get(MintHarness.ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (answer.status() == 200) {
          won++;
          assertThat(answer.json().path("signatures")).hasSize(2);
        } else {
          assertThat(answer.code()).as("loser's answer %s", answer.json()).isEqualTo(11001);
          spent++;
        }
      }
      assertThat(won).as("round %s winners", round).isEqualTo(1);
      assertThat(spent).as("round %s losers", round).isEqualTo(1);
      signed += 9;
    }
    MintAccounting books = mint.accounting();
    assertThat(books.balanced()).isTrue();
    assertThat(books.outstanding()).isEqualTo(signed);
    assertThat(books.minted()).isEqualTo(10L * ROUNDS);
  }
}
