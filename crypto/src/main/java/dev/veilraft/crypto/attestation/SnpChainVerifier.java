package dev.veilraft.crypto.attestation;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;

/**
 * Checks an SNP endorsement chain, leaf first: VCEK or VLEK, then ASK (or ASVK), then ARK. The
 * ARK must be pinned by a trust anchor and self-signed; each certificate must be signed by the
 * next with RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48) as AMD signs them; the leaf key must be
 * EC P-384. Validity periods are checked separately, at the caller's instant, so a chain whose
 * signatures were checked once can be cached. Thread-safe.
 */
final class SnpChainVerifier {
  static final int CHAIN_LENGTH = 3;
  static final int CERTIFICATE_BYTES_MAX = 16 * 1024;
  static final int RSA_MODULUS_BITS_MIN = 3072;
  private static final int CHAINS_CACHED_MAX = 256;
  private static final String RSASSA_PSS_OID = PKCSObjectIdentifiers.id_RSASSA_PSS.getId();
  private static final int PSS_SALT_BYTES = 48;
  private static final String[] ROLES = {"VCEK/VLEK", "ASK", "ARK"};
  private static final ECParameterSpec P384 = p384();

  /** A chain whose structure and signatures passed; validity is still to be checked. */
  record VerifiedChain(X509Certificate leaf, X509Certificate ask, X509Certificate ark, SnpTrustAnchor anchor,
      Optional<SnpProduct> product) {}

  private final List<SnpTrustAnchor> anchors;
  private final VerifiedChainCache<VerifiedChain> cache = new VerifiedChainCache<>(CHAINS_CACHED_MAX);

  SnpChainVerifier(List<SnpTrustAnchor> anchors) {
    this.anchors = List.copyOf(anchors);
  }

  VerifiedChain verify(List<ByteString> chain) throws Rejection {
    if (chain.size() != CHAIN_LENGTH) {
      throw new Rejection(RejectReason.MALFORMED, "SNP evidence needs " + CHAIN_LENGTH
          + " certificates (VCEK or VLEK, ASK, ARK), got " + chain.size());
    }
    for (int i = 0; i < CHAIN_LENGTH; i++) {
      // Bound the size before anything copies or hashes the bytes.
      int size = chain.get(i).size();
      if (size == 0 || size > CERTIFICATE_BYTES_MAX) {
        throw new Rejection(RejectReason.MALFORMED, ROLES[i] + " certificate is " + size
            + " bytes; expected 1 to " + CERTIFICATE_BYTES_MAX);
      }
    }
    List<ByteBuffer> ders = new ArrayList<>(chain.size());
    chain.forEach(der -> ders.add(der.asReadOnlyByteBuffer()));
    return cache.verify(ders, () -> verifyUncached(chain));
  }

  private VerifiedChain verifyUncached(List<ByteString> chain) throws Rejection {
    List<X509Certificate> certs = new ArrayList<>(CHAIN_LENGTH);
    for (int i = 0; i < CHAIN_LENGTH; i++) {
      certs.add(parse(chain.get(i).toByteArray(), ROLES[i]));
    }
    X509Certificate leaf = certs.get(0);
    X509Certificate ask = certs.get(1);
    X509Certificate ark = certs.get(2);
    SnpTrustAnchor anchor = trustedAnchor(chain.get(2).toByteArray(), ark);
    requireCa(ark, "ARK");
    requireCa(ask, "ASK");
    requireSignedBy(ark, ark, "ARK", "itself");
    requireSignedBy(ask, ark, "ASK", "the ARK");
    requireSignedBy(leaf, ask, "VCEK/VLEK", "the ASK");
    requireP384(leaf.getPublicKey());
    Optional<SnpProduct> product = anchor.knownProduct()
        .or(() -> SnpProduct.fromName(ask.getSubjectX500Principal().getName()))
        .or(() -> SnpProduct.fromName(ark.getSubjectX500Principal().getName()));
    return new VerifiedChain(leaf, ask, ark, anchor, product);
  }

  /** Every certificate must be valid at {@code at}: the caller's (leader-stamped) time, never the local clock. */
  static void checkValidity(VerifiedChain chain, Instant at) throws Rejection {
    X509Certificate[] certs = {chain.leaf(), chain.ask(), chain.ark()};
    for (int i = 0; i < certs.length; i++) {
      Instant notBefore = certs[i].getNotBefore().toInstant();
      Instant notAfter = certs[i].getNotAfter().toInstant();
      if (at.isBefore(notBefore)) {
        throw new Rejection(RejectReason.CERT_EXPIRED, ROLES[i] + " certificate '" + commonName(certs[i])
            + "' is not valid before " + notBefore + " (checked at " + at + ")");
      }
      if (at.isAfter(notAfter)) {
        throw new Rejection(RejectReason.CERT_EXPIRED, ROLES[i] + " certificate '" + commonName(certs[i])
            + "' expired at " + notAfter + " (checked at " + at + ")");
      }
    }
  }

