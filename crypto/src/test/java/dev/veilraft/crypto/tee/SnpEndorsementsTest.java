package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.SnpEvidenceVerifier;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnpEndorsementsTest {
  private static final Instant IN_2026 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String CHAIN_PATH = "/vcek/v1/Milan/cert_chain";

  @TempDir
  Path cacheDir;

  private FakeKds kds;
  private SnpReport report;
  private byte[] vcek;
  private List<byte[]> milanChain;
  private String vcekPath;

  @BeforeEach
  void start() throws Exception {
    kds = new FakeKds();
    report = SnpReport.parse(TeeVectors.read(TeeVectors.VIRTEE_REPORT));
    vcek = TeeVectors.read(TeeVectors.VIRTEE_VCEK);
    milanChain = TeeVectors.certificates(TeeVectors.VIRTEE_CHAIN);
    vcekPath = "/vcek/v1/Milan/" + Hashes.hex(report.chipId());
    kds.on(vcekPath, FakeKds.Answer.ok(vcek));
    kds.on(CHAIN_PATH, FakeKds.Answer.ok(SnpEndorsementCache.pem(milanChain)));
  }

  @AfterEach
  void stop() {
    kds.close();
  }

  private AmdKdsClient client() {
    return AmdKdsClient.builder().baseUri(kds.baseUri()).sleeper(d -> { }).requestTimeout(Duration.ofSeconds(5))
        .build();
  }

  private SnpEndorsements withKds() {
    return SnpEndorsements.builder().cache(cacheDir).kds(client()).productHint(SnpProduct.MILAN).build();
  }

  private static SnpCertificateTable table(SnpCertificateTable.Entry... entries) {
    return SnpCertificateTable.of(List.of(entries));
  }

  private AttestationResult verify(SnpEndorsements.Chain chain) throws Exception {
    Evidence.Builder evidence = Evidence.newBuilder().setPlatform(Platform.SEV_SNP)
        .setReport(ByteString.copyFrom(report.toByteArray()));
    chain.certificates().forEach(der -> evidence.addCertChain(ByteString.copyFrom(der)));
    return SnpEvidenceVerifier.forAmd().verifyPlatform(evidence.build(), IN_2026);
  }

  @Test
  void usesTheHostTableFirst() throws Exception {
    // Proves a complete host table is used as given and AMD KDS is not asked.
    SnpEndorsements.Chain chain = withKds().resolve(report, table(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, vcek),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, milanChain.get(0)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, milanChain.get(1))));
    assertThat(chain.leafSource()).isEqualTo(SnpEndorsements.Source.CERTIFICATE_TABLE);
    assertThat(chain.chainSource()).isEqualTo(SnpEndorsements.Source.CERTIFICATE_TABLE);
    assertThat(kds.requests).isEmpty();
  }

  @Test
  void fetchesFromKdsOnceThenServesFromTheCache() throws Exception {
    // Proves the first resolution hits the KDS server and writes the cache, and a later one (new instance) makes no request.
    SnpEndorsements.Chain first = withKds().resolve(report, SnpCertificateTable.empty());
    assertThat(first.leafSource()).isEqualTo(SnpEndorsements.Source.AMD_KDS);
    assertThat(first.chainSource()).isEqualTo(SnpEndorsements.Source.AMD_KDS);
    assertThat(kds.requestsTo(vcekPath)).isEqualTo(1);
    assertThat(kds.requestsTo(CHAIN_PATH)).isEqualTo(1);
    assertThat(first.leaf()).isEqualTo(vcek);
    assertThat(verify(first).accepted()).as(verify(first).detail()).isTrue();

    Path cachedVcek = cacheDir.resolve("Milan/vcek/" + Hashes.hex(report.chipId()) + "/bl3-tee0-snp8-ucode115.der");
    assertThat(cachedVcek).hasBinaryContent(vcek);
    assertThat(cacheDir.resolve("Milan/vcek/cert_chain.pem")).exists();
    try (var files = Files.walk(cacheDir)) {
      assertThat(files.filter(p -> p.getFileName().toString().endsWith(".tmp"))).isEmpty();
    }

    SnpEndorsements.Chain second = withKds().resolve(report, SnpCertificateTable.empty());
    assertThat(second.leafSource()).isEqualTo(SnpEndorsements.Source.CACHE);
    assertThat(second.chainSource()).isEqualTo(SnpEndorsements.Source.CACHE);
    assertThat(second.certificates()).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyElementsOf(first.certificates());
    assertThat(kds.requests).hasSize(2);
  }

  @Test
  void readsAHandFilledCacheWithoutKds() throws Exception {
    // Proves an operator-filled cache in the documented layout serves an offline machine.
    Files.createDirectories(cacheDir.resolve("Milan/vcek/" + Hashes.hex(report.chipId())));
    Files.write(cacheDir.resolve("Milan/vcek/" + Hashes.hex(report.chipId()) + "/bl3-tee0-snp8-ucode115.der"), vcek);
    Files.write(cacheDir.resolve("Milan/vcek/cert_chain.pem"), TeeVectors.read(TeeVectors.VIRTEE_CHAIN));
    SnpEndorsements offline = SnpEndorsements.builder().cache(cacheDir).productHint(SnpProduct.MILAN).build();
    SnpEndorsements.Chain chain = offline.resolve(report, SnpCertificateTable.empty());
    assertThat(chain.leafSource()).isEqualTo(SnpEndorsements.Source.CACHE);
    assertThat(verify(chain).accepted()).isTrue();
  }

  @Test
  void completesAPartialTableAndReadsTheProductFromIt() throws Exception {
    // Proves a table with only the VCEK gets its ASK and ARK from KDS, the product read from the VCEK's issuer (v2 report, no hint).
    SnpEndorsements noHint = SnpEndorsements.builder().cache(cacheDir).kds(client()).build();
    SnpEndorsements.Chain chain = noHint.resolve(report,
        table(SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, vcek)));
    assertThat(chain.leafSource()).isEqualTo(SnpEndorsements.Source.CERTIFICATE_TABLE);
    assertThat(chain.chainSource()).isEqualTo(SnpEndorsements.Source.AMD_KDS);
    assertThat(kds.requestsTo(vcekPath)).isZero();
    assertThat(verify(chain).accepted()).isTrue();
  }

  @Test
  void replacesACorruptCacheEntry() throws Exception {
    // Proves unreadable cached files are ignored, refetched and overwritten rather than served.
    SnpEndorsementCache cache = new SnpEndorsementCache(cacheDir);
    Path vcekFile = cache.vcekPath(SnpProduct.MILAN, report.chipId(), SnpProduct.MILAN.decodeTcb(report.reportedTcb()));
    Files.createDirectories(vcekFile.getParent());
    Files.write(vcekFile, new byte[] {0x30, 0x00});
    Files.write(cache.chainPath(SnpProduct.MILAN, SnpSigningKey.VCEK), "not pem".getBytes());
    SnpEndorsements.Chain chain = withKds().resolve(report, SnpCertificateTable.empty());
    assertThat(chain.leafSource()).isEqualTo(SnpEndorsements.Source.AMD_KDS);
    assertThat(vcekFile).hasBinaryContent(vcek);
  }

  @Test
  void refusesAndDoesNotCacheWhatDoesNotChainToAmd() throws Exception {
    // Proves a chain ending in another product's ARK, and a leaf its signer did not issue, are refused and never cached.
    kds.on(CHAIN_PATH, FakeKds.Answer.ok(TeeVectors.read("sev-snp/amd-ark-ask/ask_ark_genoa.pem")));
    assertThatThrownBy(() -> withKds().resolve(report, SnpCertificateTable.empty()))
        .hasMessageContaining("not a pinned AMD ARK for Milan");
    assertThat(cacheDir.resolve("Milan/vcek/cert_chain.pem")).doesNotExist();

    kds.on(CHAIN_PATH, FakeKds.Answer.ok(SnpEndorsementCache.pem(milanChain)));
    kds.on(vcekPath, FakeKds.Answer.ok(TeeVectors.read(TeeVectors.VLEK)));
    assertThatThrownBy(() -> withKds().resolve(report, SnpCertificateTable.empty()))
        .hasMessageContaining("is issued by").hasMessageContaining("SEV-VLEK-Milan");
    try (var files = Files.walk(cacheDir)) {
      assertThat(files.filter(p -> p.toString().endsWith(".der"))).isEmpty();
    }
  }

  @Test
  void vlekComesOnlyFromTheHost() throws Exception {
    // Proves a VLEK-signed report needs the VLEK in the host's table (KDS does not serve it), and uses it when there.
    SnpReport vlekReport = SnpReport.parse(TeeVectors.read(TeeVectors.VLEK_REPORT));
    assertThatThrownBy(() -> withKds().resolve(vlekReport, SnpCertificateTable.empty()))
        .hasMessageContaining("signed by a VLEK").hasMessageContaining("does not serve VLEKs");
    List<byte[]> asvkChain = TeeVectors.certificates(TeeVectors.MILAN_VLEK_CHAIN);
    SnpEndorsements.Chain chain = withKds().resolve(vlekReport, table(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VLEK, TeeVectors.read(TeeVectors.VLEK)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, asvkChain.get(0)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, asvkChain.get(1))));
    assertThat(chain.leaf()).isEqualTo(TeeVectors.read(TeeVectors.VLEK));
    assertThat(kds.requests).isEmpty();
  }

  @Test
  void namesWhatIsMissingAndWhereItLooked() throws Exception {
    // Proves a resolution with nothing to find names the missing part, the sources tried, and the absent KDS client.
    SnpEndorsements cacheOnly = SnpEndorsements.builder().cache(cacheDir).productHint(SnpProduct.MILAN).build();
    assertThatThrownBy(() -> cacheOnly.resolve(report, SnpCertificateTable.empty()))
        .hasMessageContaining("no ASK and ARK of Milan in the host's certificate table or the cache at " + cacheDir)
        .hasMessageContaining("no AMD KDS client is configured");
    SnpEndorsements noProduct = SnpEndorsements.builder().kds(client()).build();
    assertThatThrownBy(() -> noProduct.resolve(report, SnpCertificateTable.empty()))
        .hasMessageContaining("names no CPU product");
  }
}
