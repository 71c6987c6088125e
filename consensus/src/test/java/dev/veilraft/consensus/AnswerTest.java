package dev.veilraft.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EntryError;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Answers sealed when read ({@link Answer}): the same bytes as sealing at once, and sizes known before. */
class AnswerTest {
  private static final byte[] KEY = Hashes.sha256(Hashes.utf8("answer-test/response-key"));

  @Test
  void anAnswerSealedWhenReadIsTheAnswerSealedAtOnceAndItsSizeIsKnownBeforeSealing() {
    // Proves the size a group's answer limit counts during apply is exactly the sealed answer's, at every varint
    // boundary of epoch, index, position and length (also past the 64 KiB stand-in), and the bytes are
    // sealResponse's own.
    long[] epochs = {1, 127, 128, 300};
    long[] indices = {1, 127, 128, 16_384, 1L << 40, Long.MAX_VALUE};
    int[] positions = {0, 1, 127, 128, 4_095, Integer.MAX_VALUE};
    int[] lengths = {0, 1, 111, 112, 127, 128, 16_367, 16_368, 65_520, 65_536, 70_000};
    for (long epoch : epochs) {
      for (long index : indices) {
        for (int position : positions) {
          for (int length : lengths) {
            byte[] response = new byte[length];
            Answer answer = Answer.sealedWhenRead(() -> KEY, epoch, index, position, response);
            int before = answer.serializedSize();
            assertThat(answer.sealed()).isFalse();
            ApplyResult sealed = answer.result();
            String what = "epoch " + epoch + " index " + index + " position " + position + " length " + length;
            assertThat(before).as(what).isEqualTo(sealed.getSerializedSize());
            assertThat(sealed.toByteArray()).as(what).isEqualTo(ApplyResult.newBuilder()
                .setSealedResponse(EventSealing.sealResponse(KEY, epoch, index, position, response)).build()
                .toByteArray());
            assertThat(answer.serializedSize()).isEqualTo(before);
          }
        }
      }
    }
  }

  @Test
  void aGroupsSizeIsKnownWithoutSealingAndItsAnswersAreSealedOnceWhenRead() {
    // Proves a group answer neither derives a key nor seals until read, derives each key once however often it
    // is read, and its size before sealing is its result's size.
    AtomicInteger derivations = new AtomicInteger();
    Supplier<byte[]> key = () -> {
      derivations.incrementAndGet();
      return KEY;
    };
    List<Answer> answers = new ArrayList<>();
    for (int position = 0; position < 200; position++) {
      answers.add(position % 7 == 3
          ? Answer.of(Replica.error("GROUP_ANSWERS_FULL", "not applied " + position))
          : Answer.sealedWhenRead(key, 1, 1_000, position, new byte[position * 3]));
    }
    Answer group = Answer.group(answers);
    int before = group.serializedSize();
    assertThat(derivations).hasValue(0);
    assertThat(group.sealed()).isFalse();

    ApplyResult sealed = group.result();
    assertThat(group.sealed()).isTrue();
    assertThat(sealed.getSerializedSize()).isEqualTo(before);
    int derived = derivations.get();
    assertThat(group.result()).isSameAs(sealed);
    assertThat(group.resultOrRefusal()).isSameAs(sealed);
    assertThat(group.result().getGroup().getResults(3).getError())
        .isEqualTo(EntryError.newBuilder().setCode("GROUP_ANSWERS_FULL").setMessage("not applied 3").build());
    assertThat(derivations).hasValue(derived);
    assertThat(derived).isEqualTo((int) answers.stream().filter(a -> !(a.result().hasError())).count());
  }

  @Test
  void anAnswerThatCannotBeSealedIsAnsweredUnsealableNotThrownAtItsReader() {
    // Proves a sealing failure (only a bug can cause one) reaches the proposer as an EntryError naming it, so the
    // Ratis or gRPC thread that reads the reply never sees an exception.
    Answer broken = Answer.sealedWhenRead(() -> new byte[7], 1, 5, 0, new byte[3]);
    ApplyResult refused = broken.resultOrRefusal();
    assertThat(refused.getError().getCode()).isEqualTo("ANSWER_UNSEALABLE");
    assertThat(refused.getError().getMessage()).contains("applied", "ask again");
    assertThat(broken.sealed()).isFalse();
  }

  @Test
  void threadsReadingOneAnswerAtOnceGetTheSameSealedBytesAndEachKeyIsDerivedOnce() throws Exception {
    // Proves the memoization holds under concurrent readers (a gRPC executor and the apply thread may both read a
    // reply): every reader gets the same result, and each event's key is derived exactly once.
    AtomicInteger derivations = new AtomicInteger();
    List<Answer> answers = new ArrayList<>();
    for (int position = 0; position < 64; position++) {
      byte[][] memo = new byte[1][];
      Supplier<byte[]> key = () -> {
        synchronized (memo) {
          if (memo[0] == null) {
            derivations.incrementAndGet();
            memo[0] = KEY;
          }
          return memo[0];
        }
      };
      answers.add(Answer.sealedWhenRead(key, 3, 77, position, new byte[position]));
    }
    Answer group = Answer.group(answers);
    int readers = 8;
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(readers);
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(readers);
    try {
      List<java.util.concurrent.Future<ApplyResult>> read = new ArrayList<>();
      for (int i = 0; i < readers; i++) {
        read.add(pool.submit(() -> {
          start.await(10, java.util.concurrent.TimeUnit.SECONDS);
          return group.result();
        }));
      }
      ApplyResult first = read.get(0).get(10, java.util.concurrent.TimeUnit.SECONDS);
      for (java.util.concurrent.Future<ApplyResult> r : read) {
        assertThat(r.get(10, java.util.concurrent.TimeUnit.SECONDS)).isSameAs(first);
      }
      assertThat(derivations).hasValue(answers.size());
      assertThat(first.getGroup().getResultsCount()).isEqualTo(answers.size());
    } finally {
      pool.shutdownNow();
    }
  }
}
