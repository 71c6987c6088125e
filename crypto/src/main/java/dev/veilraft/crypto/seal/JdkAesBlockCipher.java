package dev.veilraft.crypto.seal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.OutputLengthException;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The JDK's AES (its {@code AES/ECB/NoPadding} cipher, which HotSpot runs with the CPU's AES
 * instructions) as a Bouncy Castle {@link BlockCipher}, for Bouncy Castle's AES-GCM-SIV: the mode
 * stays Bouncy Castle's, only the single-block AES under it changes. With Bouncy Castle's own
 * table-driven {@code AESEngine}, AES was about half of opening a 330-byte session request
 * (JMH {@code ApplyBench} under async-profiler, session 23).
 *
 * <p>GCM-SIV keys its block cipher twice per message: with the message key, the same for every
 * request of a client session, then with a key derived from it and the nonce, new every time. The
 * JDK's key expansion costs about what twenty blocks do, so message keys {@linkplain #keep kept}
 * stay expanded (the {@value #KEPT_MAX} most recently used) and only derived keys are expanded
 * per message, in a scratch cipher.
 *
 * <p>Not thread-safe, like every block cipher: {@link SessionSealing} keeps one per thread.
 */
final class JdkAesBlockCipher implements BlockCipher {
  private static final int BLOCK_BYTES = 16;
  /** Message keys kept expanded per thread: a replica's apply thread interleaves a few clients' sessions. */
  static final int KEPT_MAX = 8;

  private final Cipher scratch = newCipher();
  private final Cipher[] kept = new Cipher[KEPT_MAX];
  private final byte[][] keptKeys = new byte[KEPT_MAX][];
  private final long[] keptUsed = new long[KEPT_MAX];
  private long uses;
  private Cipher active;

  /** Keeps {@code key} expanded for encryption, evicting the least recently used kept key when all slots are taken. */
  void keep(byte[] key) {
    if (find(key) >= 0) {
      return;
    }
    int slot = 0;
    for (int i = 0; i < KEPT_MAX; i++) {
      if (keptKeys[i] == null) {
        slot = i;
        break;
      }
      if (keptUsed[i] < keptUsed[slot]) {
        slot = i;
      }
    }
    if (kept[slot] == null) {
      kept[slot] = newCipher();
    }
    keptKeys[slot] = null;
    initialize(kept[slot], true, key);
    keptKeys[slot] = key.clone();
    keptUsed[slot] = ++uses;
  }

  @Override
  public void init(boolean forEncryption, CipherParameters params) {
    if (!(params instanceof KeyParameter key)) {
      throw new IllegalArgumentException("AES takes a KeyParameter, got "
          + (params == null ? "null" : params.getClass().getName()));
    }
    byte[] bytes = key.getKey();
    int slot = forEncryption ? find(bytes) : -1;
    if (slot >= 0) {
      keptUsed[slot] = ++uses;
      active = kept[slot];
      return;
    }
    initialize(scratch, forEncryption, bytes);
    active = scratch;
  }

  @Override
  public String getAlgorithmName() {
    return "AES";
  }

  @Override
  public int getBlockSize() {
    return BLOCK_BYTES;
  }

  @Override
  public int processBlock(byte[] in, int inOff, byte[] out, int outOff) {
    if (active == null) {
      throw new IllegalStateException("AES used before init");
    }
    try {
      int written = active.update(in, inOff, BLOCK_BYTES, out, outOff);
      if (written != BLOCK_BYTES) {
        throw new IllegalStateException("AES/ECB wrote " + written + " bytes for one block");
      }
      return BLOCK_BYTES;
    } catch (ShortBufferException e) {
      throw new OutputLengthException("output buffer too short for an AES block");
    }
  }

  @Override
  public void reset() {
    // ECB without padding keeps no state between blocks.
  }

  private int find(byte[] key) {
    for (int i = 0; i < KEPT_MAX; i++) {
      if (keptKeys[i] != null && MessageDigest.isEqual(keptKeys[i], key)) {
        return i;
      }
    }
    return -1;
  }

  private static void initialize(Cipher cipher, boolean forEncryption, byte[] key) {
    try {
      cipher.init(forEncryption ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("AES refused a " + key.length + "-byte key", e);
    }
  }

  private static Cipher newCipher() {
    try {
      return Cipher.getInstance("AES/ECB/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no AES/ECB/NoPadding cipher", e);
    }
  }
}
