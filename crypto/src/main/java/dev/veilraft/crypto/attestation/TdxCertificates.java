package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.time.Instant;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * Certificate checks shared by the PCK chain and Intel's collateral signing chain. Intel signs
 * every certificate in both with ECDSA P-256 and SHA-256, so nothing else is accepted. Each check
 * reports with the reason its caller names: a bad PCK chain is {@code CHAIN_UNTRUSTED}, a bad
 * collateral signing chain {@code COLLATERAL_INVALID}. Also the ECDSA P-256 / SHA-256 check of raw
 * r||s signatures that quotes and collateral carry.
 */
final class TdxCertificates {
  /** Bound on one certificate; Intel's PCK certificates are about 1.2 KiB. */
  static final int CERTIFICATE_BYTES_MAX = 8 * 1024;
  static final String ECDSA_WITH_SHA256_OID = "1.2.840.10045.4.3.2";
  static final ECParameterSpec P256 = p256();

  private TdxCertificates() {}

  /** Exactly one DER certificate, at most {@value #CERTIFICATE_BYTES_MAX} bytes. */
  static X509Certificate parse(byte[] der, String role, RejectReason reason) throws Rejection {
    if (der.length == 0 || der.length > CERTIFICATE_BYTES_MAX) {
      throw new Rejection(reason, role + " certificate is " + der.length + " bytes; expected 1 to "
          + CERTIFICATE_BYTES_MAX);
    }
    try {
      return Certificates.parseDer(der, role + " certificate");
    } catch (CryptoException e) {
      throw new Rejection(reason, e.getMessage());
    }
  }

  /** {@code cert} names {@code issuer} and carries its ECDSA P-256 / SHA-256 signature. */
  static void requireSignedBy(X509Certificate cert, X509Certificate issuer, String role, String by,
      RejectReason reason) throws Rejection {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      throw new Rejection(reason, role + " certificate '" + printableName(cert) + "' names issuer '"
          + Check.printable(cert.getIssuerX500Principal().getName()) + "', not " + by + " ('"
          + Check.printable(issuer.getSubjectX500Principal().getName()) + "')");
    }
    if (!ECDSA_WITH_SHA256_OID.equals(cert.getSigAlgOID())) {
      throw new Rejection(reason, role + " certificate '" + printableName(cert) + "' is signed with "
          + cert.getSigAlgName() + " (" + cert.getSigAlgOID() + "); Intel signs with ECDSA P-256 and SHA-256");
    }
    if (!isP256(issuer.getPublicKey())) {
      throw new Rejection(reason, "the key of " + by + " must be EC P-256, got "
          + issuer.getPublicKey().getAlgorithm());
    }
    if (!Certificates.signatureVerifies(cert, issuer.getPublicKey(), "SHA256withECDSA")) {
      throw new Rejection(reason, role + " certificate '" + printableName(cert) + "' is not signed by " + by);
    }
  }

  static void requireCa(X509Certificate cert, String role, RejectReason reason) throws Rejection {
    if (cert.getBasicConstraints() < 0) {
      throw new Rejection(reason, role + " certificate '" + printableName(cert)
          + "' is not a CA certificate (basic constraints)");
    }
  }

  static void requireNotCa(X509Certificate cert, String role, RejectReason reason) throws Rejection {
    if (cert.getBasicConstraints() >= 0) {
      throw new Rejection(reason, role + " certificate '" + printableName(cert)
          + "' is a CA certificate; it must be an end-entity certificate");
    }
  }

  /** The certificate must be valid at {@code at}: the caller's (leader-stamped) time, never the local clock. */
  static void requireValidAt(X509Certificate cert, String role, Instant at) throws Rejection {
    Instant notBefore = cert.getNotBefore().toInstant();
    Instant notAfter = cert.getNotAfter().toInstant();
    if (at.isBefore(notBefore)) {
      throw new Rejection(RejectReason.CERT_EXPIRED, role + " certificate '" + printableName(cert)
          + "' is not valid before " + notBefore + " (checked at " + at + ")");
    }
    if (at.isAfter(notAfter)) {
      throw new Rejection(RejectReason.CERT_EXPIRED, role + " certificate '" + printableName(cert) + "' expired at "
          + notAfter + " (checked at " + at + ")");
    }
  }

  static boolean isP256(PublicKey key) {
    return key instanceof ECPublicKey ec
        && ec.getParams().getCurve().equals(P256.getCurve())
        && ec.getParams().getGenerator().equals(P256.getGenerator())
        && ec.getParams().getOrder().equals(P256.getOrder());
  }

  /** Whether {@code key} signed {@code data[offset, offset+length)} with ECDSA SHA-256; {@code rawSignature} is r||s. */
  static boolean verifyP1363(PublicKey key, byte[] rawSignature, byte[] data, int offset, int length) {
    try {
      Signature verifier = Signature.getInstance("SHA256withECDSAinP1363Format");
      verifier.initVerify(key);
      verifier.update(data, offset, length);
      return verifier.verify(rawSignature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
  static ECParameterSpec p256() {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp256r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks the P-256 curve", e);
    }
  }

  /** The subject's first CN, for matching Intel's names; print it through {@link Check#printable}. */
  static String commonName(X509Certificate cert) {
    try {
      X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
      RDN[] cns = name.getRDNs(BCStyle.CN);
      return cns.length == 0 ? name.toString() : IETFUtils.valueToString(cns[0].getFirst().getValue());
    } catch (RuntimeException e) {
      return cert.getSubjectX500Principal().getName();
    }
  }

  /** The CN as it may appear in a message: untrusted text, cut and without control characters. */
  static String printableName(X509Certificate cert) {
    return Check.printable(commonName(cert));
  }
}
