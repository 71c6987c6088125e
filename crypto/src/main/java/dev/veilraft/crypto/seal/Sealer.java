package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;

/**
 * Seals node-local secrets to this TEE instance: only the same code on the same platform can
 * unseal them. Sealed blobs are AEAD ciphertexts with the node id as associated data.
 */
public interface Sealer {
  byte[] seal(byte[] plaintext, byte[] associatedData);

  byte[] unseal(byte[] sealed, byte[] associatedData) throws CryptoException;

  /** A short description for logs, e.g. "simulated (key file, INSECURE)". */
  String describe();
}
