package dev.veilraft.crypto;

import com.google.crypto.tink.subtle.AesGcmJce;
import java.security.GeneralSecurityException;
import java.util.Arrays;

/**
 * AES-256-GCM with random 96-bit nonces (Tink). Ciphertext layout:
 * {@code 0x01 || keyId(4) || nonce(12) || ciphertext || tag(16)}. Use it for data encrypted at
 * rest or in transit where nonces may be random; never inside deterministic apply.
 */
public final class AesGcmAead implements Aead {
  private static final byte FORMAT_V1 = 0x01;
  private static final int HEADER_BYTES = 5;
  public static final int KEY_BYTES = 32;

  private final com.google.crypto.tink.Aead tink;
  private final byte[] keyId;

  private AesGcmAead(byte[] key) {
    Check.length(key, KEY_BYTES, "AES-256-GCM key");
    try {
      this.tink = new AesGcmJce(key);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
    this.keyId = Arrays.copyOf(Hashes.sha256(Hashes.utf8("veilraft/key-id/v1"), key), 4);
  }

  /** Builds the AEAD for a 32-byte key; the caller keeps the key bytes out of logs. */
  public static AesGcmAead fromKey(byte[] key) {
    return new AesGcmAead(key);
  }

  @Override
  public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
    try {
      byte[] body = tink.encrypt(plaintext, associatedData);
      byte[] out = new byte[HEADER_BYTES + body.length];
      out[0] = FORMAT_V1;
      System.arraycopy(keyId, 0, out, 1, 4);
      System.arraycopy(body, 0, out, HEADER_BYTES, body.length);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  @Override
  public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws CryptoException {
    if (ciphertext.length < HEADER_BYTES + 12 + 16) {
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
      return tink.decrypt(Arrays.copyOfRange(ciphertext, HEADER_BYTES, ciphertext.length), associatedData);
    } catch (GeneralSecurityException e) {
      throw new CryptoException("ciphertext does not authenticate (altered, or bound to other data)");
    }
  }

  @Override
  public byte[] keyId() {
    return keyId.clone();
  }
}
