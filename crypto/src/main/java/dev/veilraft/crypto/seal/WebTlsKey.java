package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * The key of a node's web TLS certificate: a CA-issued certificate for the node's domain, so that
 * unmodified wallets and Nostr clients can validate the node with the normal web PKI. The private
 * key is generated inside the node and sealed to its TEE ({@value #FILE_NAME}); it never leaves
 * it. The operator gets a certificate for it from a CA through a CSR; the node's evidence binds
 * this key too (see {@code ReportData.bindWebTls}), so a verifier can tell that the TLS endpoint
 * a CA vouches for terminates inside the attested TEE.
 */
public final class WebTlsKey {
  public static final String FILE_NAME = "web-tls.sealed";
  private static final byte[] SEAL_LABEL = Hashes.utf8("veilraft/web-tls-key/v1");
  /** DNS names one CSR may carry. */
  public static final int DNS_NAMES_MAX = 16;
  private static final Pattern DNS_NAME =
      Pattern.compile("(\\*\\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}");

  private final PrivateKey privateKey;
  private final PublicKey publicKey;

  private WebTlsKey(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** Loads the node's sealed web TLS key from {@code dataDir}, or generates and seals a new one. */
  public static WebTlsKey loadOrCreate(Path dataDir, Sealer sealer) throws IOException, CryptoException {
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      return load(dataDir, sealer);
    }
    KeyPair pair;
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      pair = generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new CryptoException("cannot generate a P-256 key: " + e.getMessage(), e);
    }
    byte[] pkcs8 = pair.getPrivate().getEncoded();
    Files.createDirectories(dataDir);
    Path tmp = dataDir.resolve(FILE_NAME + ".tmp");
    Files.write(tmp, sealer.seal(pkcs8, SEAL_LABEL));
    Arrays.fill(pkcs8, (byte) 0);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return new WebTlsKey(pair.getPrivate(), pair.getPublic());
  }

  /** Loads the node's sealed web TLS key; fails when {@code veilraft tls csr} never created one. */
  public static WebTlsKey load(Path dataDir, Sealer sealer) throws IOException, CryptoException {
    Path file = dataDir.resolve(FILE_NAME);
    if (!Files.exists(file)) {
      throw new CryptoException(file + " does not exist: create the web TLS key with 'veilraft tls csr'");
    }
    byte[] pkcs8 = sealer.unseal(Files.readAllBytes(file), SEAL_LABEL);
    try {
      KeyFactory factory = KeyFactory.getInstance("EC");
      PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      var ec = (java.security.interfaces.ECPrivateKey) privateKey;
      var point = ec.getParams().getGenerator();
      // The public key is derived, not stored: recompute it from the private scalar.
      org.bouncycastle.jce.spec.ECNamedCurveParameterSpec spec =
          org.bouncycastle.jce.ECNamedCurveTable.getParameterSpec("secp256r1");
      org.bouncycastle.math.ec.ECPoint q = spec.getG().multiply(ec.getS()).normalize();
      PublicKey publicKey = factory.generatePublic(new java.security.spec.ECPublicKeySpec(
          new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()),
          ec.getParams()));
      Check.invariant(point != null, "P-256 parameters carry a generator");
      return new WebTlsKey(privateKey, publicKey);
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new CryptoException(file + ": sealed web TLS key is not a P-256 PKCS#8 key: " + e.getMessage(), e);
    } finally {
      Arrays.fill(pkcs8, (byte) 0);
    }
  }

  /** The public key (SubjectPublicKeyInfo DER), as bound in the node's evidence. */
  public byte[] spki() {
    return publicKey.getEncoded();
  }

  /**
   * A PKCS#10 certificate signing request (PEM) for {@code dnsNames}, subject CN the first name,
   * signed with this key (ECDSA P-256, SHA-256). Names are lower-case DNS names, a leading
   * {@code *.} allowed.
   */
  public String csrPem(List<String> dnsNames) throws CryptoException {
    Check.argument(!dnsNames.isEmpty() && dnsNames.size() <= DNS_NAMES_MAX, "a CSR carries 1.." + DNS_NAMES_MAX
        + " DNS names, got " + dnsNames.size());
    GeneralName[] names = new GeneralName[dnsNames.size()];
    for (int i = 0; i < names.length; i++) {
      String name = dnsNames.get(i);
      Check.argument(name.length() <= 253 && DNS_NAME.matcher(name).matches(), "'" + Check.printable(name)
          + "' is not a lower-case DNS name (e.g. mint.example.org or *.example.org)");
      names[i] = new GeneralName(GeneralName.dNSName, name);
    }
    try {
      ExtensionsGenerator extensions = new ExtensionsGenerator();
      extensions.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      PKCS10CertificationRequest csr = new JcaPKCS10CertificationRequestBuilder(
          new X500Name("CN=" + dnsNames.get(0).replace("*.", "")), publicKey)
          .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate())
          .build(new JcaContentSignerBuilder("SHA256withECDSA").build(privateKey));
      StringWriter out = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
        pem.writeObject(csr);
      }
      return out.toString();
    } catch (OperatorCreationException | IOException e) {
      throw new CryptoException("cannot build the certificate signing request: " + e.getMessage(), e);
    }
  }

  /**
   * A self-signed certificate (PEM) for this key and {@code dnsNames}, valid from {@code notBefore}
   * for {@code validity}: for test deployments without a CA; clients must pin it, the web PKI
   * does not vouch for it.
   */
  public String selfSignedPem(List<String> dnsNames, java.time.Instant notBefore, java.time.Duration validity)
      throws CryptoException {
    Check.argument(!validity.isNegative() && !validity.isZero(), "certificate validity must be positive");
    String csrPem = csrPem(dnsNames);
    try (var parser = new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(csrPem))) {
      PKCS10CertificationRequest csr = (PKCS10CertificationRequest) parser.readObject();
      X500Name subject = csr.getSubject();
      var builder = new org.bouncycastle.cert.X509v3CertificateBuilder(subject,
          new java.math.BigInteger(64, new java.security.SecureRandom()), java.util.Date.from(notBefore),
          java.util.Date.from(notBefore.plus(validity)), subject, csr.getSubjectPublicKeyInfo());
      builder.addExtension(Extension.subjectAlternativeName, false,
          csr.getRequestedExtensions().getExtension(Extension.subjectAlternativeName).getParsedValue());
      var holder = builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(privateKey));
      StringWriter out = new StringWriter();
      try (JcaPEMWriter pem = new JcaPEMWriter(out)) {
        pem.writeObject(holder);
      }
      return out.toString();
    } catch (OperatorCreationException | IOException e) {
      throw new CryptoException("cannot build the self-signed certificate: " + e.getMessage(), e);
    }
  }

  /**
   * A TLS key manager entry for {@code chain} (leaf first), after checking that the leaf
   * certifies this key: a chain issued for another key is refused by name.
   */
  public java.security.KeyStore.PrivateKeyEntry entry(List<X509Certificate> chain) throws CryptoException {
    Check.argument(!chain.isEmpty(), "the web TLS certificate chain is empty");
    if (!Arrays.equals(chain.get(0).getPublicKey().getEncoded(), spki())) {
      throw new CryptoException("the web TLS certificate (" + chain.get(0).getSubjectX500Principal().getName()
          + ") certifies another key than this node's web TLS key (SHA-256 "
          + Hashes.shortHex(Hashes.sha256(spki()), 8) + "); issue it for the CSR from 'veilraft tls csr'");
    }
    return new java.security.KeyStore.PrivateKeyEntry(privateKey, chain.toArray(new X509Certificate[0]));
  }

  /** Reads a PEM certificate chain (leaf first). */
  public static List<X509Certificate> readChain(Path file) throws IOException, CryptoException {
    try (var in = Files.newInputStream(file)) {
      var factory = java.security.cert.CertificateFactory.getInstance("X.509");
      List<X509Certificate> chain = factory.generateCertificates(in).stream().map(c -> (X509Certificate) c).toList();
      if (chain.isEmpty()) {
        throw new CryptoException(file + ": no PEM certificate found");
      }
      return chain;
    } catch (java.security.cert.CertificateException e) {
      throw new CryptoException(file + ": not a PEM certificate chain: " + e.getMessage(), e);
    }
  }

  /** Parses a public key from SPKI DER (for verifiers). */
  static PublicKey publicKey(byte[] spki) throws GeneralSecurityException {
    return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
  }
}
