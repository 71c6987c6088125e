package dev.veilraft.crypto;

import java.security.GeneralSecurityException;

/** HKDF-SHA256 (RFC 5869) through Tink. */
public final class Hkdf {
  private Hkdf() {}

  public static byte[] sha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    try {
      return com.google.crypto.tink.subtle.Hkdf.computeHkdf("HMACSHA256", ikm, salt, info, length);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 failed", e);
    }
  }
}
