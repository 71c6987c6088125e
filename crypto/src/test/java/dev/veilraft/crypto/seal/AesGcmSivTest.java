package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.modes.GCMSIVBlockCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class AesGcmSivTest {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 8452 Appendix C.2 (AEAD_AES_256_GCM_SIV) and C.3 (counter wrap): key, nonce, AAD, plaintext, result. */
  static final String[][] RFC_8452 = {
      {"0100000000000000000000000000000000000000000000000000000000000000", "030000000000000000000000", "", "",
          "07f5f4169bbf55a8400cd47ea6fd400f"},
      {"0100000000000000000000000000000000000000000000000000000000000000", "030000000000000000000000", "",
          "0100000000000000", "c2ef328e5c71c83b843122130f7364b761e0b97427e3df28"},
      {"0100000000000000000000000000000000000000000000000000000000000000", "030000000000000000000000", "",
          "01000000000000000000000000000000020000000000000000000000000000000300000000000000000000000000000004000000"
              + "000000000000000000000000",
          "c2d5160a1f8683834910acdafc41fbb1632d4a353e8b905ec9a5499ac34f96c7e1049eb080883891a4db8caaa1f99dd0"
              + "04d80487540735234e3744512c6f90ce112864c269fc0d9d88c61fa47e39aa08"},
      {"0100000000000000000000000000000000000000000000000000000000000000", "030000000000000000000000", "01",
          "0200000000000000", "1de22967237a813291213f267e3b452f02d01ae33e4ec854"},
      {"3c535de192eaed3822a2fbbe2ca9dfc88255e14a661b8aa82cc54236093bbc23", "688089e55540db1872504e1c",
          "734320ccc9d9bbbb19cb81b2af4ecbc3e72834321f7aa0f70b7282b4f33df23f167541",
          "ced532ce4159b035277d4dfbb7db62968b13cd4eec",
          "626660c26ea6612fb17ad91e8e767639edd6c9faee9d6c7029675b89eaf4ba1ded1a286594"},
      {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
          "000000000000000000000000000000004db923dc793ee6497c76dcc03a98e108",
          "f3f80f2cf0cb2dd9c5984fcda908456cc537703b5ba70324a6793a7bf218d3eaffffffff000000000000000000000000"},
      {"0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "",
          "eb3640277c7ffd1303c7a542d02d3e4c0000000000000000",
          "18ce4f0b8cb4d0cac65fea8f79257b20888e53e72299e56dffffffff000000000000000000000000"},
  };

  private final AesGcmSiv cipher = new AesGcmSiv(new JdkAesBlockCipher());

  @Test
  void sealsAndOpensRfc8452sVectorsIncludingTheCounterWrap() throws Exception {
    assertRfc8452Vectors(cipher);
  }

  static void assertRfc8452Vectors(GcmSiv cipher) throws InvalidCipherTextException {
    for (String[] vector : RFC_8452) {
      byte[] key = HEX.parseHex(vector[0]);
      byte[] nonce = HEX.parseHex(vector[1]);
      byte[] aad = HEX.parseHex(vector[2]);
      byte[] plaintext = HEX.parseHex(vector[3]);
      assertThat(HEX.formatHex(cipher.seal(key, nonce, aad, plaintext))).as(vector[4]).isEqualTo(vector[4]);
      assertThat(cipher.open(key, nonce, aad, HEX.parseHex(vector[4]))).as(vector[4]).isEqualTo(plaintext);
    }
  }

  @Test
  void matchesBouncyCastlesCipherByteForByteAtEverySizeAroundBlocksAndKeystreamChunks() throws Exception {
    // Every length from 0 to 300 (each partial block), around the 1 KiB keystream chunk, and large; AAD of
    // several lengths; a kept (pre-expanded) key and a scratch one must give the same bytes.
    JdkAesBlockCipher keeping = new JdkAesBlockCipher();
    AesGcmSiv kept = new AesGcmSiv(keeping);
    forEverySize(new int[] {1008, 1023, 1024, 1025, 1040, 2047, 2048, 2049, 4096, 20_000}, m -> {
      byte[] sealed = cipher.seal(m.key(), m.nonce(), m.aad(), m.plaintext());
      assertThat(sealed).as("size %d, aad %d", m.size(), m.aad().length)
          .isEqualTo(bouncyCastle(true, m.key(), m.nonce(), m.aad(), m.plaintext()));
      keeping.keep(m.key());
      assertThat(kept.seal(m.key(), m.nonce(), m.aad(), m.plaintext())).as("kept key, size %d", m.size())
          .isEqualTo(sealed);
      assertThat(cipher.open(m.key(), m.nonce(), m.aad(), sealed)).as("size %d", m.size()).isEqualTo(m.plaintext());
      assertThat(kept.open(m.key(), m.nonce(), m.aad(), sealed)).as("kept key, size %d", m.size())
          .isEqualTo(m.plaintext());
    });
  }

  /** One message of {@link #forEverySize}: random key, nonce, AAD and plaintext of {@code size} bytes. */
  record SizedMessage(int size, byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {}

  /** A check of one {@link SizedMessage}. */
  interface SizedMessageCheck {
    void check(SizedMessage message) throws Exception;
  }

  /**
   * Runs {@code check} on a message of every length from 0 to 300 (each partial block), then of
   * each of {@code large}, with AAD of several lengths; seeded, so the inputs are the same each run.
   */
  static void forEverySize(int[] large, SizedMessageCheck check) throws Exception {
    Random random = new Random(8452);
    for (int round = 0; round < 301 + large.length; round++) {
      int size = round < 301 ? round : large[round - 301];
      byte[] key = bytes(random, 32);
      byte[] nonce = bytes(random, 12);
      byte[] aad = bytes(random, new int[] {0, 1, 15, 16, 17, 40, 75}[round % 7]);
      check.check(new SizedMessage(size, key, nonce, aad, bytes(random, size)));
    }
  }

  @Test
  void refusesAnyAlteredByteOfCiphertextTagNonceOrAadAndTooShortInput() throws Exception {
    assertRefusals(cipher);
  }

  /** Every altered byte, nonce or AAD, too short an input and wrong key or nonce sizes, with these messages. */
  static void assertRefusals(GcmSiv cipher) throws InvalidCipherTextException {
    byte[] key = bytes(new Random(1), 32);
    byte[] nonce = bytes(new Random(2), 12);
    byte[] aad = bytes(new Random(3), 20);
    byte[] sealed = cipher.seal(key, nonce, aad, bytes(new Random(4), 37));
    for (int i = 0; i < sealed.length; i++) {
      byte[] altered = sealed.clone();
      altered[i] ^= 0x40;
      assertThatThrownBy(() -> cipher.open(key, nonce, aad, altered)).as("byte %d", i)
          .isInstanceOf(InvalidCipherTextException.class).hasMessage("AES-GCM-SIV tag does not match");
    }
    byte[] otherNonce = nonce.clone();
    otherNonce[11] ^= 1;
    assertThatThrownBy(() -> cipher.open(key, otherNonce, aad, sealed)).isInstanceOf(InvalidCipherTextException.class);
    byte[] otherAad = aad.clone();
    otherAad[0] ^= 1;
    assertThatThrownBy(() -> cipher.open(key, nonce, otherAad, sealed)).isInstanceOf(InvalidCipherTextException.class);
    assertThatThrownBy(() -> cipher.open(key, nonce, aad, new byte[15]))
        .isInstanceOf(InvalidCipherTextException.class)
        .hasMessage("AES-GCM-SIV input of 15 bytes is shorter than its 16-byte tag");
    assertThatThrownBy(() -> cipher.seal(new byte[16], nonce, aad, new byte[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("AES-256-GCM-SIV key must be 32 bytes, got 16");
    assertThatThrownBy(() -> cipher.seal(key, new byte[16], aad, new byte[1]))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("AES-GCM-SIV nonce must be 12 bytes, got 16");
    // A refusal leaves the cipher usable.
    assertThat(cipher.open(key, nonce, aad, sealed)).isEqualTo(bytes(new Random(4), 37));
  }

  private static byte[] bytes(Random random, int size) {
    byte[] bytes = new byte[size];
    random.nextBytes(bytes);
    return bytes;
  }

  private static byte[] bouncyCastle(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input)
      throws InvalidCipherTextException {
    GCMSIVBlockCipher reference = new GCMSIVBlockCipher();
    reference.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
    byte[] output = new byte[reference.getOutputSize(input.length)];
    int written = reference.processBytes(input, 0, input.length, output, 0);
    reference.doFinal(output, written);
    return output;
  }
}
