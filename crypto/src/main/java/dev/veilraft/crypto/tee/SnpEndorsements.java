package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.attestation.SnpTrustAnchor;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the endorsements of an SEV-SNP report: the leaf (VCEK or VLEK) that signed it, the signer
 * (ASK or ASVK) and the root (ARK). Sources, in order:
 * <ol>
 *   <li>the host's certificate table (extended report, configfs-tsm auxblob), used as given;</li>
 *   <li>an on-disk {@link SnpEndorsementCache} (optional);</li>
 *   <li>AMD KDS through an {@link AmdKdsClient} (optional); what it returns is written to the cache.</li>
 * </ol>
 * A VLEK can only come from the table: AMD issues it to the cloud provider and KDS does not serve it.
 *
 * <p>What comes from the table is passed on untouched, since the verifier judges it. What comes
 * from the cache or KDS is checked before use and before caching, so a bad file or answer never
 * sticks: the root must be one of the pinned AMD ARKs for the report's product, the signer must be
 * signed by it, the VCEK by the signer. This class never decides whether evidence is acceptable;
 * the verifier does.
 */
public final class SnpEndorsements {
  private static final Logger LOG = LoggerFactory.getLogger(SnpEndorsements.class);

  /** Where a part of the chain came from. */
  public enum Source {
    CERTIFICATE_TABLE,
    CACHE,
    AMD_KDS
  }

  /**
   * A report's endorsements, DER.
   *
   * @param leaf VCEK or VLEK
   * @param signer ASK or ASVK
   * @param root ARK
   * @param leafSource where the leaf came from
   * @param chainSource where signer and root came from
   * @param crls revocation lists the host supplied in its table (DER), possibly none
   */
  public record Chain(byte[] leaf, byte[] signer, byte[] root, Source leafSource, Source chainSource,
      List<byte[]> crls) {
    public Chain {
      leaf = Objects.requireNonNull(leaf, "leaf").clone();
      signer = Objects.requireNonNull(signer, "signer").clone();
      root = Objects.requireNonNull(root, "root").clone();
      Objects.requireNonNull(leafSource, "leafSource");
      Objects.requireNonNull(chainSource, "chainSource");
      crls = crls.stream().map(byte[]::clone).toList();
    }

    /** Leaf, signer, root: the order {@code Evidence.cert_chain} gets them in. */
    public List<byte[]> certificates() {
      return List.of(leaf.clone(), signer.clone(), root.clone());
    }

    @Override
    public byte[] leaf() {
      return leaf.clone();
    }

    @Override
    public byte[] signer() {
      return signer.clone();
    }

    @Override
    public byte[] root() {
      return root.clone();
    }

    @Override
    public List<byte[]> crls() {
      return crls.stream().map(byte[]::clone).toList();
    }
  }

  private final Optional<SnpEndorsementCache> cache;
  private final Optional<AmdKdsClient> kds;
  private final Optional<SnpProduct> productHint;
  private final List<SnpTrustAnchor> anchors;

  private SnpEndorsements(Builder b) {
    this.cache = Optional.ofNullable(b.cache);
    this.kds = Optional.ofNullable(b.kds);
    this.productHint = Optional.ofNullable(b.productHint);
    this.anchors = List.copyOf(b.anchors);
  }

