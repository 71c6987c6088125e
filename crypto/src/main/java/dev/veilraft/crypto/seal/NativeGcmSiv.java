package dev.veilraft.crypto.seal;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM-SIV (RFC 8452) from BoringSSL through Conscrypt's provider, which uses the CPU's AES
 * and carry-less multiply: a 300-byte session request opens in about 1 µs, where {@link AesGcmSiv}
 * (POLYVAL in Java, two key expansions per message) takes several. The provider is only used
 * through this class, never registered, so nothing else in the JVM changes provider.
 *
 * <p>Loaded once. When Conscrypt's native library does not load (a platform it ships no library
 * for), or its output differs from {@link AesGcmSiv}'s on a fixed message, or the system property
 * {@value #PROPERTY} is {@code java}, GCM-SIV runs in Java instead; it says which at start. Both give
 * the same bytes (tested), so replicas and clients may differ in which one they run.
 *
 * <p>One cipher per thread. It holds a copy of the last key it used until the next message, or
 * until {@link #scrubAll} re-keys every thread's cipher with a constant (an epoch's secrets being
 * erased, a client session retired).
 */
final class NativeGcmSiv {
  /** {@code java} runs GCM-SIV in Java even where Conscrypt loads. */
  static final String PROPERTY = "veilraft.crypto.gcmSiv";
  private static final Logger LOG = LoggerFactory.getLogger(NativeGcmSiv.class);
  private static final String ALGORITHM = "AES/GCM-SIV/NoPadding";
  private static final int TAG_BITS = AesGcmSiv.TAG_BYTES * 8;
  private static final SecretKeySpec SCRUB_KEY = new SecretKeySpec(new byte[AesGcmSiv.KEY_BYTES], "AES");
  private static final GCMParameterSpec SCRUB_NONCE = new GCMParameterSpec(TAG_BITS, new byte[AesGcmSiv.NONCE_BYTES]);

  private static final Provider PROVIDER = load();

  /** Every thread's cipher, held weakly: a thread's ends with it. */
  private static final Set<NativeGcmSiv> ALL = Collections.synchronizedSet(
      Collections.newSetFromMap(new WeakHashMap<>()));
  private static final ThreadLocal<NativeGcmSiv> PER_THREAD = ThreadLocal.withInitial(() -> {
    NativeGcmSiv cipher = new NativeGcmSiv();
    ALL.add(cipher);
    return cipher;
  });

  private final Cipher cipher;

  private NativeGcmSiv() {
    try {
      this.cipher = Cipher.getInstance(ALGORITHM, PROVIDER);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Conscrypt's " + ALGORITHM + " passed its check at load but is gone now", e);
    }
  }

  /** Whether GCM-SIV runs natively in this JVM. */
  static boolean available() {
    return PROVIDER != null;
  }

  /** This thread's cipher; only when {@link #available}. */
  static NativeGcmSiv get() {
    return PER_THREAD.get();
  }

  /** Seals {@code plaintext}: ciphertext || 16-byte tag, exactly {@link AesGcmSiv#seal}'s bytes. */
  synchronized byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    try {
      init(Cipher.ENCRYPT_MODE, key, nonce, aad);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " encryption failed in Conscrypt", e);
    }
  }

  /** Opens {@code sealed} (ciphertext || tag), or refuses it when the tag does not match, as {@link AesGcmSiv#open}. */
  synchronized byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws InvalidCipherTextException {
    if (sealed.length < AesGcmSiv.TAG_BYTES) {
      throw new InvalidCipherTextException("AES-GCM-SIV input of " + sealed.length + " bytes is shorter than its "
          + AesGcmSiv.TAG_BYTES + "-byte tag");
    }
    try {
      init(Cipher.DECRYPT_MODE, key, nonce, aad);
      return cipher.doFinal(sealed);
    } catch (AEADBadTagException e) {
      throw new InvalidCipherTextException("AES-GCM-SIV tag does not match");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " decryption failed in Conscrypt", e);
    }
  }

  private void init(int mode, byte[] key, byte[] nonce, byte[] aad) throws GeneralSecurityException {
    // The same checks and messages as the Java implementation's: a wrong size is a caller's bug.
    if (key.length != AesGcmSiv.KEY_BYTES) {
      throw new IllegalArgumentException("AES-256-GCM-SIV key must be " + AesGcmSiv.KEY_BYTES + " bytes, got "
          + key.length);
    }
    if (nonce.length != AesGcmSiv.NONCE_BYTES) {
      throw new IllegalArgumentException("AES-GCM-SIV nonce must be " + AesGcmSiv.NONCE_BYTES + " bytes, got "
          + nonce.length);
    }
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
  }

  /** Drops this cipher's copy of its last key: it is keyed with a constant instead. */
  private synchronized void scrub() {
    try {
      cipher.init(Cipher.ENCRYPT_MODE, SCRUB_KEY, SCRUB_NONCE);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " could not be re-keyed in Conscrypt", e);
    }
  }

  /** Re-keys every thread's cipher with a constant, so none holds a key it used. */
  static void scrubAll() {
    if (!available()) {
      return;
    }
    List<NativeGcmSiv> all;
    synchronized (ALL) {
      all = new ArrayList<>(ALL);
    }
    for (NativeGcmSiv cipher : all) {
      cipher.scrub();
    }
  }

  /**
   * Conscrypt's provider, when its native library loads and it seals a fixed message exactly as
   * {@link AesGcmSiv} does; else null (GCM-SIV then runs in Java). Any failure to load counts:
   * {@link UnsatisfiedLinkError} for a platform without a library, {@link NoClassDefFoundError}
   * without the jar.
   */
  private static Provider load() {
    if ("java".equals(System.getProperty(PROPERTY))) {
      LOG.info("AES-GCM-SIV runs in Java ({}=java)", PROPERTY);
      return null;
    }
    try {
      if (!Conscrypt.isAvailable()) {
        LOG.info("AES-GCM-SIV runs in Java: Conscrypt's native library is not available on this platform");
        return null;
      }
      Provider provider = Conscrypt.newProvider();
      byte[] key = new byte[AesGcmSiv.KEY_BYTES];
      byte[] nonce = new byte[AesGcmSiv.NONCE_BYTES];
      byte[] aad = new byte[23];
      byte[] message = new byte[77];
      for (int i = 0; i < message.length; i++) {
        message[i] = (byte) (i * 7 + 1);
        key[i % key.length] ^= (byte) (i * 13);
        nonce[i % nonce.length] ^= (byte) (i * 5);
        aad[i % aad.length] ^= (byte) (i * 3);
      }
      Cipher check = Cipher.getInstance(ALGORITHM, provider);
      check.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
      check.updateAAD(aad);
      byte[] expected = new AesGcmSiv(new JdkAesBlockCipher()).seal(key, nonce, aad, message);
      if (!Arrays.equals(check.doFinal(message), expected)) {
        LOG.error("AES-GCM-SIV runs in Java: Conscrypt's {} sealed a check message differently", ALGORITHM);
        return null;
      }
      Conscrypt.Version version = Conscrypt.version();
      LOG.info("AES-GCM-SIV runs natively (Conscrypt {}.{}.{})", version.major(), version.minor(), version.patch());
      return provider;
    } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
      LOG.info("AES-GCM-SIV runs in Java: Conscrypt did not load ({})", e.toString());
      return null;
    }
  }
}
