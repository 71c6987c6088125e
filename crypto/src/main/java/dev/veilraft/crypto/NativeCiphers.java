package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.conscrypt.Conscrypt;

/**
 * Conscrypt's provider (BoringSSL through JNI, with the CPU's AES and carry-less multiply), for the
 * AEADs veilraft runs natively where it can: AES-256-GCM ({@link AesGcm}) and AES-256-GCM-SIV
 * ({@code seal.NativeGcmSiv}). Made once per JVM and never registered, so nothing else in the JVM
 * changes provider. Each cipher checks the provider against its Java implementation on a fixed
 * message ({@link #differsFrom}) before it uses it, and runs in Java when the check fails.
 */
public final class NativeCiphers {
  private NativeCiphers() {}

  private static final Object CONSCRYPT = make();

  /**
   * Conscrypt's provider, or null when its native library does not load here (it ships one for
   * Linux on x86-64 and AArch64 and for Windows on x86-64) or the jar is missing (an optional
   * dependency of this module): then {@link #unavailableBecause} says why.
   */
  public static Provider conscryptOrNull() {
    return CONSCRYPT instanceof Provider provider ? provider : null;
  }

  /** Why {@link #conscryptOrNull} is null, or null when it is not. */
  public static String unavailableBecause() {
    return CONSCRYPT instanceof String why ? why : null;
  }

  /** {@code major.minor.patch} of the Conscrypt that loaded, or null. */
  public static String conscryptVersion() {
    if (conscryptOrNull() == null) {
      return null;
    }
    Conscrypt.Version version = Conscrypt.version();
    return version.major() + "." + version.minor() + "." + version.patch();
  }

  private static Object make() {
    try {
      if (!Conscrypt.isAvailable()) {
        Throwable why = null;
        try {
          Conscrypt.checkAvailability();
        } catch (Throwable unavailable) {
          why = unavailable;
        }
        return "Conscrypt's native library is not available here (" + why + ")";
      }
      return Conscrypt.newProvider();
    } catch (LinkageError e) {
      return "Conscrypt is not on the class path or did not load (" + e + ")";
    } catch (RuntimeException e) {
      return "Conscrypt's provider could not be made (" + e + ")";
    }
  }

  /**
   * Why {@code provider}'s {@code algorithm} (an AEAD with a 128-bit tag and a {@link
   * GCMParameterSpec} nonce) differs from the Java implementation on a fixed message, or null when
   * it does not: {@code expected} is what the Java implementation sealed ({@code message} under
   * {@code key}, {@code nonce} and {@code aad}); the provider must seal it to the same bytes, open
   * them, and refuse them with one bit changed.
   */
  public static String differsFrom(Provider provider, String algorithm, byte[] key, byte[] nonce, byte[] aad,
      byte[] message, byte[] expected) throws GeneralSecurityException {
    Cipher check = Cipher.getInstance(algorithm, provider);
    check.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    check.updateAAD(aad);
    if (!Arrays.equals(check.doFinal(message), expected)) {
      return "sealed a check message differently";
    }
    check.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    check.updateAAD(aad);
    if (!Arrays.equals(check.doFinal(expected), message)) {
      return "opened a check message differently";
    }
    byte[] altered = expected.clone();
    altered[altered.length - 1] ^= 1;
    check.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    check.updateAAD(aad);
    try {
      check.doFinal(altered);
      return "opened an altered check message";
    } catch (AEADBadTagException expectedRefusal) {
      return null;
    }
  }

  /** A fixed check message's parts for {@link #differsFrom}: key, nonce, aad, message. */
  public static byte[][] checkMessage(int keyBytes, int nonceBytes) {
    byte[] key = new byte[keyBytes];
    byte[] nonce = new byte[nonceBytes];
    byte[] aad = new byte[23];
    byte[] message = new byte[77];
    for (int i = 0; i < message.length; i++) {
      message[i] = (byte) (i * 7 + 1);
      key[i % key.length] ^= (byte) (i * 13);
      nonce[i % nonce.length] ^= (byte) (i * 5);
      aad[i % aad.length] ^= (byte) (i * 3);
    }
    return new byte[][] {key, nonce, aad, message};
  }
}
