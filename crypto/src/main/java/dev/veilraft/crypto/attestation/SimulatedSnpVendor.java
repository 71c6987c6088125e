package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE: plays AMD for the simulated TEE. It holds a simulated ARK (root) and ASK, and issues
 * VCEKs to simulated chips, with the same algorithms and extensions as AMD's real certificates,
 * so simulated evidence goes through exactly the checks real evidence does. Anyone with the
 * directory can issue VCEKs and forge evidence: the host holds every key.
 *
 * <p>The ARK and ASK keys are RSA-4096 (keygen takes about 1 s here), signatures RSASSA-PSS with
 * SHA-384, MGF1-SHA-384, salt 48. The ARK's private key is discarded once it has signed the ASK;
 * only ark.der, ask.der and ask.key (PKCS#8) are kept. All certificates are valid from 2020-01-01
 * to 2100-01-01 so tests can verify at any explicit instant in between.
 */
public final class SimulatedSnpVendor {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedSnpVendor.class);
  public static final String ARK_SUBJECT = "CN=SIMULATED-ARK-Milan, O=veilraft simulated TEE (INSECURE)";
  public static final String ASK_SUBJECT = "CN=SIMULATED-SEV-Milan, O=veilraft simulated TEE (INSECURE)";
  public static final String VCEK_SUBJECT = "CN=SIMULATED-SEV-VCEK, O=veilraft simulated TEE (INSECURE)";
  public static final Instant NOT_BEFORE = Instant.parse("2020-01-01T00:00:00Z");
  public static final Instant NOT_AFTER = Instant.parse("2100-01-01T00:00:00Z");
  static final int RSA_BITS = 4096;
  private static final String PSS_SHA384 = "SHA384WITHRSAANDMGF1";
  private static final Provider BC = new BouncyCastleProvider();
  private static final String ARK_FILE = "ark.der";
  private static final String ASK_FILE = "ask.der";
  private static final String ASK_KEY_FILE = "ask.key";
  private static final String ARK_KEY_FILE = "ark.key";

  private final byte[] arkDer;
  private final byte[] askDer;
  private final X509Certificate ask;
  private final PrivateKey askKey;
  /** Null for vendor directories written before CRL support; only CRL issuing needs it. */
  private final PrivateKey arkKey;

  private SimulatedSnpVendor(byte[] arkDer, byte[] askDer, PrivateKey askKey, PrivateKey arkKey) throws IOException {
    this.arkDer = arkDer;
    this.askDer = askDer;
    this.askKey = askKey;
    this.arkKey = arkKey;
    try {
      X509Certificate ark = Certificates.parse(arkDer, "simulated ARK");
      this.ask = Certificates.parse(askDer, "simulated ASK");
      ask.verify(ark.getPublicKey());
      boolean keyMatches = askKey instanceof RSAPrivateCrtKey priv && ask.getPublicKey() instanceof RSAPublicKey pub
          && priv.getModulus().equals(pub.getModulus());
      if (!keyMatches) {
        throw new IOException("simulated ASK key does not match ask.der");
      }
    } catch (CryptoException | GeneralSecurityException e) {
      throw new IOException("simulated vendor files are inconsistent: " + e.getMessage(), e);
    }
  }

  /** Loads the vendor from {@code dir}, or creates a fresh ARK and ASK there when ark.der is absent. */
  public static SimulatedSnpVendor openOrCreate(Path dir) throws IOException {
    Path arkFile = dir.resolve(ARK_FILE);
    if (Files.exists(arkFile)) {
      PrivateKey askKey = rsaPrivateKey(dir.resolve(ASK_KEY_FILE), "simulated ASK key");
      Path arkKeyFile = dir.resolve(ARK_KEY_FILE);
      PrivateKey arkKey = Files.exists(arkKeyFile) ? rsaPrivateKey(arkKeyFile, "simulated ARK key") : null;
      return new SimulatedSnpVendor(Files.readAllBytes(arkFile),
          SimulatedFiles.read(dir.resolve(ASK_FILE), "simulated ASK certificate"), askKey, arkKey);
    }
    return create(dir);
  }

  private static SimulatedSnpVendor create(Path dir) throws IOException {
    Files.createDirectories(dir);
    KeyPair arkPair = rsaKeyPair();
    KeyPair askPair = rsaKeyPair();
    byte[] arkDer = sign(caCertificate(ARK_SUBJECT, ARK_SUBJECT, arkPair.getPublic(), -1), arkPair.getPrivate());
    byte[] askDer = sign(caCertificate(ASK_SUBJECT, ARK_SUBJECT, askPair.getPublic(), 0), arkPair.getPrivate());
    // ark.der last: its presence marks a complete vendor directory.
    SimulatedFiles.writeAtomically(dir.resolve(ARK_KEY_FILE), arkPair.getPrivate().getEncoded(), true);
    SimulatedFiles.writeAtomically(dir.resolve(ASK_KEY_FILE), askPair.getPrivate().getEncoded(), true);
    SimulatedFiles.writeAtomically(dir.resolve(ASK_FILE), askDer, false);
    SimulatedFiles.writeAtomically(dir.resolve(ARK_FILE), arkDer, false);
    LOG.warn("created a SIMULATED SEV-SNP vendor (INSECURE: the host holds every key) in {}, ARK sha256 {}", dir,
        Hashes.shortHex(Hashes.sha256(arkDer), 8));
    return new SimulatedSnpVendor(arkDer, askDer, askPair.getPrivate(), arkPair.getPrivate());
  }

  private static PrivateKey rsaPrivateKey(Path file, String what) throws IOException {
    try {
      return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(SimulatedFiles.read(file, what)));
    } catch (GeneralSecurityException e) {
      throw new IOException(what + " " + file + " is not PKCS#8 RSA", e);
    }
  }

  /** The ASK's serial number, which a CRL from the ARK names to revoke it. */
  public BigInteger askSerial() {
    return ask.getSerialNumber();
  }

  /**
   * A DER CRL signed by the ARK, as AMD KDS publishes one per product: it lists revoked ASKs.
   * Vendor directories written before CRL support lack the ARK key and cannot issue one.
   */
  public byte[] issueCrl(List<BigInteger> revokedSerials, Instant thisUpdate, Instant nextUpdate) {
    if (arkKey == null) {
      throw new IllegalStateException("this simulated vendor directory has no ark.key (it predates CRL support); "
          + "recreate the vendor to issue CRLs");
    }
    X509v2CRLBuilder builder = new X509v2CRLBuilder(new X500Name(ARK_SUBJECT), Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(nextUpdate));
    for (BigInteger serial : revokedSerials) {
      builder.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
    }
    try {
      return builder.build(new JcaContentSignerBuilder(PSS_SHA384).setProvider(BC).build(arkKey)).getEncoded();
    } catch (OperatorCreationException | IOException e) {
      throw new IllegalStateException("cannot issue a simulated CRL", e);
    }
  }

  public byte[] arkDer() {
    return arkDer.clone();
  }

  /** What a cluster's policy pins as {@code simulated_root_sha256}. */
  public byte[] arkSha256() {
    return Hashes.sha256(arkDer);
  }

  public byte[] askDer() {
    return askDer.clone();
  }

  /** The simulated vendor only makes Milan parts. */
  public SnpProduct product() {
    return SnpProduct.MILAN;
  }

  /**
   * Issues a VCEK for a chip: an X.509 certificate for {@code p384} signed by the ASK, with serial
   * number 0 (as AMD's), and AMD's extensions: hwID = {@code chipId64}, SPLs = {@code tcb}.
   */
  public byte[] issueVcek(byte[] chipId64, TcbVersion tcb, PublicKey p384) {
    Check.length(chipId64, SnpReport.CHIP_ID_BYTES, "chip id");
    Check.argument(p384 instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 384,
        "a VCEK key must be EC P-384, got " + p384.getAlgorithm());
    product().encodeTcb(tcb); // Validates that every component fits the TCB layout.
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(ASK_SUBJECT), BigInteger.ZERO,
        Date.from(NOT_BEFORE), Date.from(NOT_AFTER), new X500Name(VCEK_SUBJECT), p384);
    try {
      VcekExtensions.write(builder, product(), chipId64, tcb);
      return sign(builder, askKey);
    } catch (IOException e) {
      throw new IllegalStateException("cannot issue a simulated VCEK", e);
    }
  }

  /** Whether {@code vcek} was issued by this vendor's ASK. */
  boolean issued(X509Certificate vcek) {
    try {
      vcek.verify(ask.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static X509v3CertificateBuilder caCertificate(String subject, String issuer, PublicKey key, int pathLength)
      throws IOException {
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
        new BigInteger(63, new SecureRandom()).add(BigInteger.ONE), Date.from(NOT_BEFORE), Date.from(NOT_AFTER),
        new X500Name(subject), key);
    builder.addExtension(Extension.basicConstraints, true,
        pathLength < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLength));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return builder;
  }

  private static byte[] sign(X509v3CertificateBuilder builder, PrivateKey issuerKey) throws IOException {
    try {
      return builder.build(new JcaContentSignerBuilder(PSS_SHA384).setProvider(BC).build(issuerKey)).getEncoded();
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("RSASSA-PSS signing is unavailable", e);
    }
  }

  private static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(RSA_BITS, new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("RSA key generation is unavailable", e);
    }
  }
}
