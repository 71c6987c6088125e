package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * The optional CRL check of an SNP chain. AMD KDS publishes one CRL per product, signed by the
 * ARK, listing revoked ASKs/ASVKs (VCEKs all have serial 0 and are never listed). A CRL issued by
 * someone else is not about this chain and is ignored; a CRL from this chain's ARK must verify
 * and be current at the instant of verification, otherwise it proves nothing and is refused.
 */
final class SnpRevocation {
  /** Bound on CRLs per evidence: one per product is what AMD publishes. */
  static final int CRLS_MAX = 8;
  /** AMD's CRLs are a few KiB; this bounds the parse. */
  static final int CRL_BYTES_MAX = 256 * 1024;

  private static final BouncyCastleProvider BC = new BouncyCastleProvider();

  private SnpRevocation() {}

  static void check(List<ByteString> crls, SnpChainVerifier.VerifiedChain chain, Instant at) throws Rejection {
    if (crls.size() > CRLS_MAX) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, crls.size() + " CRLs supplied; at most " + CRLS_MAX);
    }
    X500Name ark = X500Name.getInstance(chain.ark().getSubjectX500Principal().getEncoded());
    for (int i = 0; i < crls.size(); i++) {
      X509CRLHolder crl = parse(crls.get(i), i);
      if (!crl.getIssuer().equals(ark)) {
        continue;
      }
      requireSignedBy(crl, chain.ark(), i);
      requireCurrent(crl, at, i);
      requireNotListed(crl, chain.ask(), "ASK", i);
    }
  }

  private static X509CRLHolder parse(ByteString der, int index) throws Rejection {
    if (der.isEmpty() || der.size() > CRL_BYTES_MAX) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " is " + der.size()
          + " bytes; expected 1 to " + CRL_BYTES_MAX);
    }
    try {
      return new X509CRLHolder(der.toByteArray());
    } catch (java.io.IOException | RuntimeException e) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " is not a DER X.509 CRL");
    }
  }

  private static void requireSignedBy(X509CRLHolder crl, X509Certificate issuer, int index) throws Rejection {
    boolean valid;
    try {
      valid = crl.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC)
          .build(issuer.getPublicKey()));
    } catch (Exception e) {
      valid = false;
    }
    if (!valid) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " names ARK '"
          + SnpChainVerifier.commonName(issuer) + "' as issuer but its signature does not verify under that ARK");
    }
  }

  private static void requireCurrent(X509CRLHolder crl, Instant at, int index) throws Rejection {
    Instant thisUpdate = crl.getThisUpdate().toInstant();
    if (at.isBefore(thisUpdate)) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " is issued at " + thisUpdate
          + ", after the instant of verification " + at);
    }
    if (crl.getNextUpdate() == null) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " has no next update, so nothing says "
          + "until when it is complete; AMD's CRLs always carry one");
    }
    if (at.isAfter(crl.getNextUpdate().toInstant())) {
      throw new Rejection(RejectReason.COLLATERAL_INVALID, "CRL #" + index + " is stale: its next update was due "
          + crl.getNextUpdate().toInstant() + " (checked at " + at + "); fetch a current CRL");
    }
  }

  private static void requireNotListed(X509CRLHolder crl, X509Certificate cert, String role, int index)
      throws Rejection {
    BigInteger serial = cert.getSerialNumber();
    if (crl.getRevokedCertificate(serial) != null) {
      throw new Rejection(RejectReason.CERT_REVOKED, role + " certificate '" + SnpChainVerifier.commonName(cert)
          + "' (serial " + serial.toString(16) + ") is revoked by CRL #" + index + " of its ARK");
    }
  }
}
