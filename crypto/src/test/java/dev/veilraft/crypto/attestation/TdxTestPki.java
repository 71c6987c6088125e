package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.StandardDSAEncoding;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.operator.ContentSigner;

/**
 * Test-only: a throwaway Intel-shaped PKI (root, "Intel SGX PCK Platform CA", "Intel SGX PCK
 * Certificate" leaf with an SGX extension, "Intel SGX TCB Signing") whose keys come from a label
 * and whose signatures are deterministic (RFC 6979), so the same label always yields the same
 * certificates byte for byte. That lets committed fuzz seeds chain to a root a test can pin. Never
 * use outside tests: anyone can derive these keys.
 */
final class TdxTestPki {
  static final Instant NOT_BEFORE = Instant.parse("2024-01-01T00:00:00Z");
  static final Instant LEAF_NOT_AFTER = Instant.parse("2031-01-01T00:00:00Z");
  static final Instant CA_NOT_AFTER = Instant.parse("2040-01-01T00:00:00Z");
  /** An instant inside every validity period of this PKI. */
  static final Instant VALID_AT = Instant.parse("2026-06-01T00:00:00Z");
  static final byte[] FMSPC = Hashes.unhex("90c06f000000");
  static final byte[] PCE_ID = Hashes.unhex("0000");
  static final int[] SGX_TCB = {4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  static final int PCE_SVN = 13;

  private static final X9ECParameters CURVE = CustomNamedCurves.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN = new ECDomainParameters(CURVE);
  private static final ECParameterSpec P256 = TdxCertificates.P256;
  private static final ASN1ObjectIdentifier SGX = new ASN1ObjectIdentifier(TdxPckExtensions.SGX_EXTENSIONS_OID);
  private static final ConcurrentHashMap<String, TdxTestPki> CACHE = new ConcurrentHashMap<>();

  /** A P-256 key pair derived from a label: private scalar and its public point. */
  record Key(BigInteger d, PublicKey publicKey) {
    static Key of(String label) {
      BigInteger n = CURVE.getN();
      BigInteger d = new BigInteger(1, Hashes.sha256(Hashes.utf8("veilraft tdx test key " + label)))
          .mod(n.subtract(BigInteger.ONE)).add(BigInteger.ONE);
      org.bouncycastle.math.ec.ECPoint q = new FixedPointCombMultiplier().multiply(CURVE.getG(), d).normalize();
      try {
        PublicKey pub = KeyFactory.getInstance("EC").generatePublic(new ECPublicKeySpec(
            new ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), P256));
        return new Key(d, pub);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** Raw X||Y, 64 bytes, as a TDX quote carries the attestation key. */
    byte[] rawPublic() {
      org.bouncycastle.math.ec.ECPoint q = new FixedPointCombMultiplier().multiply(CURVE.getG(), d).normalize();
      return Hashes.concat(unsigned32(q.getAffineXCoord().toBigInteger()), unsigned32(q.getAffineYCoord().toBigInteger()));
    }

    /** Deterministic ECDSA P-256 / SHA-256 signature as raw r||s (64 bytes). */
    byte[] signRaw(byte[] data) {
      BigInteger[] rs = sign(data);
      return Hashes.concat(unsigned32(rs[0]), unsigned32(rs[1]));
    }

    byte[] signDer(byte[] data) {
      BigInteger[] rs = sign(data);
      try {
        return StandardDSAEncoding.INSTANCE.encode(CURVE.getN(), rs[0], rs[1]);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    private BigInteger[] sign(byte[] data) {
      SHA256Digest digest = new SHA256Digest();
      digest.update(data, 0, data.length);
      byte[] hash = new byte[32];
      digest.doFinal(hash, 0);
      ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
      signer.init(true, new ECPrivateKeyParameters(d, DOMAIN));
      return signer.generateSignature(hash);
    }

    ContentSigner contentSigner() {
      return new ContentSigner() {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

        @Override
        public AlgorithmIdentifier getAlgorithmIdentifier() {
          return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
        }

        @Override
        public OutputStream getOutputStream() {
          return buffer;
        }

        @Override
        public byte[] getSignature() {
          return signDer(buffer.toByteArray());
        }
      };
    }
  }

  final String label;
  final Key rootKey;
  final Key caKey;
  final Key leafKey;
  final Key tcbSigningKey;
  final X509Certificate root;
  final X509Certificate ca;
  final X509Certificate leaf;
  final X509Certificate tcbSigning;

  private TdxTestPki(String label, Instant leafNotAfter) {
    this.label = label;
    rootKey = Key.of(label + "/root");
    caKey = Key.of(label + "/pck-ca");
    leafKey = Key.of(label + "/pck-leaf");
    tcbSigningKey = Key.of(label + "/tcb-signing");
    // Every label shares the root name: a look-alike root differs only in its key, as a forger's would.
    X500Name rootName = name("Test SGX Root CA");
    X500Name caName = name("Intel SGX PCK Platform CA");
    root = certificate(rootName, rootName, rootKey, rootKey, 1, new BasicConstraints(1), CA_NOT_AFTER, null);
    ca = certificate(caName, rootName, caKey, rootKey, 2, new BasicConstraints(0), CA_NOT_AFTER, null);
    leaf = certificate(name("Intel SGX PCK Certificate"), caName, leafKey, caKey, 3, null, leafNotAfter,
        sgxExtension());
    tcbSigning = certificate(name("Intel SGX TCB Signing"), rootName, tcbSigningKey, rootKey, 4, null,
        CA_NOT_AFTER, null);
  }

  /** The PKI for {@code label}; the same label always gives the same certificates. */
  static TdxTestPki of(String label) {
    return CACHE.computeIfAbsent(label, l -> new TdxTestPki(l, LEAF_NOT_AFTER));
  }

  static TdxTestPki standard() {
    return of("standard");
  }

  PinnedRoot anchor() {
    return PinnedRoot.of("test root " + label, der(root));
  }

  TdxEvidenceVerifier verifier() {
    return new TdxEvidenceVerifier(anchor());
  }

  /** Leaf, CA and root as concatenated PEM with Intel's trailing NUL. */
  byte[] pemChain() {
    StringBuilder pem = new StringBuilder();
    for (X509Certificate cert : List.of(leaf, ca, root)) {
      pem.append("-----BEGIN CERTIFICATE-----\n")
          .append(Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der(cert)))
          .append("\n-----END CERTIFICATE-----\n");
    }
    return Hashes.concat(pem.toString().getBytes(StandardCharsets.US_ASCII), new byte[] {0});
  }

  /** A CRL issued by {@code issuer} (the CA or the root) listing {@code revokedSerials}. */
  byte[] crl(boolean byRoot, Instant thisUpdate, Instant nextUpdate, BigInteger... revokedSerials) {
    X509Certificate issuer = byRoot ? root : ca;
    return crl(X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()), byRoot ? rootKey : caKey,
        thisUpdate, nextUpdate, revokedSerials);
  }

  /** A CRL of a CA outside this chain ("Intel SGX PCK Processor CA"), listing {@code revokedSerials}. */
  byte[] foreignCrl(Instant thisUpdate, Instant nextUpdate, BigInteger... revokedSerials) {
    return crl(name("Intel SGX PCK Processor CA"), caKey, thisUpdate, nextUpdate, revokedSerials);
  }

  private static byte[] crl(X500Name issuer, Key key, Instant thisUpdate, Instant nextUpdate,
      BigInteger... revokedSerials) {
    X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(nextUpdate));
    for (BigInteger serial : revokedSerials) {
      builder.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
    }
    try {
      return builder.build(key.contentSigner()).getEncoded();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] der(X509Certificate cert) {
    try {
      return cert.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=veilraft test (not Intel)");
  }

  private static X509Certificate certificate(X500Name subject, X500Name issuer, Key subjectKey, Key issuerKey,
      long serial, BasicConstraints ca, Instant notAfter, DERSequence sgx) {
    try {
      X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer, BigInteger.valueOf(serial),
          Date.from(NOT_BEFORE), Date.from(notAfter), subject,
          SubjectPublicKeyInfo.getInstance(subjectKey.publicKey().getEncoded()));
      if (ca != null) {
        builder.addExtension(Extension.basicConstraints, true, ca);
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      }
      if (sgx != null) {
        builder.addExtension(SGX, false, sgx);
      }
      X509CertificateHolder holder = builder.build(issuerKey.contentSigner());
      return (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(holder.getEncoded()));
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The SGX extension as Intel lays it out: PPID, TCB (16 components, PCESVN, CPUSVN), PCE-ID, FMSPC, type. */
  private static DERSequence sgxExtension() {
    ASN1EncodableVector tcb = new ASN1EncodableVector();
    byte[] cpuSvn = new byte[16];
    for (int i = 0; i < SGX_TCB.length; i++) {
      tcb.add(pair(SGX.branch("2." + (i + 1)), new ASN1Integer(SGX_TCB[i])));
      cpuSvn[i] = (byte) SGX_TCB[i];
    }
    tcb.add(pair(SGX.branch("2.17"), new ASN1Integer(PCE_SVN)));
    tcb.add(pair(SGX.branch("2.18"), new DEROctetString(cpuSvn)));
    ASN1EncodableVector all = new ASN1EncodableVector();
    all.add(pair(SGX.branch("1"), new DEROctetString(new byte[16])));
    all.add(pair(SGX.branch("2"), new DERSequence(tcb)));
    all.add(pair(SGX.branch("3"), new DEROctetString(PCE_ID)));
    all.add(pair(SGX.branch("4"), new DEROctetString(FMSPC)));
    all.add(pair(SGX.branch("5"), new ASN1Enumerated(0)));
    return new DERSequence(all);
  }

  private static DERSequence pair(ASN1ObjectIdentifier oid, org.bouncycastle.asn1.ASN1Encodable value) {
    return new DERSequence(new org.bouncycastle.asn1.ASN1Encodable[] {oid, value});
  }

  private static byte[] unsigned32(BigInteger value) {
    byte[] raw = value.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return out;
  }
}
