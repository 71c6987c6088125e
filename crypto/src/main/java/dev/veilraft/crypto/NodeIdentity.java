package dev.veilraft.crypto;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A node's identity: an ECDSA P-256 key with a self-signed X.509 certificate. It is the node's
 * TLS key towards peers and clients and signs its protocol messages. Node id = hex of the
 * first 16 bytes of SHA-256(SPKI).
 */
public final class NodeIdentity {
  private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
  private static final Duration CERT_VALIDITY = Duration.ofDays(3650);

  private final PrivateKey privateKey;
  private final X509Certificate certificate;
  private final String nodeId;

  private NodeIdentity(PrivateKey privateKey, X509Certificate certificate) {
    this.privateKey = privateKey;
    this.certificate = certificate;
    this.nodeId = Certificates.nodeId(certificate);
  }

  /** Generates a fresh identity; {@code notBefore} is the certificate's start (the caller's clock). */
  public static NodeIdentity generate(Instant notBefore) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair pair = generator.generateKeyPair();
      String id = Certificates.nodeIdFromSpkiSha256(Hashes.sha256(pair.getPublic().getEncoded()));
      X500Name name = new X500Name("CN=veilraft-node-" + id);
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          name, new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
          Date.from(notBefore.minus(Duration.ofMinutes(5))), Date.from(notBefore.plus(CERT_VALIDITY)),
          name, pair.getPublic());
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
          builder.build(new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(pair.getPrivate())));
      return new NodeIdentity(pair.getPrivate(), cert);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate a P-256 identity", e);
    }
  }

  public static NodeIdentity fromEncoded(byte[] pkcs8PrivateKey, byte[] certificateDer) throws CryptoException {
    X509Certificate cert = Certificates.parse(certificateDer, "identity certificate");
    try {
      PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8PrivateKey));
      NodeIdentity identity = new NodeIdentity(key, cert);
      byte[] probe = Hashes.utf8("veilraft/identity-probe");
      if (!verify(cert.getPublicKey(), probe, identity.sign(probe))) {
        throw new CryptoException("identity private key does not match its certificate");
      }
      return identity;
    } catch (GeneralSecurityException e) {
      throw new CryptoException("identity private key is not PKCS#8 EC: " + e.getMessage(), e);
    }
  }

  public String nodeId() {
    return nodeId;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public byte[] certificateDer() {
    try {
      return certificate.getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public byte[] spki() {
    return certificate.getPublicKey().getEncoded();
  }

  public PrivateKey privateKey() {
    return privateKey;
  }

  /** A TLS key manager presenting this identity (for peer gRPC and the HTTPS API). */
  public javax.net.ssl.KeyManager keyManager() {
    try {
      char[] password = new char[0];
      java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("identity", privateKey, password, new java.security.cert.Certificate[] {certificate});
      javax.net.ssl.KeyManagerFactory factory =
          javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, password);
      return factory.getKeyManagers()[0];
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("cannot build a TLS key manager from the node identity", e);
    }
  }

  public byte[] sign(byte[] message) {
    try {
      Signature signature = Signature.getInstance(SIGNATURE_ALGORITHM);
      signature.initSign(privateKey);
      signature.update(message);
      return signature.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("ECDSA signing failed", e);
    }
  }

  /** Verifies an identity signature; false for any malformed input. */
  public static boolean verify(PublicKey publicKey, byte[] message, byte[] signatureBytes) {
    try {
      Signature signature = Signature.getInstance(SIGNATURE_ALGORITHM);
      signature.initVerify(publicKey);
      signature.update(message);
      return signature.verify(signatureBytes);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }
}
