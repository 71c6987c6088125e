package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
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
 * INSECURE: a simulated TDX-capable machine, the TDX counterpart of {@link SimulatedSnpChip}. It has
 * a random 16-byte PPID (platform provisioning id), a P-256 PCK key pair and a PCK certificate
 * from a {@link SimulatedTdxVendor} for a fixed TCB ({@link #TCB}), kept as plain files in a
 * directory ({@code ppid}, {@code pck.key}, {@code pck.der}) that the host can read: the host holds
 * every key. Its quoting enclave's attestation key (P-256) is made afresh each time the machine is
 * opened, as a real quoting enclave makes a new one when it restarts; it never leaves memory.
 *
 * <p>As on real hardware, every TD on one machine quotes under the same PCK key, so the SHA-256
 * of the PCK's SubjectPublicKeyInfo identifies the machine ({@link Claims#platformInstanceId()}).
 */
public final class SimulatedTdxMachine {
  private static final Logger LOG = LoggerFactory.getLogger(SimulatedTdxMachine.class);
  /** FMSPC of a Sapphire Rapids server platform. */
  private static final String FMSPC_HEX = "90c06f000000";
  private static final int[] SGX_TCB_COMPONENTS = {4, 4, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  private static final int PCE_SVN = 13;
  /** TEE_TCB_SVN of the simulated TDX module (SEAM SVN 5.1, as the quote body reports it). */
  private static final String TEE_TCB_SVN_HEX = "05010200000000000000000000000000";
  /**
   * The TCB every simulated machine runs and its PCK certificate is issued for: a Sapphire Rapids
   * FMSPC, PCE-ID 0, fixed SGX components and PCESVN 13, CPUSVN = the SGX components (as Intel
   * lays it out). The record's accessors return copies.
   */
  public static final TdxPckExtensions TCB = new TdxPckExtensions(Hashes.unhex(FMSPC_HEX), new byte[2],
      SGX_TCB_COMPONENTS, PCE_SVN, cpuSvn(SGX_TCB_COMPONENTS));
  private static final String PPID_FILE = "ppid";
  private static final String PCK_KEY_FILE = "pck.key";
  private static final String PCK_FILE = "pck.der";

  private final SimulatedTdxVendor vendor;
  private final byte[] ppid;
  private final PrivateKey pckKey;
  private final byte[] pckDer;
  private final KeyPair attestationKey = SimulatedTdxVendor.p256KeyPair();

  private SimulatedTdxMachine(SimulatedTdxVendor vendor, byte[] ppid, PrivateKey pckKey, byte[] pckDer) {
    this.vendor = vendor;
    this.ppid = ppid;
    this.pckKey = pckKey;
    this.pckDer = pckDer;
  }

  /**
   * Loads the machine from {@code dir}, or creates one there when {@code ppid} is absent. A PCK
   * certificate that this vendor did not issue (the vendor directory was recreated) is reissued
   * for the same PPID and key, so the machine keeps its platform instance id.
   */
  public static SimulatedTdxMachine openOrCreate(Path dir, SimulatedTdxVendor vendor) throws IOException {
    Path ppidFile = dir.resolve(PPID_FILE);
    if (!Files.exists(ppidFile)) {
      return create(dir, vendor);
    }
    byte[] ppid = Files.readAllBytes(ppidFile);
    if (ppid.length != TdxPckExtensions.PPID_BYTES) {
      throw new IOException("simulated TDX PPID " + ppidFile + " must be " + TdxPckExtensions.PPID_BYTES
          + " bytes, got " + ppid.length);
    }
    PrivateKey key = readKey(dir.resolve(PCK_KEY_FILE));
    Path pckFile = dir.resolve(PCK_FILE);
    byte[] pckDer = Files.exists(pckFile) ? Files.readAllBytes(pckFile) : null;
    if (pckDer == null || !matches(pckDer, vendor, key)) {
      pckDer = vendor.issuePck(publicKeyOf(key), TCB, ppid);
      SimulatedFiles.writeAtomically(pckFile, pckDer, false);
      LOG.warn("reissued the SIMULATED PCK certificate of TDX machine {} for the current simulated vendor",
          Hashes.shortHex(ppid, 8));
    }
    return new SimulatedTdxMachine(vendor, ppid, key, pckDer);
  }

  private static SimulatedTdxMachine create(Path dir, SimulatedTdxVendor vendor) throws IOException {
    Files.createDirectories(dir);
    byte[] ppid = new byte[TdxPckExtensions.PPID_BYTES];
    new SecureRandom().nextBytes(ppid);
    KeyPair pair = SimulatedTdxVendor.p256KeyPair();
    byte[] pckDer = vendor.issuePck(pair.getPublic(), TCB, ppid);
    // ppid after the key: its presence marks a machine whose key exists.
    SimulatedFiles.writeAtomically(dir.resolve(PCK_KEY_FILE), pair.getPrivate().getEncoded(), true);
    SimulatedFiles.writeAtomically(dir.resolve(PPID_FILE), ppid, false);
    SimulatedFiles.writeAtomically(dir.resolve(PCK_FILE), pckDer, false);
    LOG.warn("created a SIMULATED TDX machine {} (INSECURE: its PCK key is a file on the host) in {}",
        Hashes.shortHex(ppid, 8), dir);
    return new SimulatedTdxMachine(vendor, ppid, pair.getPrivate(), pckDer);
  }

  /** The TEE_TCB_SVN this machine's TDX module reports in quotes (16 bytes, a fresh copy). */
  public static byte[] defaultTeeTcbSvn() {
    return Hashes.unhex(TEE_TCB_SVN_HEX);
  }

  /** The platform provisioning id written into the PCK's SGX extension (16 bytes, a fresh copy). */
  public byte[] ppid() {
    return ppid.clone();
  }

  /** This machine's PCK certificate (DER, a fresh copy). */
  public byte[] pckDer() {
    return pckDer.clone();
  }

  /** The PCK chain, leaf first, as a quote's certification data carries it: PCK, PCK CA, root (DER). */
  public List<byte[]> pckChain() {
    return List.of(pckDer(), vendor.pckCaDer(), vendor.rootDer());
  }

  /** What verified evidence from this machine reports as its platform instance id. */
  public byte[] platformInstanceId() {
    try {
      return Certificates.spkiSha256(Certificates.parse(pckDer, "simulated PCK"));
    } catch (CryptoException e) {
      throw new IllegalStateException("own PCK certificate does not parse", e);
    }
  }

  public SimulatedTdxVendor vendor() {
    return vendor;
  }

  /** The PCK private key: only the simulated quoting enclave in this package signs with it. */
  PrivateKey pckKey() {
    return pckKey;
  }

  /** The quoting enclave's attestation key: only the simulated quoting enclave signs with it. */
  KeyPair attestationKey() {
    return attestationKey;
  }

  private static boolean matches(byte[] pckDer, SimulatedTdxVendor vendor, PrivateKey key) {
    try {
      X509Certificate pck = Certificates.parse(pckDer, "simulated PCK");
      return vendor.issued(pck) && keyMatches(key, pck.getPublicKey());
    } catch (CryptoException e) {
      return false;
    }
  }

  /** Whether {@code key} is the private half of {@code publicKey} (a probe signature verifies). */
  static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
    try {
      byte[] probe = Hashes.utf8("veilraft/simulated-tdx-key-probe");
      Signature signer = Signature.getInstance("SHA256withECDSA");
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance("SHA256withECDSA");
      verifier.initVerify(publicKey);
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** The public half of a P-256 private key (Q = d·G), so a PCK can be reissued from pck.key alone. */
  private static PublicKey publicKeyOf(PrivateKey key) throws IOException {
    if (!(key instanceof ECPrivateKey ec)) {
      throw new IOException("simulated PCK key is not an EC key");
    }
    ECNamedCurveParameterSpec curve = ECNamedCurveTable.getParameterSpec("secp256r1");
    ECPoint q = curve.getG().multiply(ec.getS()).normalize();
    try {
      byte[] spki = new SubjectPublicKeyInfo(new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey,
          SECObjectIdentifiers.secp256r1), q.getEncoded(false)).getEncoded();
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(spki));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot derive the simulated PCK public key", e);
    }
  }

  private static PrivateKey readKey(Path file) throws IOException {
    byte[] pkcs8 = SimulatedFiles.read(file, "simulated PCK key");
    try {
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new IOException("simulated PCK key " + file + " is not PKCS#8 EC", e);
    }
  }

  private static byte[] cpuSvn(int[] components) {
    byte[] out = new byte[components.length];
    for (int i = 0; i < components.length; i++) {
      out[i] = (byte) components[i];
    }
    return out;
  }

  @Override
  public String toString() {
    return "SimulatedTdxMachine{ppid=" + Hashes.shortHex(ppid, 8) + ", INSECURE}";
  }
}
