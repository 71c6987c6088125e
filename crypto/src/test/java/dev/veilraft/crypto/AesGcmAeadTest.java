package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AesGcmAeadTest {
  static final byte[] KEY = Hashes.sha256(Hashes.utf8("key one"));
  static final byte[] OTHER_KEY = Hashes.sha256(Hashes.utf8("key two"));
  static final byte[] AAD = Hashes.utf8("node-1");

  @Test
  void roundTripsWithTheFormatHeader() throws Exception {
    // Proves encrypt/decrypt round-trips and the ciphertext starts with format byte 0x01 and the 4-byte key id.
    AesGcmAead aead = AesGcmAead.fromKey(KEY);
    byte[] plaintext = Hashes.utf8("secret state");
    byte[] ciphertext = aead.encrypt(plaintext, AAD);

    assertThat(aead.decrypt(ciphertext, AAD)).isEqualTo(plaintext);
    assertThat(ciphertext[0]).isEqualTo((byte) 0x01);
    assertThat(Arrays.copyOfRange(ciphertext, 1, 5)).isEqualTo(aead.keyId());
    assertThat(ciphertext).hasSize(1 + 4 + 12 + plaintext.length + 16);
    assertThat(aead.encrypt(plaintext, AAD)).isNotEqualTo(ciphertext);
  }

  @Test
  void wrongAssociatedDataDoesNotOpen() {
    // Proves a ciphertext bound to one node id does not open under another.
    AesGcmAead aead = AesGcmAead.fromKey(KEY);
    byte[] ciphertext = aead.encrypt(Hashes.utf8("x"), AAD);

    assertThatThrownBy(() -> aead.decrypt(ciphertext, Hashes.utf8("node-2"))).isInstanceOf(CryptoException.class);
  }

  @Test
  void anyFlippedByteDoesNotOpen() {
    // Proves every byte of the ciphertext (header, nonce, body, tag) is authenticated.
    AesGcmAead aead = AesGcmAead.fromKey(KEY);
    byte[] ciphertext = aead.encrypt(Hashes.utf8("authenticated"), AAD);
    for (int i = 0; i < ciphertext.length; i++) {
      byte[] flipped = ciphertext.clone();
      flipped[i] ^= 0x01;
      assertThatThrownBy(() -> aead.decrypt(flipped, AAD)).as("byte " + i).isInstanceOf(CryptoException.class);
    }
  }

  @Test
  void anotherKeyDoesNotOpenAndSaysWhichKeyItNeeds() {
    // Proves a ciphertext names its key id, so a holder of the wrong key gets a precise error.
    byte[] ciphertext = AesGcmAead.fromKey(KEY).encrypt(Hashes.utf8("x"), AAD);

    assertThatThrownBy(() -> AesGcmAead.fromKey(OTHER_KEY).decrypt(ciphertext, AAD))
        .isInstanceOf(CryptoException.class).hasMessageContaining(Hashes.hex(AesGcmAead.fromKey(KEY).keyId()));
    assertThatThrownBy(() -> AesGcmAead.fromKey(KEY).decrypt(new byte[10], AAD)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> AesGcmAead.fromKey(new byte[16])).isInstanceOf(IllegalArgumentException.class);
  }
}
