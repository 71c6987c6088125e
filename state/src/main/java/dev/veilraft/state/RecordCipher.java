package dev.veilraft.state;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hkdf;
import dev.veilraft.crypto.KeyedHash;
import java.util.Arrays;

/**
 * Turns a (namespace, key, value) record into the bytes RocksDB stores, so the host sees only
 * keyed hashes and ciphertext. The location is HMAC-SHA256 under the lookup key of
 * {@code u32(namespace length) || namespace || key}; the length prefix keeps ("a", "bc") and
 * ("ab", "c") apart. The value is AES-256-GCM under the value key with the location as associated
 * data, so a value the host copies or moves to another location no longer authenticates.
 * Thread-safe: both primitives are.
 */
final class RecordCipher {
  static final int STORAGE_SECRET_BYTES = 32;
  static final String LOOKUP_KEY_INFO = "veilraft/state/lookup/v1";
  static final String VALUE_KEY_INFO = "veilraft/state/value/v1";
  private static final int DERIVED_KEY_BYTES = 32;

  private final KeyedHash lookup;
  private final AesGcmAead values;

  private RecordCipher(KeyedHash lookup, AesGcmAead values) {
    this.lookup = lookup;
    this.values = values;
  }

  /**
   * Derives the lookup and value keys from the node's storage secret. HKDF runs without a salt
   * because the secret is already uniformly random; the info strings separate the two keys.
   */
  static RecordCipher fromStorageSecret(byte[] storageSecret) {
    Check.length(storageSecret, STORAGE_SECRET_BYTES, "storage secret");
    byte[] noSalt = new byte[0];
    byte[] lookupKey = Hkdf.sha256(storageSecret, noSalt, Hashes.utf8(LOOKUP_KEY_INFO), DERIVED_KEY_BYTES);
    byte[] valueKey = Hkdf.sha256(storageSecret, noSalt, Hashes.utf8(VALUE_KEY_INFO), DERIVED_KEY_BYTES);
    try {
      return new RecordCipher(KeyedHash.fromKey(lookupKey), AesGcmAead.fromKey(valueKey));
    } finally {
      // Both primitives copied the keys; wiping ours keeps fewer copies in the heap.
      Arrays.fill(lookupKey, (byte) 0);
      Arrays.fill(valueKey, (byte) 0);
    }
  }

  /** The RocksDB key of a record. The namespace is ASCII (checked by the caller). */
  byte[] locate(String namespace, byte[] key) {
    byte[] name = Hashes.utf8(namespace);
    return lookup.hash(u32(name.length), name, key);
  }

  byte[] seal(byte[] location, byte[] value) {
    return values.encrypt(value, location);
  }

  /** Opens a stored value; fails when it was altered, moved, or sealed under another key. */
  byte[] open(byte[] location, byte[] sealed) throws CryptoException {
    return values.decrypt(sealed, location);
  }

  private static byte[] u32(int value) {
    return new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value};
  }
}
