package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM with random 96-bit nonces ({@link AesGcm}: natively through Conscrypt where it loads,
 * else the JDK). Ciphertext layout: {@code 0x01 || keyId(4) || nonce(12) || ciphertext || tag(16)}
 * (the nonce, ciphertext and tag as Tink's {@code AesGcmJce} writes them, which sealed this format
 * before session 38; tests hold both to the same bytes). Use it for data encrypted at rest or in
 * transit where nonces may be random; never inside deterministic apply.
 */
public final class AesGcmAead implements Aead {
  private static final byte FORMAT_V1 = 0x01;
  private static final int HEADER_BYTES = 5;
  private static final int BODY_OFFSET = HEADER_BYTES + AesGcm.NONCE_BYTES;
  public static final int KEY_BYTES = AesGcm.KEY_BYTES;
  /**
   * Nonces: the JDK's default source (NativePRNG on Linux), about 0.2 µs for 12 bytes, where
   * Conscrypt's, which Tink took when Conscrypt was on the class path, took 0.7 µs.
   */
  private static final SecureRandom NONCES = new SecureRandom();

  private final SecretKeySpec key;
  private final byte[] keyId;

  private AesGcmAead(byte[] key) {
    Check.length(key, KEY_BYTES, "AES-256-GCM key");
    this.key = new SecretKeySpec(key, "AES");
    this.keyId = Arrays.copyOf(Hashes.sha256(Hashes.utf8("veilraft/key-id/v1"), key), 4);
  }

  /** Builds the AEAD for a 32-byte key; the caller keeps the key bytes out of logs. */
  public static AesGcmAead fromKey(byte[] key) {
    return new AesGcmAead(key);
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    byte[] out = new byte[BODY_OFFSET + plaintext.length + AesGcm.TAG_BYTES];
    out[0] = FORMAT_V1;
    System.arraycopy(keyId, 0, out, 1, 4);
    byte[] nonce = new byte[AesGcm.NONCE_BYTES];
    NONCES.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, HEADER_BYTES, nonce.length);
    try {
      AesGcm.seal(key, out, HEADER_BYTES, associatedData, plaintext, out, BODY_OFFSET);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
    return out;
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws CryptoException {
    if (ciphertext.length < BODY_OFFSET + AesGcm.TAG_BYTES) {
      throw new CryptoException("ciphertext too short: " + ciphertext.length + " bytes");
    }
    if (ciphertext[0] != FORMAT_V1) {
      throw new CryptoException("unknown ciphertext format byte " + ciphertext[0]);
    }
    if (!Arrays.equals(ciphertext, 1, HEADER_BYTES, keyId, 0, 4)) {
      throw new CryptoException("ciphertext was made by key " + Hashes.hex(Arrays.copyOfRange(ciphertext, 1, 5))
          + ", not by key " + Hashes.hex(keyId));
    }
    try {
      return AesGcm.open(key, ciphertext, HEADER_BYTES, associatedData, ciphertext, BODY_OFFSET,
          ciphertext.length - BODY_OFFSET);
    } catch (AEADBadTagException e) {
      throw new CryptoException("ciphertext does not authenticate (altered, or bound to other data)");
    } catch (GeneralSecurityException e) {
      // Not a verdict on the ciphertext: this JVM's cipher failed. Callers handle it as they handle a refusal.
      throw new CryptoException("AES-GCM decryption failed in this JVM (" + AesGcm.implementation() + "): " + e);
    }
  }

  @Override
  public byte[] keyId() {
    return keyId.clone();
  }
}
