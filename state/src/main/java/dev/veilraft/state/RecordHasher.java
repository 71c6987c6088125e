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
 * <p>Hashes through a {@link KeyedHash} of the digest key, which keeps a Mac ready for the next
 * hash: a thread hashing alone (a scan of millions of records, or the apply thread's commits)
 * builds no Mac, and a thread that finds it taken clones an initialised one, cheaper than {@code
 * Mac.getInstance} and {@code init}, which each commit did until session 36. Thread-safe: the
 * store keeps one ({@link RecordCipher#hasher}).
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
