package dev.veilraft.crypto;

import org.bouncycastle.crypto.AsymmetricCipherKeyPair;

/**
 * An HPKE X25519 key pair: a node's KEM key (receives wrapped group secrets) or an epoch's
 * group key (clients seal requests to it). The private half never leaves this object except
 * through {@link #privateKeyBytes()} for sealing to disk.
 */
public final class KemKeyPair {
  private final AsymmetricCipherKeyPair pair;
  private final byte[] publicKey;

  KemKeyPair(AsymmetricCipherKeyPair pair) {
    this.pair = pair;
    this.publicKey = Hpke.suite().serializePublicKey(pair.getPublic());
  }

  public static KemKeyPair generate() {
    return new KemKeyPair(Hpke.suite().generatePrivateKey());
  }

  /** Derives a key pair deterministically from input keying material (RFC 9180 DeriveKeyPair). */
  public static KemKeyPair derive(byte[] ikm) {
    Check.argument(ikm.length >= 32, "HPKE DeriveKeyPair needs at least 32 bytes of input keying material");
    return new KemKeyPair(Hpke.suite().deriveKeyPair(ikm));
  }

  public static KemKeyPair fromBytes(byte[] privateKey, byte[] publicKey) throws CryptoException {
    try {
      return new KemKeyPair(Hpke.suite().deserializePrivateKey(privateKey, publicKey));
    } catch (RuntimeException e) {
      throw new CryptoException("not an X25519 HPKE key pair: " + e.getMessage(), e);
    }
  }

  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The raw private key, only for sealing it to the node's disk. */
  public byte[] privateKeyBytes() {
    return Hpke.suite().serializePrivateKey(pair.getPrivate());
  }

  AsymmetricCipherKeyPair pair() {
    return pair;
  }
}
