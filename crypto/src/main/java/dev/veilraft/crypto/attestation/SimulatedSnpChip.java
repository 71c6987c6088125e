package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.List;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.jce.ECNamedCurveTable;
import org.bouncycastle.jce.spec.ECNamedCurveParameterSpec;
import org.bouncycastle.math.ec.ECPoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE: a simulated SEV-SNP chip. It has a random 64-byte chip id, a P-384 VCEK key pair and
 * a VCEK certificate from a {@link SimulatedSnpVendor}, all kept as plain files in a directory
 * (chip.id, vcek.key, vcek.der) that the host can read: the host holds every key. The chip runs
 * a fixed TCB, {@link #DEFAULT_TCB}.
 */
public final class SimulatedSnpChip {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedSnpChip.class);
  /** The TCB every simulated chip runs: bl=3 tee=0 snp=8 ucode=115, a real Milan TCB of 2023. */
  public static final TcbVersion DEFAULT_TCB =
      TcbVersion.newBuilder().setBootloader(3).setTee(0).setSnp(8).setMicrocode(115).build();
  private static final String CHIP_ID_FILE = "chip.id";
  private static final String VCEK_KEY_FILE = "vcek.key";
  private static final String VCEK_FILE = "vcek.der";

  private final SimulatedSnpVendor vendor;
  private final byte[] chipId;
  private final PrivateKey vcekKey;
  private final byte[] vcekDer;

  private SimulatedSnpChip(SimulatedSnpVendor vendor, byte[] chipId, PrivateKey vcekKey, byte[] vcekDer) {
    this.vendor = vendor;
    this.chipId = chipId;
    this.vcekKey = vcekKey;
    this.vcekDer = vcekDer;
  }

  /**
   * Loads the chip from {@code dir}, or creates one there when chip.id is absent. A VCEK that this
   * vendor did not issue (the vendor directory was recreated) is reissued for the same chip and key.
   */
  public static SimulatedSnpChip openOrCreate(Path dir, SimulatedSnpVendor vendor) throws IOException {
    Path chipIdFile = dir.resolve(CHIP_ID_FILE);
    if (!Files.exists(chipIdFile)) {
      return create(dir, vendor);
    }
    byte[] chipId = Files.readAllBytes(chipIdFile);
    if (chipId.length != SnpReport.CHIP_ID_BYTES) {
      throw new IOException("simulated chip id " + chipIdFile + " must be " + SnpReport.CHIP_ID_BYTES
          + " bytes, got " + chipId.length);
    }
    PrivateKey key = readKey(dir.resolve(VCEK_KEY_FILE));
    Path vcekFile = dir.resolve(VCEK_FILE);
    byte[] vcekDer = Files.exists(vcekFile) ? Files.readAllBytes(vcekFile) : null;
    if (vcekDer == null || !matches(vcekDer, vendor, key)) {
      vcekDer = vendor.issueVcek(chipId, DEFAULT_TCB, publicKeyOf(key));
      SimulatedFiles.writeAtomically(vcekFile, vcekDer, false);
      LOG.warn("reissued the SIMULATED VCEK of chip {} for the current simulated vendor", Hashes.shortHex(chipId, 8));
    }
    return new SimulatedSnpChip(vendor, chipId, key, vcekDer);
  }

  private static SimulatedSnpChip create(Path dir, SimulatedSnpVendor vendor) throws IOException {
    Files.createDirectories(dir);
    byte[] chipId = new byte[SnpReport.CHIP_ID_BYTES];
    new SecureRandom().nextBytes(chipId);
    KeyPair pair = p384KeyPair();
    byte[] vcekDer = vendor.issueVcek(chipId, DEFAULT_TCB, pair.getPublic());
    // chip.id after the key: its presence marks a chip whose key exists.
    SimulatedFiles.writeAtomically(dir.resolve(VCEK_KEY_FILE), pair.getPrivate().getEncoded(), true);
    SimulatedFiles.writeAtomically(dir.resolve(CHIP_ID_FILE), chipId, false);
    SimulatedFiles.writeAtomically(dir.resolve(VCEK_FILE), vcekDer, false);
    LOG.warn("created a SIMULATED SEV-SNP chip {} (INSECURE: its VCEK key is a file on the host) in {}",
        Hashes.shortHex(chipId, 8), dir);
    return new SimulatedSnpChip(vendor, chipId, pair.getPrivate(), vcekDer);
  }

  public byte[] chipId() {
    return chipId.clone();
  }

  public byte[] vcekDer() {
    return vcekDer.clone();
  }

  /** The endorsement chain, leaf first, as evidence carries it: VCEK, ASK, ARK (DER). */
  public List<byte[]> certChain() {
    return List.of(vcekDer(), vendor.askDer(), vendor.arkDer());
  }

  /** The TCB this chip runs and its VCEK was issued for. */
  public TcbVersion tcb() {
    return DEFAULT_TCB;
  }

  public SnpProduct product() {
    return vendor.product();
  }

  public SimulatedSnpVendor vendor() {
    return vendor;
  }

  /** The VCEK private key: only the simulated attester in this package signs with it. */
  PrivateKey vcekKey() {
    return vcekKey;
  }

  private static boolean matches(byte[] vcekDer, SimulatedSnpVendor vendor, PrivateKey key) {
    try {
      X509Certificate vcek = Certificates.parse(vcekDer, "simulated VCEK");
      return vendor.issued(vcek) && keyMatches(key, vcek);
    } catch (CryptoException e) {
      return false;
    }
  }

  private static boolean keyMatches(PrivateKey key, X509Certificate vcek) {
    try {
      byte[] probe = Hashes.utf8("veilraft/simulated-vcek-probe");
      Signature signer = Signature.getInstance("SHA384withECDSA");
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA384withECDSA");
      verifier.initVerify(vcek.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** The public half of a P-384 private key (Q = d·G), so a VCEK can be reissued from vcek.key alone. */
  private static PublicKey publicKeyOf(PrivateKey key) throws IOException {
    if (!(key instanceof ECPrivateKey ec)) {
      throw new IOException("simulated VCEK key is not an EC key");
    }
    ECNamedCurveParameterSpec curve = ECNamedCurveTable.getParameterSpec("secp384r1");
    ECPoint q = curve.getG().multiply(ec.getS()).normalize();
    try {
      byte[] spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
          SECObjectIdentifiers.secp384r1), q.getEncoded(false)).getEncoded();
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot derive the simulated VCEK public key", e);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    byte[] pkcs8 = SimulatedFiles.read(file, "simulated VCEK key");
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new IOException("simulated VCEK key " + file + " is not PKCS#8 EC", e);
    }
  }

  private static KeyPair p384KeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp384r1"), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("P-384 key generation is unavailable", e);
    }
  }
}
