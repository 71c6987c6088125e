package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Hkdf}: RFC 5869's SHA-256 test cases, and Tink's HKDF at every length and input size. */
class HkdfTest {
  @Test
  void givesRfc5869sSha256TestCases() {
    // A.1: basic.
    assertThat(Hashes.hex(Hkdf.sha256(repeat(0x0b, 22), range(0x00, 13), range(0xf0, 10), 42))).isEqualTo(
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    // A.2: longer inputs and output.
    assertThat(Hashes.hex(Hkdf.sha256(range(0x00, 80), range(0x60, 80), range(0xb0, 80), 82))).isEqualTo(
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8"
            + "367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
    // A.3: no salt, no info.
    assertThat(Hashes.hex(Hkdf.sha256(repeat(0x0b, 22), new byte[0], new byte[0], 42))).isEqualTo(
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  }

  @Test
  void givesTinksBytesAtEveryLengthAndInputSize() throws Exception {
    Random random = new Random(5869);
    for (int length = 0; length <= 200; length += length < 70 ? 1 : 13) {
      byte[] ikm = bytes(random, random.nextInt(70));
      byte[] salt = bytes(random, length % 3 == 0 ? 0 : random.nextInt(70) + 1);
      byte[] info = bytes(random, random.nextInt(70));
      assertThat(Hkdf.sha256(ikm, salt, info, length)).as("length " + length)
          .isEqualTo(com.google.crypto.tink.subtle.Hkdf.computeHkdf("HMACSHA256", ikm, salt, info, length));
    }
  }

  @Test
  void refusesALengthHkdfCannotGive() {
    assertThatThrownBy(() -> Hkdf.sha256(new byte[32], new byte[0], new byte[0], 255 * 32 + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("8160");
  }

  private static byte[] repeat(int value, int count) {
    byte[] out = new byte[count];
    java.util.Arrays.fill(out, (byte) value);
    return out;
  }

  private static byte[] range(int first, int count) {
    byte[] out = new byte[count];
    for (int i = 0; i < count; i++) {
      out[i] = (byte) (first + i);
    }
    return out;
  }

  private static byte[] bytes(Random random, int count) {
    byte[] out = new byte[count];
    random.nextBytes(out);
    return out;
  }
}
