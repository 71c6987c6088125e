package dev.veilraft.crypto.seal;

import org.bouncycastle.crypto.InvalidCipherTextException;

/**
 * AES-256-GCM-SIV (RFC 8452), in Java ({@link AesGcmSiv}) or native ({@link NativeGcmSiv}): the
 * same bytes and the same refusals, so either may serve any message.
 */
interface GcmSiv {
  /** Seals {@code plaintext}: ciphertext || 16-byte tag. */
  byte[] seal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext);

  /** Opens {@code sealed} (ciphertext || tag), or refuses it when the tag does not match. */
  byte[] open(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws InvalidCipherTextException;
}
