package dev.veilraft.crypto.seal;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchProviderException;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.OutputLengthException;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * The JDK's AES (SunJCE's {@code AES/ECB/NoPadding}, which HotSpot runs with the CPU's AES
 * instructions) under {@link AesGcmSiv}, with message keys kept expanded. It is also a Bouncy
 * Castle {@link BlockCipher}, which lets tests hold it against Bouncy Castle's {@code AESEngine}
 * block for block. Bouncy Castle's table-driven AES was about half of opening a 330-byte session
 * request (JMH {@code ApplyBench} under async-profiler, session 23).
 *
 * <p>GCM-SIV keys its block cipher twice per message: with the message key, the same for every
 * request of a client session, then with a key derived from it and the nonce, new every time. The
 * JDK's key expansion costs about what twenty blocks do, so message keys {@linkplain #keep kept}
 * stay expanded (the {@value #KEPT_MAX} most recently used) and other keys are expanded in a
 * scratch cipher. {@link #forgetKept} scrubs them all (an epoch's secrets are being erased).
 *
 * <p>Not thread-safe, like every block cipher: {@link SessionSealing} keeps one per thread and
 * holds its monitor while it uses it, so that {@link #forgetKept} may run from another thread.
 */
final class JdkAesBlockCipher implements BlockCipher {
  private static final int BLOCK_BYTES = 16;
  private static final byte[] SCRUB_KEY = new byte[32];
  /** Message keys kept expanded per thread: a replica's apply thread interleaves a few clients' sessions. */
  static final int KEPT_MAX = 8;

  /** The JDK has no usable AES: an environment failure, never a verdict on a message. */
  static final class Unavailable extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Cipher scratch = newCipher();
  private final Cipher[] kept = new Cipher[KEPT_MAX];
  private final byte[][] keptKeys = new byte[KEPT_MAX][];
  private final long[] keptUsed = new long[KEPT_MAX];
  private long uses;
  private Cipher active;
  private boolean activeEncrypts;
  /** Key expansions done so far (kept and scratch), for tests. */
  private long expansions;

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
    if (active == kept[slot]) {
      active = null;
    }
    if (keptKeys[slot] != null) {
      Arrays.fill(keptKeys[slot], (byte) 0);
      keptKeys[slot] = null;
    }
    initialize(kept[slot], true, key);
    keptKeys[slot] = key.clone();
    keptUsed[slot] = ++uses;
  }

  /** Forgets {@code key} if it is kept, re-keying its cipher with zeros. */
  void forget(byte[] key) {
    int slot = find(key);
    if (slot >= 0) {
      scrub(slot);
    }
  }

  /** Forgets every kept key and re-keys every cipher with zeros, so no expanded key outlives this call. */
  void forgetKept() {
    for (int i = 0; i < KEPT_MAX; i++) {
      if (keptKeys[i] != null) {
        scrub(i);
      }
    }
    initialize(scratch, true, SCRUB_KEY);
    active = null;
  }

  private void scrub(int slot) {
    Arrays.fill(keptKeys[slot], (byte) 0);
    keptKeys[slot] = null;
    initialize(kept[slot], true, SCRUB_KEY);
    if (active == kept[slot]) {
      active = null;
    }
  }

  /** Keys kept expanded now, for tests. */
  synchronized int keptCount() {
    int count = 0;
    for (byte[] key : keptKeys) {
      if (key != null) {
        count++;
      }
    }
    return count;
  }

  /** Key expansions since this cipher was made: a kept key's uses after the first cost none. */
  long expansions() {
    return expansions;
  }

  @Override
  public void init(boolean forEncryption, CipherParameters params) {
    active = null;
    if (!(params instanceof KeyParameter key)) {
      throw new IllegalArgumentException("AES takes a KeyParameter, got "
          + (params == null ? "null" : params.getClass().getName()));
    }
    select(forEncryption, key.getKey());
  }

  /** Keys this cipher to encrypt under {@code key}: its kept expansion if it has one, else the scratch cipher's. */
  void initEncryption(byte[] key) {
    active = null;
    select(true, key);
  }

  private void select(boolean forEncryption, byte[] key) {
    int slot = forEncryption ? find(key) : -1;
    if (slot >= 0) {
      keptUsed[slot] = ++uses;
      active = kept[slot];
    } else {
      initialize(scratch, forEncryption, key);
      active = scratch;
    }
    activeEncrypts = forEncryption;
  }

  /**
   * Encrypts {@code length} bytes, a whole number of blocks, in one call to the JDK (ECB). In and
   * out may be one array, but the JDK then copies the input first.
   */
  void encryptBlocks(byte[] in, int inOff, int length, byte[] out, int outOff) {
    if (active == null || !activeEncrypts) {
      throw new IllegalStateException("AES used to encrypt before initEncryption");
    }
    if (length % BLOCK_BYTES != 0) {
      throw new IllegalArgumentException("AES encrypts whole 16-byte blocks, got " + length + " bytes");
    }
    try {
      int written = active.update(in, inOff, length, out, outOff);
      if (written != length) {
        throw new Unavailable("AES/ECB wrote " + written + " bytes for " + length, null);
      }
    } catch (ShortBufferException e) {
      throw new OutputLengthException("output buffer too short for " + length + " bytes of AES");
    }
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
        throw new Unavailable("AES/ECB wrote " + written + " bytes for one block", null);
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

  private void initialize(Cipher cipher, boolean forEncryption, byte[] key) {
    try {
      cipher.init(forEncryption ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"));
      expansions++;
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException("AES refused a " + key.length + "-byte key", e);
    }
  }

  /** SunJCE's AES by name, so a provider an application registers first cannot swap the engine; else the JDK's choice. */
  private static Cipher newCipher() {
    try {
      try {
        return Cipher.getInstance("AES/ECB/NoPadding", "SunJCE");
      } catch (NoSuchProviderException e) {
        return Cipher.getInstance("AES/ECB/NoPadding");
      }
    } catch (GeneralSecurityException e) {
      throw new Unavailable("this JDK has no AES/ECB/NoPadding cipher", e);
    }
  }
}
