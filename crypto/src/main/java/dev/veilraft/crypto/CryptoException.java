package dev.veilraft.crypto;

/** A cryptographic operation failed: a bad key, a ciphertext that does not authenticate, bad encoding. */
public class CryptoException extends Exception {
  private static final long serialVersionUID = 1L;

  public CryptoException(String message) {
    super(message);
  }

  public CryptoException(String message, Throwable cause) {
    super(message, cause);
  }
}
