package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeyedHashTest {
  static final byte[] KEY = Hashes.sha256(Hashes.utf8("k"));

  @Test
  void hashesAreDeterministicPerKey() {
    // Proves the same key and input always give the same 32 bytes, and another key gives others.
    byte[] input = Hashes.utf8("user:alice");

    assertThat(KeyedHash.fromKey(KEY).hash(input)).isEqualTo(KeyedHash.fromKey(KEY).hash(input))
        .hasSize(KeyedHash.OUTPUT_BYTES);
    assertThat(KeyedHash.fromKey(Hashes.sha256(Hashes.utf8("k2"))).hash(input))
        .isNotEqualTo(KeyedHash.fromKey(KEY).hash(input));
    assertThat(KeyedHash.fromKey(KEY).hash(Hashes.utf8("user:bob"))).isNotEqualTo(KeyedHash.fromKey(KEY).hash(input));
  }

  @Test
  void partsAreHashedAsTheirConcatenation() {
    // Proves hash(a, b) equals hash(a || b), so callers must frame parts themselves when boundaries matter.
    KeyedHash hash = KeyedHash.fromKey(KEY);

    assertThat(hash.hash(Hashes.utf8("ab"), Hashes.utf8("c"))).isEqualTo(hash.hash(Hashes.utf8("abc")));
    assertThatThrownBy(() -> KeyedHash.fromKey(new byte[16])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void matchesAFreshJdkHmacAlsoWhenSharedBetweenThreads() throws Exception {
    // Proves the cloned-prototype Mac gives exactly HMAC-SHA256 of the input, call after call and from several threads at once.
    KeyedHash hash = KeyedHash.fromKey(KEY);
    javax.crypto.Mac reference = javax.crypto.Mac.getInstance("HmacSHA256");
    reference.init(new javax.crypto.spec.SecretKeySpec(KEY, "HmacSHA256"));
    int inputs = 64;
    byte[][] expected = new byte[inputs][];
    for (int i = 0; i < inputs; i++) {
      expected[i] = reference.doFinal(Hashes.utf8("record-" + i));
    }
    java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      java.util.List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int t = 0; t < 4; t++) {
        results.add(threads.submit(() -> {
          for (int round = 0; round < 50; round++) {
            for (int i = 0; i < inputs; i++) {
              if (!java.util.Arrays.equals(hash.hash(Hashes.utf8("record-"), Hashes.utf8(Integer.toString(i))), expected[i])) {
                return false;
              }
            }
          }
          return true;
        }));
      }
      for (java.util.concurrent.Future<Boolean> result : results) {
        assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
      }
    } finally {
      threads.shutdownNow();
    }
  }
}