  /** Only the host's certificate table: fails when it lacks something. */
  public static SnpEndorsements tableOnly() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The endorsements of {@code report}, from {@code table} first. Fails when the report names no
   * signing key, when a part is missing from every configured source, or when a cached or fetched
   * part does not chain to a pinned AMD root.
   */
  public Chain resolve(SnpReport report, SnpCertificateTable table) throws AttestationException {
    SnpSigningKey key = SnpSigningKey.of(report).orElseThrow(() -> new AttestationException(
        "the report's SIGNING_KEY is " + report.signingKey() + ", neither VCEK (0) nor VLEK (1): nothing to endorse"));
    Optional<byte[]> tableLeaf = table.find(key.leafRole());
    Optional<byte[]> tableSigner = table.find(SnpCertificateTable.Role.ASK);
    Optional<byte[]> tableRoot = table.find(SnpCertificateTable.Role.ARK);
    List<byte[]> crls = table.entries().stream().filter(e -> e.role() == SnpCertificateTable.Role.CRL)
        .map(SnpCertificateTable.Entry::data).toList();
    if (tableLeaf.isPresent() && tableSigner.isPresent() && tableRoot.isPresent()) {
      return new Chain(tableLeaf.get(), tableSigner.get(), tableRoot.get(), Source.CERTIFICATE_TABLE,
          Source.CERTIFICATE_TABLE, crls);
    }
    if (tableLeaf.isEmpty() && key == SnpSigningKey.VLEK) {
      throw new AttestationException("the report is signed by a VLEK but the host's certificate table holds none;"
          + " AMD KDS does not serve VLEKs, so only the host (cloud provider) can supply it");
    }
    if (cache.isEmpty() && kds.isEmpty()) {
      List<String> absent = new ArrayList<>();
      tableLeaf.ifPresentOrElse(d -> { }, () -> absent.add(key.name()));
      tableSigner.ifPresentOrElse(d -> { }, () -> absent.add(key == SnpSigningKey.VCEK ? "ASK" : "ASVK"));
      tableRoot.ifPresentOrElse(d -> { }, () -> absent.add("ARK"));
      throw missing(String.join(", ", absent));
    }
    SnpProduct product = product(report, table);
    byte[] signer;
    byte[] root;
    Source chainSource;
    if (tableSigner.isPresent() && tableRoot.isPresent()) {
      signer = tableSigner.get();
      root = tableRoot.get();
      chainSource = Source.CERTIFICATE_TABLE;
    } else {
      Fetched<List<byte[]>> chain = signerAndRoot(product, key);
      signer = chain.value().get(0);
      root = chain.value().get(1);
      chainSource = chain.source();
    }
    if (tableLeaf.isPresent()) {
      return new Chain(tableLeaf.get(), signer, root, Source.CERTIFICATE_TABLE, chainSource, crls);
    }
    Fetched<byte[]> vcek = vcek(product, report, signer);
    return new Chain(vcek.value(), signer, root, vcek.source(), chainSource, crls);
  }

  private record Fetched<T>(T value, Source source) {}

  private Fetched<List<byte[]>> signerAndRoot(SnpProduct product, SnpSigningKey key) throws AttestationException {
    String what = key == SnpSigningKey.VCEK ? "ASK and ARK" : "ASVK and ARK";
    if (cache.isPresent()) {
      SnpEndorsementCache c = cache.get();
      Optional<byte[]> pem = readCache(c, c.chainPath(product, key));
      if (pem.isPresent()) {
        try {
          List<byte[]> chain = Certificates.orderLeafFirst(Certificates.readAll(pem.get(), what));
          checkChain(product, chain);
          return new Fetched<>(chain, Source.CACHE);
        } catch (CryptoException | AttestationException e) {
          LOG.warn("ignoring cached {} at {}: {}", what, c.chainPath(product, key), e.getMessage());
        }
      }
    }
    if (kds.isEmpty()) {
      throw missing(what + " of " + product.displayName());
    }
    List<byte[]> chain = kds.get().certChain(product, key);
    checkChain(product, chain);
    if (cache.isPresent()) {
      writeCache(cache.get(), cache.get().chainPath(product, key), SnpEndorsementCache.pem(chain));
    }
    return new Fetched<>(chain, Source.AMD_KDS);
  }

  private Fetched<byte[]> vcek(SnpProduct product, SnpReport report, byte[] signer) throws AttestationException {
    byte[] chipId = report.chipId();
    TcbVersion tcb = product.decodeTcb(report.reportedTcb());
    try {
      AmdKdsClient.hwid(product, chipId);
    } catch (IllegalArgumentException e) {
      throw new AttestationException("no VCEK in the host's certificate table, and " + e.getMessage());
    }
    String what = "VCEK of chip " + Hashes.shortHex(chipId, 8) + " at " + SnpProduct.describeTcb(tcb);
    if (cache.isPresent()) {
      SnpEndorsementCache c = cache.get();
      Optional<byte[]> der = readCache(c, c.vcekPath(product, chipId, tcb));
      if (der.isPresent()) {
        try {
          checkSignedBy(der.get(), signer, "cached " + what);
          return new Fetched<>(der.get(), Source.CACHE);
        } catch (AttestationException e) {
          LOG.warn("ignoring cached {}: {}", what, e.getMessage());
        }
      }
    }
    if (kds.isEmpty()) {
      throw missing(what);
    }
    byte[] der = kds.get().vcek(product, chipId, tcb);
    checkSignedBy(der, signer, what + " from AMD KDS");
    if (cache.isPresent()) {
      writeCache(cache.get(), cache.get().vcekPath(product, chipId, tcb), der);
    }
    return new Fetched<>(der, Source.AMD_KDS);
  }

  /** The product: from CPUID in v3+ reports, else from the names in the table, else the configured hint. */
  private SnpProduct product(SnpReport report, SnpCertificateTable table) throws AttestationException {
    Optional<SnpProduct> fromReport = report.productFromCpuid();
    if (fromReport.isPresent()) {
      return fromReport.get();
    }
    Optional<SnpProduct> fromTable = table.entries().stream()
        .filter(e -> e.role() != SnpCertificateTable.Role.OTHER && e.role() != SnpCertificateTable.Role.CRL)
        .flatMap(e -> names(e.data())).map(SnpProduct::fromName).flatMap(Optional::stream).findFirst();
    return fromTable.or(() -> productHint).orElseThrow(() -> new AttestationException("the report (version "
        + report.version() + ") names no CPU product and none is configured: set the product (Milan, Genoa or"
        + " Turin) so the endorsements can be looked up"));
  }

