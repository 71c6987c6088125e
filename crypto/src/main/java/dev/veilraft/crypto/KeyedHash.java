package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 under one key: keyed hashes of lookup keys, so stored keys reveal nothing.
 * Thread-safe.
 *
 * <p>Each hash clones a Mac initialised once with the key, which is several times cheaper than
 * {@code Mac.getInstance} plus {@code init} per call (a provider lookup and the key's inner and
 * outer pads hashed again); the state store computes two to three of these per record it touches.
 * The prototype is made on the first hash (many instances, such as an entry's deterministic
 * random source, are built and never used), is never updated, only cloned, so threads share it.
 */
public final class KeyedHash {
  public static final int OUTPUT_BYTES = 32;
  private final SecretKeySpec key;
  /** Initialised with {@link #key} and never updated; null until the first hash. Two threads may both make one: harmless. */
  private volatile Mac prototype;

  private KeyedHash(byte[] key) {
    this.key = new SecretKeySpec(Check.length(key, 32, "HMAC-SHA256 key"), "HmacSHA256");
  }

  public static KeyedHash fromKey(byte[] key) {
    return new KeyedHash(key);
  }

  public byte[] hash(byte[]... parts) {
    Mac mac = newMac();
    for (byte[] part : parts) {
      mac.update(part);
    }
    return mac.doFinal();
  }

  private Mac newMac() {
    Mac first = prototype;
    if (first == null) {
      first = fresh(key);
      prototype = first;
    }
    try {
      return (Mac) first.clone();
    } catch (CloneNotSupportedException e) {
      // A provider whose HMAC cannot be cloned (SunJCE's can): one fresh instance per hash.
      return fresh(key);
    }
  }

  private static Mac fresh(SecretKeySpec key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }
}
