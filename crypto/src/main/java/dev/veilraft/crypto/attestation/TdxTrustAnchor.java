package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Objects;

/**
 * The root a TDX PCK chain and Intel's collateral signing chain must end in, pinned by the
 * SHA-256 of its DER encoding. Pinning the exact bytes (rather than a name or a key) means a
 * look-alike root with the same subject can never be trusted. The root certificate itself is kept
 * too, so chains that omit it (the PCS signing chain often does) can still be checked against it.
 */
public final class TdxTrustAnchor {
  private static final int SHA256_BYTES = 32;
  /** Bound on the embedded root's PEM: a P-256 root is under 1 KiB. */
  private static final int ROOT_PEM_BYTES_MAX = 8 * 1024;
  private static final String INTEL_ROOT_RESOURCE = "intel_sgx_root_ca.pem";
  /**
   * SHA-256 of the DER of Intel's public "Intel SGX Root CA" (serial 22650cd6..., valid
   * 2018-05-21..2049-12-31), as listed in shared/vectors/MANIFEST.md section 1 and shipped by
   * google/go-tdx-guest verify/trusted_root.pem. The embedded PEM is checked against it on load.
   */
  static final String INTEL_SGX_ROOT_SHA256 = "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

  private static final class IntelRoot {
    static final TdxTrustAnchor INSTANCE = loadIntelRoot();
  }

  private final String name;
  private final byte[] rootSha256;
  private final X509Certificate root;

  private TdxTrustAnchor(String name, X509Certificate root, byte[] rootSha256) {
    this.name = name;
    this.root = root;
    this.rootSha256 = rootSha256;
  }

  /**
   * A root given as DER; its SHA-256 is the pin. Production code uses {@link #intelSgxRoot()}; tests
   * use this with a throwaway root to exercise the real verification path (package-private, like
   * the verifier constructor that takes it, so no caller outside can swap Intel's root out).
   */
  static TdxTrustAnchor of(String name, byte[] rootDer) {
    Check.argument(name != null && !name.isEmpty(), "trust anchor needs a name");
    Objects.requireNonNull(rootDer, "rootDer");
    X509Certificate root;
    try {
      root = Certificates.parse(rootDer, "trust anchor " + name);
    } catch (CryptoException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new TdxTrustAnchor(name, root, Hashes.sha256(rootDer));
  }

  /** Intel's SGX Root CA, which roots every PCK chain and the TCB signing chain. */
  public static TdxTrustAnchor intelSgxRoot() {
    return IntelRoot.INSTANCE;
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

  private static TdxTrustAnchor loadIntelRoot() {
    byte[] pem;
    try (InputStream in = TdxTrustAnchor.class.getResourceAsStream(INTEL_ROOT_RESOURCE)) {
      Check.invariant(in != null, "resource " + INTEL_ROOT_RESOURCE + " is missing from the crypto jar");
      pem = in.readNBytes(ROOT_PEM_BYTES_MAX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the Intel SGX Root CA resource", e);
    }
    String text = new String(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN CERTIFICATE-----";
    String end = "-----END CERTIFICATE-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    Check.invariant(from >= 0 && to > from, "resource " + INTEL_ROOT_RESOURCE + " holds no PEM certificate");
    byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    TdxTrustAnchor anchor = of("Intel SGX Root CA", der);
    // The pin is the trust decision; the embedded file only saves callers from shipping the root.
    Check.invariant(anchor.pins(Hashes.unhex(INTEL_SGX_ROOT_SHA256)), "embedded Intel SGX Root CA has SHA-256 "
        + Hashes.hex(anchor.rootSha256) + ", not the pinned " + INTEL_SGX_ROOT_SHA256);
    try {
      anchor.root.verify(anchor.root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("embedded Intel SGX Root CA is not self-signed", e);
    }
    Check.invariant(anchor.rootSha256.length == SHA256_BYTES, "SHA-256 pin must be 32 bytes");
    return anchor;
  }

  @Override
  public String toString() {
    return name + " (sha256 " + Hashes.shortHex(rootSha256, 8) + ")";
  }
}
