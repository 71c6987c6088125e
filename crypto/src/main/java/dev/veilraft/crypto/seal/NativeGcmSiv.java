package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.NativeCiphers;
import java.security.GeneralSecurityException;
import java.security.Provider;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AES-256-GCM-SIV (RFC 8452) from BoringSSL through Conscrypt's provider, which uses the CPU's AES
 * and carry-less multiply: a 256-byte session request opens in about 1.7 µs (JMH, with the rest of
 * the open), where {@link AesGcmSiv} (POLYVAL in Java, AES key expansions per message) takes about
 * 3.9 µs with its key kept expanded. The provider ({@link NativeCiphers}, shared with AES-GCM's
 * {@code AesGcm}) is never registered, so nothing else in the JVM changes provider.
 *
 * <p>Loaded once, on first use or when the node starts ({@link SessionSealing#gcmSivImplementation}).
 * When Conscrypt's native library does not load (it ships one for Linux on x86-64 and AArch64 and
 * for Windows on x86-64), or it does not seal, open and refuse a fixed message exactly as {@link
 * AesGcmSiv} does, or the system property {@value #PROPERTY} is {@code java}, GCM-SIV runs in Java
 * instead; the log says which and why. Both give the same bytes (tested), so replicas and clients
 * may differ in which one they run.
 *
 * <p>One cipher per thread, re-keyed with a constant after every message, so it never keeps a
 * reference to a key past the call (the copies Conscrypt made are left to the collector, not
 * zeroed). A failure here that is not a refusal of the input ({@link Failed}) is this JVM's, never
 * a verdict on the message: the caller then runs the message in Java.
 */
final class NativeGcmSiv implements GcmSiv {
  /** {@code java} runs GCM-SIV in Java even where Conscrypt loads; {@code native} (or unset): natively where it can. */
  static final String PROPERTY = "veilraft.crypto.gcmSiv";
  private static final Logger LOG = LoggerFactory.getLogger(NativeGcmSiv.class);
  private static final String ALGORITHM = "AES/GCM-SIV/NoPadding";
  private static final int TAG_BITS = AesGcmSiv.TAG_BYTES * 8;
  private static final SecretKeySpec SCRUB_KEY = new SecretKeySpec(new byte[AesGcmSiv.KEY_BYTES], "AES");
  private static final GCMParameterSpec SCRUB_NONCE = new GCMParameterSpec(TAG_BITS, new byte[AesGcmSiv.NONCE_BYTES]);

  private static final Provider PROVIDER = load();
  private static final ThreadLocal<NativeGcmSiv> PER_THREAD = ThreadLocal.withInitial(NativeGcmSiv::new);

  /** A local failure of the native cipher (not a refusal of the input): run the message in Java instead. */
  static final class Failed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Failed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Cipher cipher;
  /** Whether the cipher holds a caller's key right now (only during a call): tests. */
  private boolean keyed;

  /** A stand-in whose cipher could not be made (every call fails locally): tests of the fallback. */
  static NativeGcmSiv brokenForTest() {
    return new NativeGcmSiv((Cipher) null);
  }

  /** Makes {@code cipher} this thread's: tests. */
  static void useOnThisThreadForTest(NativeGcmSiv cipher) {
    PER_THREAD.set(cipher);
  }

  private NativeGcmSiv(Cipher cipher) {
    this.cipher = cipher;
  }

  private NativeGcmSiv() {
    Cipher made;
    try {
      made = Cipher.getInstance(ALGORITHM, PROVIDER);
    } catch (GeneralSecurityException | RuntimeException e) {
      made = null;
      LOG.warn("Conscrypt's {} passed its check at load but cannot be made now ({}); this thread runs GCM-SIV in Java",
          ALGORITHM, e.toString());
    }
    this.cipher = made;
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
  @Override
  public synchronized byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    checkSizes(key, nonce);
    try {
      init(Cipher.ENCRYPT_MODE, key, nonce, aad);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new Failed(ALGORITHM + " encryption failed in Conscrypt", e);
    } finally {
      scrub();
    }
  }

  /** Opens {@code sealed} (ciphertext || tag), or refuses it when the tag does not match, as {@link AesGcmSiv#open}. */
  @Override
  public synchronized byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws InvalidCipherTextException {
    checkSizes(key, nonce);
    if (sealed.length < AesGcmSiv.TAG_BYTES) {
      throw new InvalidCipherTextException("AES-GCM-SIV input of " + sealed.length + " bytes is shorter than its "
          + AesGcmSiv.TAG_BYTES + "-byte tag");
    }
    try {
      init(Cipher.DECRYPT_MODE, key, nonce, aad);
      return cipher.doFinal(sealed);
    } catch (AEADBadTagException e) {
      throw new InvalidCipherTextException("AES-GCM-SIV tag does not match");
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new Failed(ALGORITHM + " decryption failed in Conscrypt", e);
    } finally {
      scrub();
    }
  }

  /** The same checks and messages as the Java implementation's: a wrong size is a caller's bug. */
  private static void checkSizes(byte[] key, byte[] nonce) {
    if (key.length != AesGcmSiv.KEY_BYTES) {
      throw new IllegalArgumentException("AES-256-GCM-SIV key must be " + AesGcmSiv.KEY_BYTES + " bytes, got "
          + key.length);
    }
    if (nonce.length != AesGcmSiv.NONCE_BYTES) {
      throw new IllegalArgumentException("AES-GCM-SIV nonce must be " + AesGcmSiv.NONCE_BYTES + " bytes, got "
          + nonce.length);
    }
  }

  private void init(int mode, byte[] key, byte[] nonce, byte[] aad) throws GeneralSecurityException {
    if (cipher == null) {
      throw new GeneralSecurityException("no " + ALGORITHM + " cipher on this thread");
    }
    keyed = true;
    cipher.init(mode, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
    cipher.updateAAD(aad);
  }

  /** Drops the cipher's reference to the caller's key: it is keyed with a constant instead. */
  private void scrub() {
    if (cipher == null) {
      return;
    }
    try {
      cipher.init(Cipher.ENCRYPT_MODE, SCRUB_KEY, SCRUB_NONCE);
      keyed = false;
    } catch (GeneralSecurityException | RuntimeException e) {
      LOG.warn("Conscrypt's {} could not be re-keyed after a message ({})", ALGORITHM, e.toString());
    }
  }

  synchronized boolean keyed() {
    return keyed;
  }

  /**
   * Conscrypt's provider, when its native library loads and it seals, opens and refuses a fixed
   * message exactly as {@link AesGcmSiv} does; else null (GCM-SIV then runs in Java). Any failure
   * to load counts: {@link UnsatisfiedLinkError} for a platform without a library, {@link
   * NoClassDefFoundError} without the jar (an optional dependency of this module).
   */
  private static Provider load() {
    return NativeCiphers.checked("AES-GCM-SIV", ALGORITHM, PROPERTY, AesGcmSiv.KEY_BYTES, AesGcmSiv.NONCE_BYTES,
        (key, nonce, aad, message) -> new AesGcmSiv(new JdkAesBlockCipher()).seal(key, nonce, aad, message), LOG);
  }
}
