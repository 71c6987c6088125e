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
 * The root a Nitro document's cabundle must start with, pinned by the SHA-256 of its DER.
 * Pinning the exact bytes (rather than a name or a key) means a look-alike root with the same
 * subject can never be trusted. The certificate is kept too, so the chain is checked against the
 * embedded root's key rather than against whatever the document carries. Immutable.
 */
final class NitroTrustAnchor {
  private static final int SHA256_BYTES = 32;
  /** Bound on the embedded root's PEM: a P-384 root is under 1 KiB. */
  private static final int ROOT_PEM_BYTES_MAX = 8 * 1024;
  private static final String AWS_ROOT_RESOURCE = "aws_nitro_enclaves_root_g1.pem";
  /**
   * SHA-256 of the DER of AWS's public "AWS Nitro Enclaves Root G1" (CN=aws.nitro-enclaves,
   * ECDSA P-384, valid 2019-10-28..2049-10-28), as AWS publishes it and as listed in
   * shared/vectors/MANIFEST.md section 1. The embedded PEM is checked against it on load.
   */
  static final String AWS_ROOT_G1_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

  private static final class AwsRoot {
    static final NitroTrustAnchor INSTANCE = loadAwsRoot();
  }

  private final String name;
  private final X509Certificate root;
  private final byte[] rootSha256;

  private NitroTrustAnchor(String name, X509Certificate root, byte[] rootSha256) {
    this.name = name;
    this.root = root;
    this.rootSha256 = rootSha256;
  }

  /**
   * A root given as DER; its SHA-256 is the pin. Production code uses {@link #awsRootG1()}; tests
   * use this with a throwaway root to run the real verification path on synthetic documents.
   */
  static NitroTrustAnchor of(String name, byte[] rootDer) {
    Check.argument(name != null && !name.isEmpty(), "trust anchor needs a name");
    Objects.requireNonNull(rootDer, "rootDer");
    X509Certificate root;
    try {
      root = Certificates.parse(rootDer, "trust anchor " + name);
    } catch (CryptoException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    return new NitroTrustAnchor(name, root, Hashes.sha256(rootDer));
  }

  /** AWS Nitro Enclaves Root G1, which roots every Nitro attestation document. */
  static NitroTrustAnchor awsRootG1() {
    return AwsRoot.INSTANCE;
  }

  String name() {
    return name;
  }

  X509Certificate root() {
    return root;
  }

  byte[] rootSha256() {
    return rootSha256.clone();
  }

  boolean pins(byte[] sha256) {
    return MessageDigest.isEqual(rootSha256, sha256);
  }

  private static NitroTrustAnchor loadAwsRoot() {
    byte[] pem;
    try (InputStream in = NitroTrustAnchor.class.getResourceAsStream(AWS_ROOT_RESOURCE)) {
      Check.invariant(in != null, "resource " + AWS_ROOT_RESOURCE + " is missing from the crypto jar");
      pem = in.readNBytes(ROOT_PEM_BYTES_MAX);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the AWS Nitro Enclaves root resource", e);
    }
    String text = new String(pem, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN CERTIFICATE-----";
    String end = "-----END CERTIFICATE-----";
    int from = text.indexOf(begin);
    int to = text.indexOf(end);
    Check.invariant(from >= 0 && to > from, "resource " + AWS_ROOT_RESOURCE + " holds no PEM certificate");
    byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
    NitroTrustAnchor anchor = of("AWS Nitro Enclaves Root G1", der);
    // The pin is the trust decision; the embedded file only supplies the key it pins.
    Check.invariant(anchor.rootSha256.length == SHA256_BYTES, "SHA-256 pin must be 32 bytes");
    Check.invariant(anchor.pins(Hashes.unhex(AWS_ROOT_G1_SHA256)), "embedded AWS Nitro Enclaves root has SHA-256 "
        + Hashes.hex(anchor.rootSha256) + ", not the pinned " + AWS_ROOT_G1_SHA256);
    try {
      anchor.root.verify(anchor.root.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("embedded AWS Nitro Enclaves root is not self-signed", e);
    }
    return anchor;
  }

  @Override
  public String toString() {
    return name + " (sha256 " + Hashes.shortHex(rootSha256, 8) + ")";
  }
}
