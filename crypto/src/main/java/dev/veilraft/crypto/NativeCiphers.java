package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.security.Provider;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;

/**
 * Conscrypt's provider (BoringSSL through JNI, with the CPU's AES and carry-less multiply), for the
 * AEADs veilraft runs natively where it can: AES-256-GCM ({@link AesGcm}) and AES-256-GCM-SIV
 * ({@code seal.NativeGcmSiv}). Made once per JVM and never registered, so nothing else in the JVM
 * changes provider. Each cipher checks the provider against its Java implementation on a fixed
 * message ({@link #checked}) before it uses it, and runs in Java when the check fails.
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

  /** What the Java implementation seals a message to, for the check of the native cipher. */
  @FunctionalInterface
  public interface JavaSeal {
    byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] message) throws GeneralSecurityException;
  }

  /**
   * Conscrypt's provider for {@code algorithm} (an AEAD with a 128-bit tag and a {@link
   * GCMParameterSpec} nonce; {@code name} in the log), or null, and the log says which and why:
   * null when the system property {@code property} is {@code java}, when Conscrypt does not load
   * here, or when its cipher does not seal a fixed message to {@code java}'s bytes, open them, and
   * refuse them with one bit changed. Any failure counts as not loading: {@link
   * UnsatisfiedLinkError} for a platform without a library, {@link NoClassDefFoundError} without
   * the jar (an optional dependency of this module).
   */
  public static Provider checked(String name, String algorithm, String property, int keyBytes, int nonceBytes,
      JavaSeal java, Logger log) {
    String configured = System.getProperty(property);
    if ("java".equals(configured)) {
      log.info("{} runs in Java ({}=java)", name, property);
      return null;
    }
    if (configured != null && !configured.equals("native")) {
      log.warn("{}={} is neither 'java' nor 'native': {} runs natively where it can", property, configured, name);
    }
    Provider provider = conscryptOrNull();
    if (provider == null) {
      log.info("{} runs in Java: {}", name, unavailableBecause());
      return null;
    }
    try {
      String mismatch = differsFrom(provider, algorithm, keyBytes, nonceBytes, java);
      if (mismatch != null) {
        log.error("{} runs in Java: Conscrypt's {} {}", name, algorithm, mismatch);
        return null;
      }
      log.info("{} runs natively (Conscrypt {})", name, conscryptVersion());
      return provider;
    } catch (GeneralSecurityException | RuntimeException | LinkageError e) {
      log.warn("{} runs in Java: Conscrypt failed its check ({})", name, e.toString());
      return null;
    }
  }

  /** Why {@code provider}'s {@code algorithm} differs from {@code java} on a fixed message, or null when it does not. */
  private static String differsFrom(Provider provider, String algorithm, int keyBytes, int nonceBytes, JavaSeal java)
      throws GeneralSecurityException {
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
    byte[] expected = java.seal(key, nonce, aad, message);
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
}