  private static Stream<String> names(byte[] der) {
    try {
      X509Certificate cert = Certificates.parse(der, "certificate-table entry");
      return Stream.of(cert.getIssuerX500Principal().getName(), cert.getSubjectX500Principal().getName());
    } catch (CryptoException e) {
      return Stream.empty();
    }
  }

  /** Signer then root: the root must be a pinned AMD ARK of {@code product} and sign itself and the signer. */
  private void checkChain(SnpProduct product, List<byte[]> chain) throws AttestationException {
    if (chain.size() != 2) {
      throw new AttestationException("expected a signer and a root, got " + chain.size() + " certificates");
    }
    byte[] rootSha256 = Hashes.sha256(chain.get(1));
    boolean pinned = anchors.stream().anyMatch(a -> Arrays.equals(a.arkSha256(), rootSha256)
        && a.knownProduct().map(p -> p == product).orElse(true));
    if (!pinned) {
      throw new AttestationException("root " + Hashes.shortHex(rootSha256, 8) + " is not a pinned AMD ARK for "
          + product.displayName());
    }
    checkSignedBy(chain.get(1), chain.get(1), "ARK");
    checkSignedBy(chain.get(0), chain.get(1), "signer (ASK or ASVK)");
  }

  private static void checkSignedBy(byte[] der, byte[] issuerDer, String what) throws AttestationException {
    try {
      X509Certificate cert = Certificates.parse(der, what);
      X509Certificate issuer = Certificates.parse(issuerDer, "issuer of " + what);
      if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
        throw new AttestationException(what + " is issued by " + cert.getIssuerX500Principal().getName()
            + ", not by " + issuer.getSubjectX500Principal().getName());
      }
      cert.verify(issuer.getPublicKey());
    } catch (CryptoException e) {
      throw new AttestationException(e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new AttestationException(what + " does not verify under its issuer: " + e.getMessage(), e);
    }
  }

  private static Optional<byte[]> readCache(SnpEndorsementCache cache, Path file) {
    try {
      return cache.read(file);
    } catch (IOException e) {
      LOG.warn("cannot read endorsement cache file {}: {}", file, e.toString());
      return Optional.empty();
    }
  }

  private static void writeCache(SnpEndorsementCache cache, Path file, byte[] bytes) {
    try {
      cache.write(file, bytes);
    } catch (IOException e) {
      // A read-only cache still serves what an operator put there; only the refill is lost.
      LOG.warn("cannot write endorsement cache file {}: {}", file, e.toString());
    }
  }

  private AttestationException missing(String what) {
    List<String> tried = new ArrayList<>(List.of("the host's certificate table"));
    cache.ifPresent(c -> tried.add("the cache at " + c.dir()));
    return new AttestationException("no " + what + " in " + String.join(" or ", tried)
        + (kds.isPresent() ? "" : ", and no AMD KDS client is configured"));
  }

  @Override
  public String toString() {
    return "SnpEndorsements{cache=" + cache.map(SnpEndorsementCache::dir).map(Object::toString).orElse("none")
        + ", kds=" + kds.map(AmdKdsClient::baseUri).map(Object::toString).orElse("none") + "}";
  }

  /** Sources of endorsements beyond the host's table. */
  public static final class Builder {
    private SnpEndorsementCache cache;
    private AmdKdsClient kds;
    private SnpProduct productHint;
    private List<SnpTrustAnchor> anchors = SnpTrustAnchor.amdRoots();

    private Builder() {}

    /** An on-disk cache, read before KDS and filled from it. */
    public Builder cache(Path dir) {
      this.cache = new SnpEndorsementCache(dir);
      return this;
    }

    public Builder kds(AmdKdsClient kds) {
      this.kds = Objects.requireNonNull(kds, "kds");
      return this;
    }

    /** The product, for version-2 reports (no CPUID) whose host table names none. */
    public Builder productHint(SnpProduct product) {
      this.productHint = Objects.requireNonNull(product, "product");
      return this;
    }

    /** Roots a cached or fetched chain must end in; AMD's ARKs by default. */
    public Builder trustAnchors(List<SnpTrustAnchor> anchors) {
      this.anchors = List.copyOf(anchors);
      return this;
    }

    public SnpEndorsements build() {
      return new SnpEndorsements(this);
    }
  }

}
