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
 * JDK's cipher objects and Tink's did; {@link #sealAndForgetKey} re-keys it with a constant after the
 * message, for short-lived keys (an answer's response key).
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
  private static final GCMParameterSpec SCRUB_NONCE = new GCMParameterSpec(TAG_BYTES * 8, new byte[NONCE_BYTES]);

  private static final Provider NATIVE = load();
  private static final ThreadLocal<Cipher> PER_THREAD = ThreadLocal.withInitial(AesGcm::newCipher);

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
   * javax.crypto.AEADBadTagException} when they do not authenticate.
   */
  static byte[] open(SecretKeySpec key, byte[] nonce, int nonceOffset, byte[] aad, byte[] in, int offset, int length)
      throws GeneralSecurityException {
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
    Cipher cipher = PER_THREAD.get();
    try {
      cipher.init(mode, key, parameters);
    } catch (InvalidAlgorithmParameterException e) {
      if (mode != Cipher.ENCRYPT_MODE) {
        throw e;
      }
      // SunJCE refuses to encrypt twice in a row under one key and nonce on the same object. With a
      // random nonce that never happens; with a caller's (DeterministicCipher) it is the same answer
      // sealed again (an entry applied again), whose bytes are the same: a fresh object takes it.
      cipher = newCipher();
      PER_THREAD.set(cipher);
      cipher.init(mode, key, parameters);
    }
    cipher.updateAAD(aad);
    return cipher;
  }

  /** Re-keys this thread's cipher with a constant (decrypt mode, which SunJCE lets repeat). */
  private static void forgetKey() {
    try {
      PER_THREAD.get().init(Cipher.DECRYPT_MODE, SCRUB_KEY, SCRUB_NONCE);
    } catch (GeneralSecurityException | RuntimeException e) {
      PER_THREAD.remove();
      LOG.warn("the AES-GCM cipher could not be re-keyed after a message ({}); this thread makes a new one", e.toString());
    }
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
    String configured = System.getProperty(PROPERTY);
    if ("java".equals(configured)) {
      LOG.info("AES-GCM runs in Java ({}=java)", PROPERTY);
      return null;
    }
    if (configured != null && !configured.equals("native")) {
      LOG.warn("{}={} is neither 'java' nor 'native': AES-GCM runs natively where it can", PROPERTY, configured);
    }
    Provider provider = NativeCiphers.conscryptOrNull();
    if (provider == null) {
      LOG.info("AES-GCM runs in Java: {}", NativeCiphers.unavailableBecause());
      return null;
    }
    try {
      byte[][] check = NativeCiphers.checkMessage(KEY_BYTES, NONCE_BYTES);
      Cipher java = Cipher.getInstance(ALGORITHM);
      java.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(check[0], "AES"), new GCMParameterSpec(TAG_BYTES * 8, check[1]));
      java.updateAAD(check[2]);
      String mismatch = NativeCiphers.differsFrom(provider, ALGORITHM, check[0], check[1], check[2], check[3],
          java.doFinal(check[3]));
      if (mismatch != null) {
        LOG.error("AES-GCM runs in Java: Conscrypt's {} {}", ALGORITHM, mismatch);
        return null;
      }
      LOG.info("AES-GCM runs natively (Conscrypt {})", NativeCiphers.conscryptVersion());
      return provider;
    } catch (GeneralSecurityException | RuntimeException e) {
      LOG.warn("AES-GCM runs in Java: Conscrypt failed its check ({})", e.toString());
      return null;
    }
  }
}
