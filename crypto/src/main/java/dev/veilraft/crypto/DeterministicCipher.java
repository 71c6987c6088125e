package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a caller-supplied unique nonce, for the deterministic apply path where every
 * replica must produce the same bytes. The caller guarantees that no (key, nonce) pair repeats:
 * veilraft derives the nonce from the log index, which never repeats, and the event's position
 * within its entry (several events of one grouped entry share the index).
 */
public final class DeterministicCipher {
  private static final int TAG_BITS = 128;
  /** Bytes a sealed message is longer than its plaintext: the GCM tag. */
  public static final int TAG_BYTES = TAG_BITS / 8;
  private static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private DeterministicCipher() {}

  public static byte[] nonceForIndex(long logIndex) {
    return nonceForEntryPosition(logIndex, 0);
  }

  /**
   * The nonce of the answer to the event at {@code position} of the entry at {@code logIndex}:
   * {@code u32 position || u64 logIndex}. Position 0 is exactly {@link #nonceForIndex}, so an entry
   * that carries one event (the form every entry had before node-side grouping) keeps its bytes;
   * the events of a grouped entry share its index and differ by position.
   */
  public static byte[] nonceForEntryPosition(long logIndex, int position) {
    Check.argument(position >= 0, "entry position must not be negative, got " + position);
    byte[] nonce = new byte[12];
    nonce[0] = (byte) (position >>> 24);
    nonce[1] = (byte) (position >>> 16);
    nonce[2] = (byte) (position >>> 8);
    nonce[3] = (byte) position;
    System.arraycopy(Hashes.u64(logIndex), 0, nonce, 4, 8);
    return nonce;
  }

  public static byte[] encrypt(byte[] key, byte[] nonce, byte[] plaintext, byte[] associatedData) {
    try {
      Cipher cipher = cipher(Cipher.ENCRYPT_MODE, key, nonce, associatedData);
      return cipher.doFinal(plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public static byte[] decrypt(byte[] key, byte[] nonce, byte[] ciphertext, byte[] associatedData)
      throws CryptoException {
    try {
      Cipher cipher = cipher(Cipher.DECRYPT_MODE, key, nonce, associatedData);
      return cipher.doFinal(ciphertext);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("response does not authenticate (altered, or not for this request)");
    }
  }

  /**
   * One Cipher object per thread, initialized for each use: {@code Cipher.getInstance} (provider
   * lookup, transformation parsing) cost more than sealing a small answer, once per event on every
   * replica.
   */
  private static final ThreadLocal<Cipher> CIPHERS = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance(TRANSFORMATION);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  });
  private static Cipher cipher(int mode, byte[] key, byte[] nonce, byte[] aad) throws GeneralSecurityException {
    Check.length(key, 32, "AES-256-GCM key");
    Check.length(nonce, 12, "AES-GCM nonce");
    SecretKeySpec secretKey = new SecretKeySpec(key, "AES");
    GCMParameterSpec parameters = new GCMParameterSpec(TAG_BITS, nonce);
    Cipher cipher = CIPHERS.get();
    try {
      cipher.init(mode, secretKey, parameters);
    } catch (InvalidAlgorithmParameterException e) {
      // The JDK refuses to encrypt twice in a row under one key and nonce on the same object. Here
      // that is the same answer computed again (the same plaintext: an entry applied again), whose
      // bytes are the same; a fresh object takes it, as every call's did before objects were reused.
      cipher = Cipher.getInstance(TRANSFORMATION);
      cipher.init(mode, secretKey, parameters);
    }
    cipher.updateAAD(aad);
    return cipher;
  }
}
