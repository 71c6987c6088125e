package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * A vendor root certificate pinned by the SHA-256 of its DER: Intel's SGX Root CA for TDX and
 * AWS's Nitro Enclaves Root G1 for Nitro (AMD's roots are {@link SnpTrustAnchor}s). Pinning the
 * exact bytes, not a name or a key, means a look-alike root with the same subject is never
 * trusted. The certificate is kept too, so a chain that omits its root is checked against the
 * embedded root's key. The embedded PEM only saves callers from shipping the root: the pin is the
 * trust decision, and the PEM is checked against it when loaded. Immutable.
 */
public final class PinnedRoot {
  /** Intel SGX Root CA (ECDSA P-256, serial 22650cd6..., 2018-05-21..2049-12-31); MANIFEST.md section 1. */
  static final String INTEL_SGX_ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";
  /** AWS Nitro Enclaves Root G1 (CN=aws.nitro-enclaves, ECDSA P-384, 2019-10-28..2049-10-28). */
  static final String AWS_NITRO_ROOT_G1_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";
  /** Bound on an embedded root's PEM: an EC root is under 1 KiB. */
  private static final int ROOT_PEM_BYTES_MAX = 8 * 1024;

  private static final class Intel {
    static final PinnedRoot INSTANCE = embedded("Intel SGX Root CA", "intel_sgx_root_ca.pem", INTEL_SGX_ROOT_SHA256);
  }

  private static final class Aws {
    static final PinnedRoot INSTANCE = embedded("AWS Nitro Enclaves Root G1", "aws_nitro_enclaves_root_g1.pem",
        AWS_NITRO_ROOT_G1_SHA256);
  }

  private final String name;
  private final X509Certificate root;
  private final byte[] rootSha256;

  private PinnedRoot(String name, X509Certificate root, byte[] rootSha256) {
    this.name = name;
    this.root = root;
    this.rootSha256 = rootSha256;
  }

  /**
   * A root given as DER; its SHA-256 is the pin. Production code uses {@link #intelSgxRoot()} and
   * {@link #awsNitroRootG1()}; tests use this with a throwaway root to run the real verification
   * path on synthetic evidence (package-private, like the verifier constructors that take it, so no
   * caller outside can swap a vendor's root out).
   */
  static PinnedRoot of(String name, byte[] rootDer) {
    Check.argument(name != null && !name.isEmpty(), "a pinned root needs a name");
    Objects.requireNonNull(rootDer, "rootDer");
    try {
      return new PinnedRoot(name, Certificates.parse(rootDer, "pinned root " + name), Hashes.sha256(rootDer));
    } catch (CryptoException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Intel's SGX Root CA, which roots every PCK chain and the TCB signing chain. */
  public static PinnedRoot intelSgxRoot() {
    return Intel.INSTANCE;
  }

  /** AWS Nitro Enclaves Root G1, which roots every Nitro attestation document. */
  public static PinnedRoot awsNitroRootG1() {
    return Aws.INSTANCE;
  }

  public String name() {
    return name;
  }

  public byte[] rootSha256() {
    return rootSha256.clone();
  }

  X509Certificate root() {
    return root;
  }

  boolean pins(byte[] sha256) {
    return MessageDigest.isEqual(rootSha256, sha256);
  }

  private static PinnedRoot embedded(String name, String resource, String sha256Hex) {
    byte[] pem;
    try (InputStream in = PinnedRoot.class.getResourceAsStream(resource)) {
      Check.invariant(in != null, "resource " + resource + " is missing from the crypto jar");
      pem = in.readNBytes(ROOT_PEM_BYTES_MAX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the embedded " + name, e);
    }
    List<byte[]> certs;
    try {
      certs = Certificates.readAll(pem, resource);
    } catch (CryptoException e) {
      throw new IllegalStateException("embedded " + name + " is unreadable: " + e.getMessage(), e);
    }
    Check.invariant(certs.size() == 1, "resource " + resource + " must hold exactly one certificate");
    PinnedRoot root = of(name, certs.get(0));
    Check.invariant(root.pins(Hashes.unhex(sha256Hex)), "embedded " + name + " has SHA-256 "
        + Hashes.hex(root.rootSha256) + ", not the pinned " + sha256Hex);
    try {
      root.root.verify(root.root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("embedded " + name + " is not self-signed", e);
    }
    return root;
  }

  @Override
  public String toString() {
    return name + " (sha256 " + Hashes.shortHex(rootSha256, 8) + ")";
  }
}
