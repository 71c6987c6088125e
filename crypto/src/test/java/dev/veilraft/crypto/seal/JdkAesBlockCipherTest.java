package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.junit.jupiter.api.Test;

class JdkAesBlockCipherTest {
  @Test
  void everyBlockIsBouncyCastlesAesWhateverKeysAreKeptOrEvicted() throws Exception {
    // Proves the JDK-backed block cipher is AES: for 128- and 256-bit keys, both directions, block for block what
    // Bouncy Castle's AESEngine gives, while kept keys (more than KEPT_MAX, so some are evicted and kept again) and
    // one-off keys alternate as GCM-SIV uses them.
    Random random = new Random(42);
    JdkAesBlockCipher jdk = new JdkAesBlockCipher();
    byte[][] sessionKeys = new byte[JdkAesBlockCipher.KEPT_MAX + 3][];
    for (int i = 0; i < sessionKeys.length; i++) {
      sessionKeys[i] = bytes(random, i % 2 == 0 ? 32 : 16);
    }
    for (int round = 0; round < 200; round++) {
      byte[] sessionKey = sessionKeys[random.nextInt(sessionKeys.length)];
      jdk.keep(sessionKey);
      assertSameAsBouncyCastle(jdk, true, sessionKey, random);
      assertSameAsBouncyCastle(jdk, true, bytes(random, 32), random);
      assertSameAsBouncyCastle(jdk, false, sessionKey, random);
      assertSameAsBouncyCastle(jdk, round % 3 == 0, bytes(random, 16), random);
    }
  }

  @Test
  void keptKeysAreExpandedOnceAndTheLeastRecentlyUsedGoesFirst() {
    // Proves the cache, not only the bytes: a kept key costs no expansion when used again, a ninth kept key evicts the
    // least recently used one (not one just used), and forgetKept drops them all.
    JdkAesBlockCipher jdk = new JdkAesBlockCipher();
    byte[][] keys = new byte[JdkAesBlockCipher.KEPT_MAX + 1][];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = new byte[32];
      keys[i][0] = (byte) (i + 1);
    }
    for (int i = 0; i < JdkAesBlockCipher.KEPT_MAX; i++) {
      jdk.keep(keys[i]);
    }
    long expanded = jdk.expansions();
    for (int i = JdkAesBlockCipher.KEPT_MAX - 1; i >= 0; i--) {
      jdk.init(true, new KeyParameter(keys[i]));
    }
    assertThat(jdk.expansions()).as("kept keys used again").isEqualTo(expanded);
    jdk.init(true, new KeyParameter(keys[0]));
    jdk.keep(keys[JdkAesBlockCipher.KEPT_MAX]);
    expanded = jdk.expansions();
    jdk.init(true, new KeyParameter(keys[0]));
    jdk.init(true, new KeyParameter(keys[JdkAesBlockCipher.KEPT_MAX]));
    assertThat(jdk.expansions()).as("the most recently used and the newest are kept").isEqualTo(expanded);
    jdk.init(true, new KeyParameter(keys[JdkAesBlockCipher.KEPT_MAX - 1]));
    assertThat(jdk.expansions()).as("the least recently used was evicted").isEqualTo(expanded + 1);
    jdk.init(false, new KeyParameter(keys[0]));
    assertThat(jdk.expansions()).as("the decrypting direction is never a kept key's").isEqualTo(expanded + 2);

    jdk.forgetKept();
    expanded = jdk.expansions();
    jdk.init(true, new KeyParameter(keys[0]));
    assertThat(jdk.expansions()).as("nothing kept after forgetKept").isEqualTo(expanded + 1);
    assertThatThrownBy(() -> {
      jdk.forgetKept();
      jdk.processBlock(new byte[16], 0, new byte[16], 0);
    }).isInstanceOf(IllegalStateException.class).hasMessageContaining("before init");
  }

  @Test
  void wrongParametersAndUseBeforeInitAreRefused() {
    // Proves misuse fails loudly: parameters that are not a bare key, a key of a length AES has not, a block
    // before any key.
    JdkAesBlockCipher jdk = new JdkAesBlockCipher();
    assertThatThrownBy(() -> jdk.processBlock(new byte[16], 0, new byte[16], 0))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("before init");
    assertThatThrownBy(() -> jdk.init(true, new ParametersWithIV(new KeyParameter(new byte[32]), new byte[12])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KeyParameter");
    assertThatThrownBy(() -> jdk.init(true, new KeyParameter(new byte[15])))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("15-byte key");
    assertThatThrownBy(() -> jdk.keep(new byte[7]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("7-byte key");
  }

  private static void assertSameAsBouncyCastle(JdkAesBlockCipher jdk, boolean encrypt, byte[] key, Random random) {
    org.bouncycastle.crypto.BlockCipher reference = AESEngine.newInstance();
    reference.init(encrypt, new KeyParameter(key));
    jdk.init(encrypt, new KeyParameter(key));
    for (int block = 0; block < 3; block++) {
      byte[] in = bytes(random, 16);
      byte[] expected = new byte[16];
      byte[] actual = new byte[20];
      reference.processBlock(in, 0, expected, 0);
      assertThat(jdk.processBlock(in, 0, actual, 4)).isEqualTo(16);
      assertThat(java.util.Arrays.copyOfRange(actual, 4, 20)).as("key length %d, encrypt %s", key.length, encrypt)
          .isEqualTo(expected);
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }
}
