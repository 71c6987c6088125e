package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
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
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE: plays Intel for the simulated TDX TEE. It holds a simulated SGX root CA and a PCK
 * platform CA, and issues PCK certificates with Intel's SGX extension (FMSPC, TCB components,
 * PCESVN) to {@link SimulatedTdxMachine}s, with Intel's algorithms (ECDSA P-256, SHA-256), so
 * SIMULATED_TDX quotes go through exactly the checks real TDX quotes do. Anyone with the directory
 * can issue PCKs and forge quotes: the host holds every key.
 *
 * <p>The PCK CA and leaf carry Intel's common names ("Intel SGX PCK Platform CA", "Intel SGX PCK
 * Certificate"), because the real chain verifier checks the role of each certificate by name and
 * the simulation must pass that check unchanged; their organization, and the root's common name,
 * say SIMULATED and INSECURE. The root is trusted only by its SHA-256, which a policy pins as
 * {@code simulated_tdx_root_sha256}.
 *
 * <p>Files (disjoint from {@link SimulatedSnpVendor}'s, so one simulated vendor directory can hold
 * both vendors): {@code tdx-root.der}, {@code tdx-pck-ca.der}, {@code tdx-pck-ca.key} (PKCS#8).
 * The root's private key is discarded once it has signed the PCK CA. Certificates are valid from
 * 2020-01-01 to 2100-01-01, so tests can verify at any explicit instant in between.
 */
public final class SimulatedTdxVendor {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedTdxVendor.class);
  public static final String ROOT_SUBJECT = "CN=SIMULATED Intel SGX Root CA, O=veilraft simulated TEE (INSECURE)";
  public static final String PCK_CA_SUBJECT =
      "CN=" + TdxPckChainVerifier.PCK_CA_NAMES.get(0) + ", O=veilraft simulated TEE (INSECURE)";
  public static final String PCK_SUBJECT =
      "CN=" + TdxPckChainVerifier.PCK_LEAF_NAME + ", O=veilraft simulated TEE (INSECURE)";
  public static final Instant NOT_BEFORE = SimulatedSnpVendor.NOT_BEFORE;
  public static final Instant NOT_AFTER = SimulatedSnpVendor.NOT_AFTER;
  static final String ROOT_FILE = "tdx-root.der";
  static final String PCK_CA_FILE = "tdx-pck-ca.der";
  static final String PCK_CA_KEY_FILE = "tdx-pck-ca.key";
  private static final String ECDSA_SHA256 = "SHA256withECDSA";

  private final byte[] rootDer;
  private final byte[] pckCaDer;
  private final X509Certificate pckCa;
  private final PrivateKey pckCaKey;

  private SimulatedTdxVendor(byte[] rootDer, byte[] pckCaDer, PrivateKey pckCaKey) throws IOException {
    this.rootDer = rootDer;
    this.pckCaDer = pckCaDer;
    this.pckCaKey = pckCaKey;
    try {
      X509Certificate root = Certificates.parse(rootDer, "simulated TDX root");
      this.pckCa = Certificates.parse(pckCaDer, "simulated PCK CA");
      pckCa.verify(root.getPublicKey());
      if (!SimulatedTdxMachine.keyMatches(pckCaKey, pckCa.getPublicKey())) {
        throw new IOException("simulated PCK CA key " + PCK_CA_KEY_FILE + " does not match " + PCK_CA_FILE);
      }
    } catch (CryptoException | GeneralSecurityException e) {
      throw new IOException("simulated TDX vendor files are inconsistent: " + e.getMessage(), e);
    }
  }

  /**
   * Loads the vendor from {@code dir}, or creates a fresh root and PCK CA there when
   * {@code tdx-root.der} is absent. {@code dir} may be the {@link SimulatedSnpVendor}'s directory.
   */
  public static SimulatedTdxVendor openOrCreate(Path dir) throws IOException {
    Path rootFile = dir.resolve(ROOT_FILE);
    if (!Files.exists(rootFile)) {
      return create(dir);
    }
    byte[] keyPkcs8 = SimulatedFiles.read(dir.resolve(PCK_CA_KEY_FILE), "simulated PCK CA key");
    PrivateKey key;
    try {
      key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(keyPkcs8));
    } catch (GeneralSecurityException e) {
      throw new IOException("simulated PCK CA key " + dir.resolve(PCK_CA_KEY_FILE) + " is not PKCS#8 EC", e);
    }
    return new SimulatedTdxVendor(Files.readAllBytes(rootFile),
        SimulatedFiles.read(dir.resolve(PCK_CA_FILE), "simulated PCK CA certificate"), key);
  }

  private static SimulatedTdxVendor create(Path dir) throws IOException {
    Files.createDirectories(dir);
    KeyPair rootPair = p256KeyPair();
    KeyPair caPair = p256KeyPair();
    byte[] rootDer = sign(caCertificate(ROOT_SUBJECT, ROOT_SUBJECT, rootPair.getPublic(), -1), rootPair.getPrivate());
    byte[] caDer = sign(caCertificate(PCK_CA_SUBJECT, ROOT_SUBJECT, caPair.getPublic(), 0), rootPair.getPrivate());
    // tdx-root.der last: its presence marks a complete vendor.
    SimulatedFiles.writeAtomically(dir.resolve(PCK_CA_KEY_FILE), caPair.getPrivate().getEncoded(), true);
    SimulatedFiles.writeAtomically(dir.resolve(PCK_CA_FILE), caDer, false);
    SimulatedFiles.writeAtomically(dir.resolve(ROOT_FILE), rootDer, false);
    LOG.warn("created a SIMULATED TDX vendor (INSECURE: the host holds every key) in {}, root sha256 {}", dir,
        Hashes.shortHex(Hashes.sha256(rootDer), 8));
    return new SimulatedTdxVendor(rootDer, caDer, caPair.getPrivate());
  }

  /** The simulated root certificate (DER), which genesis would carry beside the policy. */
  public byte[] rootDer() {
    return rootDer.clone();
  }

  /** What a cluster's policy pins as {@code simulated_tdx_root_sha256}. */
  public byte[] rootSha256() {
    return Hashes.sha256(rootDer);
  }

  /** The simulated "Intel SGX PCK Platform CA" certificate (DER), which signs every PCK. */
  public byte[] pckCaDer() {
    return pckCaDer.clone();
  }

  /**
   * Issues a PCK certificate for a machine: {@code pckKey} (EC P-256), signed by the PCK CA, with
   * Intel's SGX extension carrying {@code ppid} (16 bytes) and the TCB {@code tcb}.
   */
  public byte[] issuePck(PublicKey pckKey, TdxPckExtensions tcb, byte[] ppid) {
    Check.argument(TdxCertificates.isP256(pckKey), "a PCK key must be EC P-256, got " + pckKey.getAlgorithm());
    Check.length(tcb.fmspc(), TdxPckExtensions.FMSPC_BYTES, "FMSPC");
    Check.length(tcb.pceId(), TdxPckExtensions.PCE_ID_BYTES, "PCE-ID");
    Check.length(tcb.cpuSvn(), TdxPckExtensions.CPU_SVN_BYTES, "CPUSVN");
    Check.argument(tcb.sgxTcbComponents().length == TdxPckExtensions.SGX_TCB_COMPONENTS,
        "an SGX TCB has 16 components, got " + tcb.sgxTcbComponents().length);
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(PCK_CA_SUBJECT), serial(),
        Date.from(NOT_BEFORE), Date.from(NOT_AFTER), new X500Name(PCK_SUBJECT), pckKey);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
      builder.addExtension(TdxPckExtensions.extensionOid(), false, tcb.encode(ppid));
      return sign(builder, pckCaKey);
    } catch (IOException e) {
      throw new IllegalStateException("cannot issue a simulated PCK certificate", e);
    }
  }

  /**
   * A DER CRL signed by the PCK CA, as Intel's PCS publishes one per CA: it lists revoked PCK
   * certificates by serial number (see {@code Collateral.crls}).
   */
  public byte[] issuePckCrl(List<BigInteger> revokedSerials, Instant thisUpdate, Instant nextUpdate) {
    X509v2CRLBuilder builder = new X509v2CRLBuilder(new X500Name(PCK_CA_SUBJECT), Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(nextUpdate));
    for (BigInteger serial : revokedSerials) {
      builder.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
    }
    try {
      return builder.build(signer(pckCaKey)).getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("cannot issue a simulated PCK CRL", e);
    }
  }

  /** Whether {@code pck} was issued by this vendor's PCK CA. */
  boolean issued(X509Certificate pck) {
    try {
      pck.verify(pckCa.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private static X509v3CertificateBuilder caCertificate(String subject, String issuer, PublicKey key, int pathLength)
      throws IOException {
    X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), serial(),
        Date.from(NOT_BEFORE), Date.from(NOT_AFTER), new X500Name(subject), key);
    builder.addExtension(Extension.basicConstraints, true,
        pathLength < 0 ? new BasicConstraints(true) : new BasicConstraints(pathLength));
    builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return builder;
  }

  private static BigInteger serial() {
    return new BigInteger(127, new SecureRandom()).add(BigInteger.ONE);
  }

  private static byte[] sign(X509v3CertificateBuilder builder, PrivateKey issuerKey) throws IOException {
    return builder.build(signer(issuerKey)).getEncoded();
  }

  private static ContentSigner signer(PrivateKey key) {
    try {
      return new JcaContentSignerBuilder(ECDSA_SHA256).build(key);
    } catch (OperatorCreationException e) {
      throw new IllegalStateException("ECDSA P-256 signing is unavailable", e);
    }
  }

  static KeyPair p256KeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-256 key generation is unavailable", e);
    }
  }

  @Override
  public String toString() {
    return "SimulatedTdxVendor{root=" + Hashes.shortHex(rootSha256(), 8) + ", INSECURE}";
  }
}
