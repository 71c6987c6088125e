package dev.veilraft.crypto;

/**
 * Authenticated encryption with associated data. Ciphertexts carry the id of the key that made
 * them, so a holder of several keys (after rotation) knows which one opens a ciphertext.
 */
public interface Aead {
  byte[] encrypt(byte[] plaintext, byte[] associatedData);

  /** Opens a ciphertext; fails if it was altered, bound to other associated data, or made by another key. */
  byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws CryptoException;

  /** Four bytes that name the key; the first bytes of every ciphertext after the format byte. */
  byte[] keyId();
}
