package dev.veilraft.state;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A stored record's element of the {@link StateDigest}: HMAC-SHA256 under the digest key (derived
 * from the storage secret, {@value RecordCipher#DIGEST_KEY_INFO}) of {@code location || sealed
 * value}, exactly the bytes RocksDB holds. Locations are always {@value RecordCipher#LOCATION_BYTES}
 * bytes, so the concatenation is unambiguous. Hashing the ciphertext rather than the plaintext
 * lets open check the whole store without decrypting it, and makes any change to a stored value
 * (an older ciphertext of the same record, a flipped byte) change the digest.
 *
 * <p>Holds one {@link Mac} and reuses it, which matters when open hashes millions of records
 * ({@code dev.veilraft.crypto.KeyedHash} builds a Mac per call). Not thread-safe: one per scan or
 * per commit.
 */
final class RecordHasher {
  private final Mac mac;

  RecordHasher(SecretKeySpec digestKey) {
    try {
      this.mac = Mac.getInstance("HmacSHA256");
      mac.init(digestKey);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  }

  byte[] hash(byte[] location, byte[] sealed) {
    mac.update(location);
    mac.update(sealed);
    return mac.doFinal();
  }
}