  private static X509Certificate parse(byte[] der, String role) throws Rejection {
    try {
      return Certificates.parseDer(der, role + " certificate");
    } catch (CryptoException e) {
      throw new Rejection(RejectReason.MALFORMED, e.getMessage());
    }
  }

  private SnpTrustAnchor trustedAnchor(byte[] arkDer, X509Certificate ark) throws Rejection {
    byte[] sha256 = Hashes.sha256(arkDer);
    for (SnpTrustAnchor anchor : anchors) {
      if (anchor.pins(sha256)) {
        return anchor;
      }
    }
    throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "chain ends in ARK '" + commonName(ark) + "' (sha256 "
        + Hashes.shortHex(sha256, 8) + "), which is not a trusted root; trusted: " + anchors);
  }

  private static void requireCa(X509Certificate cert, String role) throws Rejection {
    if (cert.getBasicConstraints() < 0) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " certificate '" + commonName(cert)
          + "' is not a CA certificate (basic constraints)");
    }
  }

  private static void requireSignedBy(X509Certificate cert, X509Certificate issuer, String role, String by)
      throws Rejection {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " certificate '" + commonName(cert)
          + "' names issuer '" + cert.getIssuerX500Principal().getName() + "', not " + by + " ('"
          + issuer.getSubjectX500Principal().getName() + "')");
    }
    requirePss384(cert, role);
    PublicKey issuerKey = issuer.getPublicKey();
    if (!(issuerKey instanceof RSAPublicKey rsa) || rsa.getModulus().bitLength() < RSA_MODULUS_BITS_MIN) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "the key of " + by + " must be RSA with at least "
          + RSA_MODULUS_BITS_MIN + " bits, got " + issuerKey.getAlgorithm());
    }
    boolean valid;
    try {
      Signature signature = Signature.getInstance("RSASSA-PSS");
      signature.setParameter(new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, PSS_SALT_BYTES, 1));
      signature.initVerify(issuerKey);
      signature.update(cert.getTBSCertificate());
      valid = signature.verify(cert.getSignature());
    } catch (GeneralSecurityException | RuntimeException e) {
      valid = false;
    }
    if (!valid) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " certificate '" + commonName(cert)
          + "' is not signed by " + by);
    }
  }

  private static void requirePss384(X509Certificate cert, String role) throws Rejection {
    String problem = null;
    if (!RSASSA_PSS_OID.equals(cert.getSigAlgOID())) {
      problem = "algorithm " + cert.getSigAlgName() + " (" + cert.getSigAlgOID() + ")";
    } else {
      try {
        RSASSAPSSparams params = RSASSAPSSparams.getInstance(ASN1Primitive.fromByteArray(cert.getSigAlgParams()));
        AlgorithmIdentifier mgf = params.getMaskGenAlgorithm();
        boolean ok = params.getHashAlgorithm().getAlgorithm().equals(NISTObjectIdentifiers.id_sha384)
            && mgf.getAlgorithm().equals(PKCSObjectIdentifiers.id_mgf1)
            && AlgorithmIdentifier.getInstance(mgf.getParameters()).getAlgorithm()
                .equals(NISTObjectIdentifiers.id_sha384)
            && params.getSaltLength().intValueExact() == PSS_SALT_BYTES
            && params.getTrailerField().intValueExact() == 1;
        problem = ok ? null : "RSASSA-PSS parameters other than SHA-384/MGF1-SHA-384/salt 48";
      } catch (java.io.IOException | RuntimeException e) {
        problem = "unreadable RSASSA-PSS parameters";
      }
    }
    if (problem != null) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " certificate '" + commonName(cert)
          + "' is signed with " + problem + "; SNP chains use RSASSA-PSS with SHA-384, MGF1-SHA-384, salt 48");
    }
  }

  private static void requireP384(PublicKey key) throws Rejection {
    boolean p384 = key instanceof ECPublicKey ec
        && ec.getParams().getCurve().equals(P384.getCurve())
        && ec.getParams().getGenerator().equals(P384.getGenerator())
        && ec.getParams().getOrder().equals(P384.getOrder());
    if (!p384) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "VCEK/VLEK key must be EC P-384, got "
          + key.getAlgorithm());
    }
  }

  static String commonName(X509Certificate cert) {
    String name = cert.getSubjectX500Principal().getName();
    for (String part : name.split(",")) {
      if (part.startsWith("CN=")) {
        return part.substring(3);
      }
    }
    return name;
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
