package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.Provider;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM with a 96-bit nonce and a 128-bit tag, as {@link AesGcmAead} (records, snapshots,
 * sealed files) and {@link DeterministicCipher} (answers) use it: natively through Conscrypt where
 * it loads ({@link NativeCiphers}) and seals, opens and refuses a fixed message exactly as the JDK's
 * SunJCE does, else through the JDK. Both give the same bytes, so members may differ in which one
 * they run.
 *
 * <p>Natively a 256-byte record seals in about 0.9 µs with about 600 B allocated, where Tink's
 * {@code AesGcmJce} over SunJCE took 1.3 µs and 1.7 KB with its copy into the record's header
 * (session 38); most of the difference is what SunJCE allocates to set up every message.
 *
 * <p>One cipher per thread. It keeps the last message's key until the thread's next message, as the
 * JDK's cipher objects and Tink's did; {@link #sealAndForgetKey} and {@link #openAndForgetKey}
 * re-key it for encryption with a constant key after the message, for short-lived keys (an answer's
 * response key): both providers keep the last encryption's key (to refuse a repeated key and nonce)
 * until the next encryption. The copies they made are left to the collector, not zeroed.
 */
final class AesGcm {
  /** {@code java} runs AES-GCM through the JDK even where Conscrypt loads; {@code native} (or unset): natively where it can. */
  static final String PROPERTY = "veilraft.crypto.aesGcm";
  static final int KEY_BYTES = 32;
  static final int NONCE_BYTES = 12;
  static final int TAG_BYTES = 16;
  private static final Logger LOG = LoggerFactory.getLogger(AesGcm.class);
  private static final String ALGORITHM = "AES/GCM/NoPadding";
  private static final SecretKeySpec SCRUB_KEY = new SecretKeySpec(new byte[KEY_BYTES], "AES");

  private static final Provider NATIVE = load();
  private static final ThreadLocal<PerThread> PER_THREAD = ThreadLocal.withInitial(PerThread::new);

  /** A thread's cipher; whether it holds a caller's key now; how often it was scrubbed (the scrub's nonce). */
  private static final class PerThread {
    Cipher cipher = newCipher();
    boolean keyed;
    long scrubs;
  }

  private AesGcm() {}

  /** Where this JVM runs AES-GCM: {@code native} (Conscrypt's BoringSSL) or {@code java}. */
  static String implementation() {
    return NATIVE != null ? "native" : "java";
  }

  /**
   * Seals {@code plaintext} into {@code out} at {@code outOffset} (ciphertext, then the tag: {@code
   * plaintext.length + 16} bytes) under {@code key} and the 12 nonce bytes of {@code nonce} at
   * {@code nonceOffset}, which may lie in {@code out} before {@code outOffset}.
   */
  static void seal(SecretKeySpec key, byte[] nonce, int nonceOffset, byte[] aad, byte[] plaintext, byte[] out,
      int outOffset) throws GeneralSecurityException {
    Cipher cipher = init(Cipher.ENCRYPT_MODE, key, nonce, nonceOffset, aad);
    cipher.doFinal(plaintext, 0, plaintext.length, out, outOffset);
  }

  /** {@link #seal} into a new array, then the thread's cipher forgets {@code key}. */
  static byte[] sealAndForgetKey(SecretKeySpec key, byte[] nonce, byte[] aad, byte[] plaintext)
      throws GeneralSecurityException {
    byte[] out = new byte[plaintext.length + TAG_BYTES];
    try {
      seal(key, nonce, 0, aad, plaintext, out, 0);
    } finally {
      forgetKey();
    }
    return out;
  }

  /**
   * Opens {@code length} bytes of {@code in} at {@code offset} (ciphertext, then the tag); {@link
   * javax.crypto.AEADBadTagException} when they do not authenticate or are shorter than the tag.
   */
  static byte[] open(SecretKeySpec key, byte[] nonce, int nonceOffset, byte[] aad, byte[] in, int offset, int length)
      throws GeneralSecurityException {
    if (length < TAG_BYTES) {
      // SunJCE fails such an input with a ProviderException, not as a refusal.
      throw new javax.crypto.AEADBadTagException("AES-GCM input of " + length + " bytes is shorter than its "
          + TAG_BYTES + "-byte tag");
    }
    Cipher cipher = init(Cipher.DECRYPT_MODE, key, nonce, nonceOffset, aad);
    return cipher.doFinal(in, offset, length);
  }

  /** {@link #open} of all of {@code in}, then the thread's cipher forgets {@code key}. */
  static byte[] openAndForgetKey(SecretKeySpec key, byte[] nonce, byte[] aad, byte[] in)
      throws GeneralSecurityException {
    try {
      return open(key, nonce, 0, aad, in, 0, in.length);
    } finally {
      forgetKey();
    }
  }

  private static Cipher init(int mode, SecretKeySpec key, byte[] nonce, int nonceOffset, byte[] aad)
      throws GeneralSecurityException {
    GCMParameterSpec parameters = new GCMParameterSpec(TAG_BYTES * 8, nonce, nonceOffset, NONCE_BYTES);
    PerThread mine = PER_THREAD.get();
    mine.keyed = true;
    try {
      mine.cipher.init(mode, key, parameters);
    } catch (InvalidAlgorithmParameterException e) {
      if (mode != Cipher.ENCRYPT_MODE) {
        throw e;
      }
      // Both providers refuse to encrypt twice in a row under one key and nonce on the same object.
      // With a random nonce that never happens; with a caller's (DeterministicCipher) it is the same
      // answer sealed again (an entry applied again), whose bytes are the same: a fresh object takes it.
      mine.cipher = newCipher();
      mine.cipher.init(mode, key, parameters);
    }
    mine.cipher.updateAAD(aad);
    return mine.cipher;
  }

  /**
   * Re-keys this thread's cipher for encryption under a constant key, so neither provider keeps the
   * caller's key as its last encryption key; the nonce counts the thread's scrubs, so no scrub
   * repeats the one before it (which both providers would refuse).
   */
  private static void forgetKey() {
    PerThread mine = PER_THREAD.get();
    byte[] nonce = new byte[NONCE_BYTES];
    long count = ++mine.scrubs;
    for (int i = 0; i < 8; i++) {
      nonce[NONCE_BYTES - 1 - i] = (byte) (count >>> (8 * i));
    }
    try {
      mine.cipher.init(Cipher.ENCRYPT_MODE, SCRUB_KEY, new GCMParameterSpec(TAG_BYTES * 8, nonce));
      mine.keyed = false;
    } catch (GeneralSecurityException | RuntimeException e) {
      PER_THREAD.remove();
      LOG.warn("the AES-GCM cipher could not be re-keyed after a message ({}); this thread makes a new one", e.toString());
    }
  }

  /** Whether this thread's cipher holds a caller's key right now: tests. */
  static boolean keyedOnThisThread() {
    return PER_THREAD.get().keyed;
  }

  private static Cipher newCipher() {
    try {
      return NATIVE != null ? Cipher.getInstance(ALGORITHM, NATIVE) : Cipher.getInstance(ALGORITHM);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  /**
   * Conscrypt's provider when it loads and its AES-GCM seals, opens and refuses a fixed message
   * exactly as the JDK's does; else null (AES-GCM then runs through the JDK).
   */
  private static Provider load() {
    return NativeCiphers.checked("AES-GCM", ALGORITHM, PROPERTY, KEY_BYTES, NONCE_BYTES, (key, nonce, aad, message) -> {
      Cipher java = Cipher.getInstance(ALGORITHM);
      java.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BYTES * 8, nonce));
      java.updateAAD(aad);
      return java.doFinal(message);
    }, LOG);
  }
}
