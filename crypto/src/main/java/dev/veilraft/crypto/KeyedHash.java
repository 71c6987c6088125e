package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HMAC-SHA256 under one key: keyed hashes of lookup keys, so stored keys reveal nothing. */
public final class KeyedHash {
  public static final int OUTPUT_BYTES = 32;
  private final SecretKeySpec key;

  private KeyedHash(byte[] key) {
    this.key = new SecretKeySpec(Check.length(key, 32, "HMAC-SHA256 key"), "HmacSHA256");
  }

  public static KeyedHash fromKey(byte[] key) {
    return new KeyedHash(key);
  }

  public byte[] hash(byte[]... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      for (byte[] part : parts) {
        mac.update(part);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }
}
