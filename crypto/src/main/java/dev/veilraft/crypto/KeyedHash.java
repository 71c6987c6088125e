package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import java.util.concurrent.atomic.AtomicReference;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HMAC-SHA256 under one key: keyed hashes of lookup keys, so stored keys reveal nothing, and of
 * stored records for the state store's digest. Thread-safe.
 *
 * <p>A hash takes the {@link #spare} Mac, or clones one initialised once with the key, which is
 * several times cheaper than {@code Mac.getInstance} plus {@code init} per call (a provider lookup
 * and the key's inner and outer pads hashed again); the state store computes several of these
 * per record it touches (its location at each lookup, and the digest elements of the record it
 * writes and of the one that record replaces, unless its cache of recent records knows it).
 * The prototype is made on the first hash (many instances, such as an entry's deterministic
 * random source, are built and never used), is never updated, only cloned, so threads share it.
 */
public final class KeyedHash {
  public static final int OUTPUT_BYTES = 32;
  private final SecretKeySpec key;
  /** Initialised with {@link #key} and never updated; null until the first hash. Two threads may both make one: harmless. */
  private volatile Mac prototype;
  /**
   * One Mac ready for the next hash, so that a single thread hashing again and again (apply) clones
   * none: the clones were about a tenth of what apply allocated per put (JMH {@code ApplyBench},
   * allocation profile). Threads that find it taken clone the prototype.
   */
  private final AtomicReference<Mac> spare = new AtomicReference<>();

  private KeyedHash(byte[] key) {
    this.key = new SecretKeySpec(Check.length(key, 32, "HMAC-SHA256 key"), "HmacSHA256");
  }

  public static KeyedHash fromKey(byte[] key) {
    return new KeyedHash(key);
  }

  public byte[] hash(byte[]... parts) {
    Mac mac = spare.getAndSet(null);
    if (mac == null) {
      mac = newMac();
    }
    for (byte[] part : parts) {
      mac.update(part);
    }
    byte[] hash = mac.doFinal();
    // doFinal left the Mac as init did: the next hash (of any thread) may take it instead of a clone.
    spare.set(mac);
    return hash;
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
