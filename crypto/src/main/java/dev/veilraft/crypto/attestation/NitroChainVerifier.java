package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a Nitro document's certificates: cabundle[0] must be the pinned root (by the SHA-256 of
 * its DER), each later cabundle certificate must be a CA signed by the one before it, and the leaf
 * {@code certificate} must be signed by the last. Every certificate is ECDSA P-384 signed with
 * ecdsa-with-SHA384, as AWS issues them. Validity periods are checked separately, at the caller's
 * instant, so a chain whose signatures were checked once can be cached (AWS reuses the CA
 * certificates across documents for hours to days). Thread-safe.
 */
final class NitroChainVerifier {
  private static final int CHAINS_CACHED_MAX = 256;
  private static final String ECDSA_WITH_SHA384_OID = "1.2.840.10045.4.3.3";
  private static final String KEY_USAGE_OID = "2.5.29.15";
  private static final String BASIC_CONSTRAINTS_OID = "2.5.29.19";
  /** RFC 5280: a certificate with a critical extension the verifier does not process is refused. */
  private static final Set<String> CRITICAL_EXTENSIONS_UNDERSTOOD = Set.of(KEY_USAGE_OID, BASIC_CONSTRAINTS_OID);
  private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
  private static final int KEY_USAGE_KEY_CERT_SIGN = 5;
  private static final ECParameterSpec P384 = p384();

  /** A chain whose structure and signatures passed, root first; validity is still to be checked. */
  record VerifiedChain(List<X509Certificate> cas, X509Certificate leaf) {
    VerifiedChain {
      cas = List.copyOf(cas);
    }
  }

  private final PinnedRoot anchor;
  private final VerifiedChainCache<VerifiedChain> cache = new VerifiedChainCache<>(CHAINS_CACHED_MAX);

  NitroChainVerifier(PinnedRoot anchor) {
    this.anchor = anchor;
  }

  /** Checks structure and signatures; the sizes were bounded by {@link NitroDocument#parse}. */
  VerifiedChain verify(List<byte[]> cabundle, byte[] leafDer) throws Rejection {
    List<ByteBuffer> ders = new ArrayList<>(cabundle.size() + 1);
    cabundle.forEach(der -> ders.add(ByteBuffer.wrap(der)));
    ders.add(ByteBuffer.wrap(leafDer));
    return cache.verify(ders, () -> verifyUncached(cabundle, leafDer));
  }

