package dev.veilraft.crypto;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;

/** Parsing and hashing of X.509 certificates. */
public final class Certificates {
  private Certificates() {}

  /** Parses one DER certificate; {@code what} names it in the error. */
  public static X509Certificate parse(byte[] der, String what) throws CryptoException {
    if (der == null || der.length == 0) {
      throw new CryptoException(what + ": certificate is empty");
    }
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
    } catch (CertificateException | RuntimeException e) {
      throw new CryptoException(what + ": not a DER X.509 certificate (" + e.getMessage() + ")", e);
    }
  }

  /** SHA-256 of the certificate's SubjectPublicKeyInfo: what identifies a node. */
  public static byte[] spkiSha256(X509Certificate certificate) {
    return Hashes.sha256(certificate.getPublicKey().getEncoded());
  }

  /** Node id: hex of the first 16 bytes of SHA-256(SPKI). */
  public static String nodeId(X509Certificate certificate) {
    return nodeIdFromSpkiSha256(spkiSha256(certificate));
  }

  public static String nodeIdFromSpkiSha256(byte[] spkiSha256) {
    return Hashes.hex(Arrays.copyOf(spkiSha256, 16));
  }
}
