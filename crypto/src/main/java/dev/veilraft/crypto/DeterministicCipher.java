package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with a caller-supplied unique nonce, for the deterministic apply path where every
 * replica must produce the same bytes. The caller guarantees that no (key, nonce) pair repeats:
 * veilraft derives the nonce from the log index, which never repeats, and the event's position
 * within its entry (several events of one grouped entry share the index).
 */
public final class DeterministicCipher {
  /** Bytes a sealed message is longer than its plaintext: the GCM tag. */
  public static final int TAG_BYTES = AesGcm.TAG_BYTES;

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

  /**
   * Seals {@code plaintext} (ciphertext || tag) under {@code key} and {@code nonce} ({@link AesGcm});
   * the thread's cipher forgets the key afterwards, as these keys are one answer's.
   */
  public static byte[] encrypt(byte[] key, byte[] nonce, byte[] plaintext, byte[] associatedData) {
    checkSizes(key, nonce);
    try {
      return AesGcm.sealAndForgetKey(new SecretKeySpec(key, "AES"), nonce, associatedData, plaintext);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  public static byte[] decrypt(byte[] key, byte[] nonce, byte[] ciphertext, byte[] associatedData)
      throws CryptoException {
    checkSizes(key, nonce);
    try {
      return AesGcm.openAndForgetKey(new SecretKeySpec(key, "AES"), nonce, associatedData, ciphertext);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("response does not authenticate (altered, or not for this request)");
    }
  }

  private static void checkSizes(byte[] key, byte[] nonce) {
    Check.length(key, AesGcm.KEY_BYTES, "AES-256-GCM key");
    Check.length(nonce, AesGcm.NONCE_BYTES, "AES-GCM nonce");
  }
}
