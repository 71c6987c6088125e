package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DeterministicCipherTest {
  private static final byte[] KEY_A = Hashes.sha256(Hashes.utf8("key a"));
  private static final byte[] KEY_B = Hashes.sha256(Hashes.utf8("key b"));
  private static final byte[] AAD = Hashes.utf8("aad");

  @Test
  void theSameAnswerSealedTwiceInARowOnOneThreadGivesTheSameBytes() throws Exception {
    // Proves the per-thread Cipher object does not turn a repeated (key, nonce) — the same answer computed again,
    // as when an entry is applied again — into an error (the JDK refuses that on one object), and that the bytes
    // are those of a fresh object.
    byte[] nonce = DeterministicCipher.nonceForEntryPosition(7, 2);
    byte[] first = DeterministicCipher.encrypt(KEY_A, nonce, Hashes.utf8("answer"), AAD);
    byte[] second = DeterministicCipher.encrypt(KEY_A, nonce, Hashes.utf8("answer"), AAD);
    assertThat(second).isEqualTo(first);
    assertThat(DeterministicCipher.decrypt(KEY_A, nonce, first, AAD)).isEqualTo(Hashes.utf8("answer"));
  }

  @Test
  void interleavedKeysAndModesOnOneThreadStayIndependent() throws Exception {
    // Proves that reusing one Cipher object across keys, nonces and modes carries nothing from one call into the
    // next: each ciphertext opens only under its own key, nonce and associated data, and a failed open does not
    // spoil the following calls.
    byte[] n1 = DeterministicCipher.nonceForIndex(1);
    byte[] n2 = DeterministicCipher.nonceForIndex(2);
    byte[] a1 = DeterministicCipher.encrypt(KEY_A, n1, Hashes.utf8("one"), AAD);
    byte[] b2 = DeterministicCipher.encrypt(KEY_B, n2, Hashes.utf8("two"), AAD);
    assertThatThrownBy(() -> DeterministicCipher.decrypt(KEY_B, n1, a1, AAD)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> DeterministicCipher.decrypt(KEY_A, n2, a1, AAD)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> DeterministicCipher.decrypt(KEY_A, n1, a1, Hashes.utf8("other")))
        .isInstanceOf(CryptoException.class);
    assertThat(DeterministicCipher.decrypt(KEY_A, n1, a1, AAD)).isEqualTo(Hashes.utf8("one"));
    assertThat(DeterministicCipher.decrypt(KEY_B, n2, b2, AAD)).isEqualTo(Hashes.utf8("two"));
    assertThat(DeterministicCipher.encrypt(KEY_A, n1, Hashes.utf8("one"), AAD)).isEqualTo(a1);
  }
}
