package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Checks a PCK chain, leaf first: "Intel SGX PCK Certificate", then "Intel SGX PCK Platform CA"
 * or "Intel SGX PCK Processor CA", then the root, which must be the pinned anchor (byte for byte).
 * Every signature is ECDSA P-256 with SHA-256, the CA must be a CA, the leaf must not be, and the
 * leaf's key must be P-256. Validity is checked separately, at the caller's
 * instant, so verified chains are cached. Thread-safe.
 */
final class TdxPckChainVerifier {
  static final int CHAIN_CERTIFICATES_MAX = 3;
  static final String PCK_LEAF_NAME = "Intel SGX PCK Certificate";
  static final List<String> PCK_CA_NAMES = List.of("Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA");

  /** A chain whose structure and signatures passed; validity is still to be checked. */
  record VerifiedChain(X509Certificate leaf, X509Certificate ca, X509Certificate root, TdxPckExtensions extensions) {
    List<X509Certificate> certificates() {
      return List.of(leaf, ca, root);
    }
  }

  /** Bound on verified chains remembered: one per platform (PCK leaf) that attests. */
  private static final int CHAINS_CACHED_MAX = 256;

  private final PinnedRoot anchor;
  private final VerifiedChainCache<VerifiedChain> cache = new VerifiedChainCache<>(CHAINS_CACHED_MAX);

  TdxPckChainVerifier(PinnedRoot anchor) {
    this.anchor = Objects.requireNonNull(anchor);
  }

  VerifiedChain verify(List<byte[]> chain) throws Rejection {
    if (chain.size() == CHAIN_CERTIFICATES_MAX - 1) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "PCK chain has no root certificate (leaf and PCK CA only); "
          + "it must end in the pinned root " + anchor);
    }
    if (chain.size() != CHAIN_CERTIFICATES_MAX) {
      throw new Rejection(RejectReason.MALFORMED, "PCK chain needs " + CHAIN_CERTIFICATES_MAX
          + " certificates (PCK leaf, PCK CA, root), got " + chain.size());
    }
    List<ByteBuffer> ders = new ArrayList<>(chain.size());
    chain.forEach(der -> ders.add(ByteBuffer.wrap(der)));
    return cache.verify(ders, () -> verifyUncached(chain));
  }

  private VerifiedChain verifyUncached(List<byte[]> chain) throws Rejection {
    X509Certificate leaf = TdxCertificates.parse(chain.get(0), "PCK leaf", RejectReason.MALFORMED);
    X509Certificate ca = TdxCertificates.parse(chain.get(1), "PCK CA", RejectReason.MALFORMED);
    byte[] rootDer = chain.get(2);
    X509Certificate root = TdxCertificates.parse(rootDer, "PCK root", RejectReason.MALFORMED);
    byte[] sha256 = Hashes.sha256(rootDer);
    if (!anchor.pins(sha256)) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "PCK chain ends in root '"
          + TdxCertificates.printableName(root) + "' (sha256 " + Hashes.shortHex(sha256, 8)
          + "), which is not the trusted root " + anchor);
    }
    TdxCertificates.requireCa(root, "root", RejectReason.CHAIN_UNTRUSTED);
    TdxCertificates.requireSignedBy(root, root, "root", "itself", RejectReason.CHAIN_UNTRUSTED);
    requireName(ca, "PCK CA", PCK_CA_NAMES);
    TdxCertificates.requireCa(ca, "PCK CA", RejectReason.CHAIN_UNTRUSTED);
    TdxCertificates.requireSignedBy(ca, root, "PCK CA", "the root", RejectReason.CHAIN_UNTRUSTED);
    requireName(leaf, "PCK leaf", List.of(PCK_LEAF_NAME));
    TdxCertificates.requireNotCa(leaf, "PCK leaf", RejectReason.CHAIN_UNTRUSTED);
    TdxCertificates.requireSignedBy(leaf, ca, "PCK leaf", "the PCK CA", RejectReason.CHAIN_UNTRUSTED);
    if (!TdxCertificates.isP256(leaf.getPublicKey())) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, "PCK leaf key must be EC P-256, got "
          + leaf.getPublicKey().getAlgorithm());
    }
    return new VerifiedChain(leaf, ca, root, TdxPckExtensions.of(leaf));
  }

  /** Every certificate must be valid at {@code at}: the caller's (leader-stamped) time. */
  static void checkValidity(VerifiedChain chain, Instant at) throws Rejection {
    TdxCertificates.requireValidAt(chain.leaf(), "PCK leaf", at);
    TdxCertificates.requireValidAt(chain.ca(), "PCK CA", at);
    TdxCertificates.requireValidAt(chain.root(), "root", at);
  }

  /**
   * Intel's root also signs the TCB signing certificate; the names keep a certificate from being
   * used in a role Intel did not issue it for.
   */
  private static void requireName(X509Certificate cert, String role, List<String> names) throws Rejection {
    String name = TdxCertificates.commonName(cert);
    if (!names.contains(name)) {
      throw new Rejection(RejectReason.CHAIN_UNTRUSTED, role + " certificate is named '" + Check.printable(name)
          + "', expected " + String.join(" or ", names));
    }
  }
}