  private VerifiedChain verifyUncached(List<byte[]> cabundle, byte[] leafDer) throws Rejection {
    byte[] rootSha256 = Hashes.sha256(cabundle.get(0));
    if (!anchor.pins(rootSha256)) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "cabundle[0] " + describeUntrustedRoot(cabundle.get(0))
          + " (sha256 " + Hashes.shortHex(rootSha256, 8) + ") is not the trusted root " + anchor);
    }
    // cabundle[0] is byte for byte the pinned root: trusted as it is, without a self-signature check.
    List<X509Certificate> cas = new ArrayList<>(cabundle.size());
    for (int i = 0; i < cabundle.size(); i++) {
      cas.add(parse(cabundle.get(i), role(i)));
    }
    X509Certificate leaf = parse(leafDer, "leaf certificate");
    for (int i = 0; i < cas.size(); i++) {
      X509Certificate ca = cas.get(i);
      requireUnderstoodCriticalExtensions(ca, role(i));
      requireP384(ca, role(i));
      // Each CA may have at most pathLen CA certificates below it; here, the rest of the cabundle.
      int casBelow = cas.size() - 1 - i;
      if (ca.getBasicConstraints() < casBelow) {
        throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role(i) + " '" + commonName(ca) + "' "
            + (ca.getBasicConstraints() < 0 ? "is not a CA certificate (basic constraints)"
                : "allows " + ca.getBasicConstraints() + " CA certificates below it, but " + casBelow + " follow"));
      }
      boolean[] usage = ca.getKeyUsage();
      if (usage != null && !usage[KEY_USAGE_KEY_CERT_SIGN]) {
        throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role(i) + " '" + commonName(ca)
            + "' has a key usage without keyCertSign, so it may not issue certificates");
      }
      if (i > 0) {
        requireSignedBy(ca, role(i), cas.get(i - 1), role(i - 1));
      }
    }
    requireUnderstoodCriticalExtensions(leaf, "leaf certificate");
    requireP384(leaf, "leaf certificate");
    boolean[] usage = leaf.getKeyUsage();
    if (usage != null && !usage[KEY_USAGE_DIGITAL_SIGNATURE]) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "leaf certificate '" + commonName(leaf)
          + "' has a key usage without digitalSignature, so it may not sign documents");
    }
    int last = cas.size() - 1;
    requireSignedBy(leaf, "leaf certificate", cas.get(last), role(last));
    return new VerifiedChain(cas, leaf);
  }

  /** Every certificate must be valid at {@code at}: the caller's time, never the local clock. */
  static void checkValidity(VerifiedChain chain, Instant at) throws Rejection {
    List<X509Certificate> certs = new ArrayList<>(chain.cas());
    certs.add(chain.leaf());
    for (int i = 0; i < certs.size(); i++) {
      X509Certificate cert = certs.get(i);
      String role = i < chain.cas().size() ? role(i) : "leaf certificate";
      Instant notBefore = cert.getNotBefore().toInstant();
      Instant notAfter = cert.getNotAfter().toInstant();
      if (at.isBefore(notBefore)) {
        throw new Rejection(RejectReason.CERT_EXPIRED, role + " '" + commonName(cert) + "' is not valid before "
            + notBefore + " (checked at " + at + ")");
      }
      if (at.isAfter(notAfter)) {
        throw new Rejection(RejectReason.CERT_EXPIRED, role + " '" + commonName(cert) + "' expired at " + notAfter
            + " (checked at " + at + ")");
      }
    }
  }

  private static String role(int cabundleIndex) {
    return cabundleIndex == 0 ? "cabundle[0] (root)" : "cabundle[" + cabundleIndex + "]";
  }

  private static X509Certificate parse(byte[] der, String role) throws Rejection {
    try {
      return Certificates.parseDer(der, role);
    } catch (CryptoException e) {
      throw new Rejection(RejectReason.MALFORMED, e.getMessage());
    }
  }

  private static String describeUntrustedRoot(byte[] der) {
    try {
      return "'" + Certificates.parse(der, "cabundle[0]").getSubjectX500Principal().getName() + "'";
    } catch (CryptoException | RuntimeException e) {
      return "(not a certificate)";
    }
  }

  private static void requireUnderstoodCriticalExtensions(X509Certificate cert, String role) throws Rejection {
    Set<String> critical = cert.getCriticalExtensionOIDs();
    if (critical == null) {
      return;
    }
    for (String oid : critical) {
      if (!CRITICAL_EXTENSIONS_UNDERSTOOD.contains(oid)) {
        throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " '" + commonName(cert)
            + "' has critical extension " + oid + ", which this verifier does not process");
      }
    }
  }

  private static void requireSignedBy(X509Certificate cert, String role, X509Certificate issuer, String by)
      throws Rejection {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " '" + commonName(cert) + "' names issuer '"
          + cert.getIssuerX500Principal().getName() + "', not " + by + " ('"
          + issuer.getSubjectX500Principal().getName() + "')");
    }
    if (!ECDSA_WITH_SHA384_OID.equals(cert.getSigAlgOID())) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " '" + commonName(cert) + "' is signed with "
          + cert.getSigAlgName() + " (" + cert.getSigAlgOID() + "); Nitro chains use ecdsa-with-SHA384");
    }
    if (!Certificates.signatureVerifies(cert, issuer.getPublicKey(), "SHA384withECDSA")) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " '" + commonName(cert) + "' is not signed by "
          + by + " '" + commonName(issuer) + "'");
    }
  }

  private static void requireP384(X509Certificate cert, String role) throws Rejection {
    PublicKey key = cert.getPublicKey();
    boolean p384 = key instanceof ECPublicKey ec
        && ec.getParams().getCurve().equals(P384.getCurve())
        && ec.getParams().getGenerator().equals(P384.getGenerator())
        && ec.getParams().getOrder().equals(P384.getOrder());
    if (!p384) {
      String got = key instanceof ECPublicKey ec
          ? "EC on a " + ec.getParams().getCurve().getField().getFieldSize() + "-bit curve other than P-384"
          : key.getAlgorithm();
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " '" + commonName(cert) + "' key must be EC P-384, got "
          + got);
    }
  }

  static String commonName(X509Certificate cert) {
    return SnpChainVerifier.commonName(cert);
  }


  private static ECParameterSpec p384() {
    try {
      AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
      params.init(new ECGenParameterSpec("secp384r1"));
      return params.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("JDK lacks the P-384 curve", e);
    }
  }
}
