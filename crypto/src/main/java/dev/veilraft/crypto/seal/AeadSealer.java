package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.CryptoException;
import java.util.Objects;

/**
 * A sealer whose blobs are AES-GCM ciphertexts under one sealing key; subclasses differ only in
 * where that key comes from (a TEE key derivation, or an insecure file).
 */
public abstract class AeadSealer implements Sealer {
  private final AesGcmAead aead;

  protected AeadSealer(AesGcmAead aead) {
    this.aead = Objects.requireNonNull(aead);
  }

  @Override
  public final byte[] seal(byte[] plaintext, byte[] associatedData) {
    return aead.encrypt(plaintext, associatedData);
  }

  @Override
  public final byte[] unseal(byte[] sealed, byte[] associatedData) throws CryptoException {
    return aead.decrypt(sealed, associatedData);
  }
}
