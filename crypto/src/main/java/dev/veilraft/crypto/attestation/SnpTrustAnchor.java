package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A root an SNP chain may end in, pinned by the SHA-256 of the ARK's DER encoding. Pinning the
 * exact bytes (rather than a name or a key) means a look-alike root with the same subject can
 * never be trusted.
 *
 * @param name shown in messages, e.g. "ARK-Milan"
 * @param arkSha256 SHA-256 of the ARK certificate's DER (32 bytes)
 * @param product the product this root signs for, or null when it must be read from the chain
 */
public record SnpTrustAnchor(String name, byte[] arkSha256, SnpProduct product) {
  private static final int SHA256_BYTES = 32;

  // Fingerprints of AMD's public root keys (ARK) as published by AMD KDS, cross-checked against
  // google/go-sev-guest verify/trust/*.pem (shared/vectors/MANIFEST.md section 1). The VLEK
  // chains (ASVK) end in the same ARKs.
  private static final List<SnpTrustAnchor> AMD_ROOTS = List.of(
      new SnpTrustAnchor("ARK-Milan",
          Hashes.unhex("69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"), SnpProduct.MILAN),
      new SnpTrustAnchor("ARK-Genoa",
          Hashes.unhex("4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"), SnpProduct.GENOA),
      new SnpTrustAnchor("ARK-Turin",
          Hashes.unhex("1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a"), SnpProduct.TURIN));

  public SnpTrustAnchor {
    Check.argument(name != null && !name.isEmpty(), "trust anchor needs a name");
    arkSha256 = Check.length(arkSha256, SHA256_BYTES, "trust anchor " + name + " SHA-256").clone();
  }

  /** AMD's ARKs for Milan, Genoa and Turin. */
  public static List<SnpTrustAnchor> amdRoots() {
    return AMD_ROOTS;
  }

  /** A simulated root named by a cluster's policy; its product is read from the chain's names. */
  public static SnpTrustAnchor simulated(byte[] arkSha256) {
    return new SnpTrustAnchor("simulated ARK " + Hashes.shortHex(arkSha256, 8), arkSha256, null);
  }

  @Override
  public byte[] arkSha256() {
    return arkSha256.clone();
  }

  public Optional<SnpProduct> knownProduct() {
    return Optional.ofNullable(product);
  }

  boolean pins(byte[] sha256) {
    return MessageDigest.isEqual(arkSha256, sha256);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof SnpTrustAnchor that && name.equals(that.name) && Arrays.equals(arkSha256, that.arkSha256)
        && product == that.product;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, Arrays.hashCode(arkSha256), product);
  }

  @Override
  public String toString() {
    return name + " (sha256 " + Hashes.shortHex(arkSha256, 8) + ")";
  }
}
