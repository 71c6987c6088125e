package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The supplied CRLs that concern a chain: a CRL counts only when one of the chain's CAs (the PCK
 * CA or the root) issued it, and then its signature must verify under that CA and it must be
 * current at the instant of verification. CRLs of other issuers (another PCK CA's, say) are
 * ignored, so a caller may pass every CRL it holds. Immutable.
 */
final class TdxCrls {
  /** Bound on the number of CRLs; Intel has two PCK CA CRLs and one root CRL. */
  static final int CRLS_MAX = 8;
  /** Bound on one CRL's DER; Intel's PCK CRLs are a few KiB. */
  static final int CRL_BYTES_MAX = 1024 * 1024;

  private final List<X509CRL> verified;

  private TdxCrls(List<X509CRL> verified) {
    this.verified = List.copyOf(verified);
  }

  /**
   * Keeps the CRLs one of {@code issuers} signed. A CRL whose issuer is among them but whose
   * signature does not verify, or that is not current at {@code at}, is {@code COLLATERAL_INVALID}:
   * a stale CRL may omit recent revocations.
   */
  static TdxCrls verify(List<ByteString> crls, List<X509Certificate> issuers, Instant at) throws Rejection {
    if (crls.size() > CRLS_MAX) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, crls.size() + " CRLs supplied; at most " + CRLS_MAX
          + " are accepted");
    }
    List<X509CRL> kept = new ArrayList<>();
    for (int i = 0; i < crls.size(); i++) {
      X509CRL crl = parse(crls.get(i), i);
      X509Certificate issuer = issuerOf(crl, issuers);
      if (issuer == null) {
        continue;
      }
      String name = "CRL " + i + " of '" + TdxCertificates.printableName(issuer) + "'";
      try {
        crl.verify(issuer.getPublicKey());
      } catch (GeneralSecurityException | RuntimeException e) {
        throw new Rejection(RejectReason.COLLATERAL_INVALID, name + " is not signed by that CA ("
            + e.getClass().getSimpleName() + ")");
      }
      Instant thisUpdate = crl.getThisUpdate().toInstant();
      if (at.isBefore(thisUpdate)) {
        throw new Rejection(RejectReason.COLLATERAL_INVALID, name + " was issued at " + thisUpdate
            + ", after the instant of verification " + at);
      }
      if (crl.getNextUpdate() == null || at.isAfter(crl.getNextUpdate().toInstant())) {
        throw new Rejection(RejectReason.COLLATERAL_INVALID, name + " is stale: next update was due at "
            + (crl.getNextUpdate() == null ? "(none given)" : crl.getNextUpdate().toInstant()) + " (checked at "
            + at + ")");
      }
      kept.add(crl);
    }
    return new TdxCrls(kept);
  }

  /** Fails with {@code CERT_REVOKED} when a kept CRL of {@code cert}'s issuer lists it. */
  void requireNotRevoked(X509Certificate cert, String role) throws Rejection {
    for (X509CRL crl : verified) {
      if (!crl.getIssuerX500Principal().equals(cert.getIssuerX500Principal())) {
        continue;
      }
      X509CRLEntry entry = crl.getRevokedCertificate(cert.getSerialNumber());
      if (entry != null) {
        throw new Rejection(RejectReason.CERT_REVOKED, role + " certificate '" + TdxCertificates.printableName(cert)
            + "' (serial " + cert.getSerialNumber().toString(16) + ") was revoked at "
            + entry.getRevocationDate().toInstant() + " by the CRL of '"
            + Check.printable(crl.getIssuerX500Principal().getName()) + "'");
      }
    }
  }

  private static X509CRL parse(ByteString der, int index) throws Rejection {
    if (der.isEmpty() || der.size() > CRL_BYTES_MAX) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL " + index + " is " + der.size()
          + " bytes; expected 1 to " + CRL_BYTES_MAX);
    }
    try {
      return (X509CRL) CertificateFactory.getInstance("X.509")
          .generateCRL(new ByteArrayInputStream(der.toByteArray()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL " + index + " is not a DER X.509 CRL ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static X509Certificate issuerOf(X509CRL crl, List<X509Certificate> issuers) {
    for (X509Certificate issuer : issuers) {
      if (issuer.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) {
        return issuer;
      }
    }
    return null;
  }
}
