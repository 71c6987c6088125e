package dev.veilraft.crypto;

import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.hpke.HPKE;
import org.bouncycastle.crypto.hpke.HPKEContext;
import org.bouncycastle.crypto.hpke.HPKEContextWithEncapsulation;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;

/**
 * HPKE (RFC 9180) in base mode with DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and AES-256-GCM,
 * through Bouncy Castle. One suite for the whole system: node KEM keys, epoch group keys.
 */
public final class Hpke {
  public static final int PUBLIC_KEY_BYTES = 32;
  public static final int ENCAPSULATED_KEY_BYTES = 32;

  private Hpke() {}

  static HPKE suite() {
    // HPKE objects are cheap and not documented as thread-safe; make one per use.
    return new HPKE(HPKE.mode_base, HPKE.kem_X25519_SHA256, HPKE.kdf_HKDF_SHA256, HPKE.aead_AES_GCM256);
  }

  /** A sealed message: the encapsulated key and the ciphertext. */
  public record Sealed(byte[] encapsulatedKey, byte[] ciphertext) {}

  /** Seals one message to a recipient's public key. */
  public static Sealed seal(byte[] recipientPublicKey, byte[] info, byte[] aad, byte[] plaintext) throws CryptoException {
    Sender sender = sender(recipientPublicKey, info);
    return new Sealed(sender.encapsulatedKey(), sender.seal(aad, plaintext));
  }

  /** Opens one message sealed to {@code recipient}. */
  public static byte[] open(KemKeyPair recipient, byte[] info, byte[] aad, Sealed sealed) throws CryptoException {
    return receiver(recipient, sealed.encapsulatedKey(), info).open(aad, sealed.ciphertext());
  }

  public static Sender sender(byte[] recipientPublicKey, byte[] info) throws CryptoException {
    Check.length(recipientPublicKey, PUBLIC_KEY_BYTES, "HPKE recipient public key");
    HPKE hpke = suite();
    AsymmetricKeyParameter pk;
    try {
      pk = hpke.deserializePublicKey(recipientPublicKey);
    } catch (RuntimeException e) {
      throw new CryptoException("not an X25519 public key", e);
    }
    return new Sender(hpke.setupBaseS(pk, info));
  }

  public static Receiver receiver(KemKeyPair recipient, byte[] encapsulatedKey, byte[] info) throws CryptoException {
    if (encapsulatedKey == null || encapsulatedKey.length != ENCAPSULATED_KEY_BYTES) {
      throw new CryptoException("HPKE encapsulated key must be " + ENCAPSULATED_KEY_BYTES + " bytes, got "
          + (encapsulatedKey == null ? 0 : encapsulatedKey.length));
    }
    try {
      return new Receiver(suite().setupBaseR(encapsulatedKey, recipient.pair(), info));
    } catch (RuntimeException e) {
      throw new CryptoException("HPKE decapsulation failed", e);
    }
  }

  /** The sender side of an HPKE context: seals and exports secrets for the response. */
  public static final class Sender {
    private final HPKEContextWithEncapsulation context;

    private Sender(HPKEContextWithEncapsulation context) {
      this.context = context;
    }

    public byte[] encapsulatedKey() {
      return context.getEncapsulation().clone();
    }

    public byte[] seal(byte[] aad, byte[] plaintext) throws CryptoException {
      try {
        return context.seal(aad, plaintext);
      } catch (InvalidCipherTextException e) {
        throw new CryptoException("HPKE seal failed", e);
      }
    }

    public byte[] export(byte[] exporterContext, int length) {
      return context.export(exporterContext, length);
    }
  }

  /** The receiver side of an HPKE context. */
  public static final class Receiver {
    private final HPKEContext context;

    private Receiver(HPKEContext context) {
      this.context = context;
    }

    public byte[] open(byte[] aad, byte[] ciphertext) throws CryptoException {
      try {
        return context.open(aad, ciphertext);
      } catch (InvalidCipherTextException | RuntimeException e) {
        throw new CryptoException("HPKE ciphertext does not open (altered, wrong key, or wrong context)");
      }
    }

    public byte[] export(byte[] exporterContext, int length) {
      return context.export(exporterContext, length);
    }
  }
}
