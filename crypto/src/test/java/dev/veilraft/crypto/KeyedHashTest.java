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
}
