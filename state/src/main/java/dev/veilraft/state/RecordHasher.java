package dev.veilraft.state;

import dev.veilraft.crypto.KeyedHash;

/**
 * A stored record's element of the {@link StateDigest}: HMAC-SHA256 under the digest key (derived
 * from the storage secret, {@value RecordCipher#DIGEST_KEY_INFO}) of {@code location || sealed
 * value}, exactly the bytes RocksDB holds. Locations are always {@value RecordCipher#LOCATION_BYTES}
 * bytes, so the concatenation is unambiguous. Hashing the ciphertext rather than the plaintext
 * lets open check the whole store without decrypting it, and makes any change to a stored value
 * (an older ciphertext of the same record, a flipped byte) change the digest.
 *
 * <p>Hashes through the store's one {@link KeyedHash} of the digest key, which keeps a Mac ready
 * for the next hash: neither a scan of millions of records nor a commit builds a Mac of its own
 * (each commit did, {@code Mac.getInstance} and {@code init}, until session 36). Thread-safe.
 */
final class RecordHasher {
  private final KeyedHash digest;

  RecordHasher(KeyedHash digest) {
    this.digest = digest;
  }

  byte[] hash(byte[] location, byte[] sealed) {
    return digest.hash(location, sealed);
  }
}
