package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeterministicRandomTest {
  static final byte[] SEED = Hashes.sha256(Hashes.utf8("seed"));

  @Test
  void theSameSeedGivesTheSameStreamHoweverItIsDrawn() {
    // Proves replicas drawing in different chunk sizes from the same seed see the same bytes.
    byte[] whole = DeterministicRandom.fromSeed(SEED).nextBytes(100);
    DeterministicRandom chunked = DeterministicRandom.fromSeed(SEED);
    byte[] parts = Hashes.concat(chunked.nextBytes(1), chunked.nextBytes(31), chunked.nextBytes(33), chunked.nextBytes(35));

    assertThat(parts).isEqualTo(whole);
    assertThat(DeterministicRandom.fromSeed(Hashes.sha256(Hashes.utf8("other"))).nextBytes(100)).isNotEqualTo(whole);
  }

  @Test
  void aSourceSeededWhenDrawnIsTheSameStreamAndComputesItsSeedOnlyOnTheFirstDraw() {
    // Proves the lazy form apply uses: no seed is computed for an entry that draws nothing, the seed is computed
    // once, the stream is fromSeed's, and a seed of the wrong length is refused at the first draw.
    java.util.concurrent.atomic.AtomicInteger seeds = new java.util.concurrent.atomic.AtomicInteger();
    DeterministicRandom lazy = DeterministicRandom.fromSeedWhenDrawn(() -> {
      seeds.incrementAndGet();
      return SEED.clone();
    });
    assertThat(seeds).hasValue(0);
    byte[] drawn = Hashes.concat(lazy.nextBytes(7), lazy.nextBytes(93));
    assertThat(seeds).hasValue(1);
    assertThat(drawn).isEqualTo(DeterministicRandom.fromSeed(SEED).nextBytes(100));

    DeterministicRandom shortSeed = DeterministicRandom.fromSeedWhenDrawn(() -> new byte[16]);
    assertThatThrownBy(() -> shortSeed.nextBytes(1)).hasMessageContaining("deterministic random seed");
  }

  @Test
  void aDrawWhoseSeedFailedLeavesTheSourceAsItWas() {
    // Proves a seed source that throws on the first draw charges nothing: the next draw seeds and yields
    // fromSeed's stream from its start.
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    DeterministicRandom flaky = DeterministicRandom.fromSeedWhenDrawn(() -> {
      if (calls.getAndIncrement() == 0) {
        throw new IllegalStateException("epoch secret not loaded");
      }
      return SEED.clone();
    });
    assertThatThrownBy(() -> flaky.nextBytes(64))
        .hasMessageContaining("epoch secret not loaded");
    assertThat(flaky.nextBytes(100)).isEqualTo(DeterministicRandom.fromSeed(SEED).nextBytes(100));
  }

  @Test
  void boundedDrawsStayInRangeAndCoverIt() {
    // Proves nextLong(bound) stays in [0, bound) and reaches every value of a small range.
    DeterministicRandom random = DeterministicRandom.fromSeed(SEED);
    boolean[] seen = new boolean[7];
    for (int i = 0; i < 500; i++) {
      long value = random.nextLong(7);
      assertThat(value).isBetween(0L, 6L);
      seen[(int) value] = true;
    }
    assertThat(seen).containsOnly(true);
    assertThatThrownBy(() -> random.nextLong(0)).hasMessageContaining("bound");
    assertThatThrownBy(() -> DeterministicRandom.fromSeed(new byte[16])).hasMessageContaining("seed");
  }
}
