package dev.veilraft.crypto;

import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing and hashing of X.509 certificates. */
public final class Certificates {
  /** Bound on certificates read from one file or ordered into one chain. */
  public static final int CHAIN_CERTS_MAX = 16;

  private static final Pattern PEM_CERTIFICATE =
      Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]*?)-----END CERTIFICATE-----");

  private Certificates() {}

  /**
   * The certificates in a file's bytes as DER: every PEM block when the bytes are PEM text,
   * otherwise the bytes as one DER certificate. Each is parsed once so a bad one is named here.
   */
  public static List<byte[]> readAll(byte[] pemOrDer, String what) throws CryptoException {
    String text = new String(pemOrDer, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      parse(pemOrDer, what);
      return List.of(pemOrDer.clone());
    }
    List<byte[]> certs = new ArrayList<>();
    Matcher matcher = PEM_CERTIFICATE.matcher(text);
    while (matcher.find()) {
      if (certs.size() == CHAIN_CERTS_MAX) {
        throw new CryptoException(what + ": more than " + CHAIN_CERTS_MAX + " certificates");
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(matcher.group(1));
      } catch (IllegalArgumentException e) {
        throw new CryptoException(what + ": PEM block #" + certs.size() + " is not valid base64", e);
      }
      parse(der, what + " PEM block #" + certs.size());
      certs.add(der);
    }
    if (certs.isEmpty()) {
      throw new CryptoException(what + ": no complete PEM certificate block");
    }
    return certs;
  }

  /**
   * Orders certificates given in any order into a chain, leaf first, each followed by its issuer
   * (matched by name), the self-signed root last; duplicates are dropped. Signatures are not
   * checked here: the verifier does that. Fails when the certificates do not form one chain.
   */
  public static List<byte[]> orderLeafFirst(List<byte[]> ders) throws CryptoException {
    if (ders.size() > CHAIN_CERTS_MAX) {
      throw new CryptoException("a chain has at most " + CHAIN_CERTS_MAX + " certificates, got " + ders.size());
    }
    List<X509Certificate> certs = new ArrayList<>();
    List<byte[]> unique = new ArrayList<>();
    for (int i = 0; i < ders.size(); i++) {
      byte[] der = ders.get(i);
      if (unique.stream().anyMatch(seen -> Arrays.equals(seen, der))) {
        continue;
      }
      unique.add(der);
      certs.add(parse(der, "certificate #" + i));
    }
    // The leaf is the one certificate that issued none of the others.
    List<Integer> leaves = new ArrayList<>();
    for (int i = 0; i < certs.size(); i++) {
      boolean issuesAnother = false;
      for (int j = 0; j < certs.size(); j++) {
        issuesAnother |= i != j && isIssuer(certs.get(i), certs.get(j));
      }
      if (!issuesAnother) {
        leaves.add(i);
      }
    }
    if (leaves.size() != 1) {
      throw new CryptoException("the certificates do not form one chain: " + leaves.size()
          + " of them issue no other (expected exactly one leaf)");
    }
    List<byte[]> ordered = new ArrayList<>();
    int current = leaves.get(0);
    while (ordered.size() < unique.size()) {
      ordered.add(unique.get(current));
      X509Certificate cert = certs.get(current);
      if (cert.getIssuerX500Principal().equals(cert.getSubjectX500Principal())) {
        break;
      }
      int next = -1;
      for (int j = 0; j < certs.size() && next < 0; j++) {
        next = j != current && isIssuer(certs.get(j), cert) ? j : -1;
      }
      if (next < 0) {
        break;
      }
      current = next;
    }
    if (ordered.size() != unique.size()) {
      throw new CryptoException("the certificates do not form one chain: " + (unique.size() - ordered.size())
          + " of " + unique.size() + " are not on the path from the leaf to its root");
    }
    return ordered;
  }

  private static boolean isIssuer(X509Certificate issuer, X509Certificate subject) {
    return !issuer.equals(subject) && subject.getIssuerX500Principal().equals(issuer.getSubjectX500Principal());
  }

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

  /**
   * Parses exactly one DER certificate, as evidence must carry it: the JDK's parser also accepts
   * PEM and ignores trailing bytes, so the bytes must re-encode to themselves.
   */
  public static X509Certificate parseDer(byte[] der, String what) throws CryptoException {
    X509Certificate cert = parse(der, what);
    try {
      if (!Arrays.equals(der, cert.getEncoded())) {
        throw new CryptoException(what + " is not exactly one DER certificate");
      }
    } catch (CertificateEncodingException e) {
      throw new CryptoException(what + " cannot be re-encoded", e);
    }
    return cert;
  }

  /**
   * Whether {@code issuerKey} signed {@code cert} with the JCA signature {@code algorithm}, e.g.
   * "SHA256withECDSA". A malformed signature or key is a "no", never an exception.
   */
  public static boolean signatureVerifies(X509Certificate cert, PublicKey issuerKey, String algorithm) {
    try {
      Signature signature = Signature.getInstance(algorithm);
      signature.initVerify(issuerKey);
      signature.update(cert.getTBSCertificate());
      return signature.verify(cert.getSignature());
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
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
