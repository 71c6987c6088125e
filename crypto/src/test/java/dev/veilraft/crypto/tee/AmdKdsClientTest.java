package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.proto.TcbVersion;
import java.math.BigInteger;
import java.net.URI;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AmdKdsClientTest {
  private static final TcbVersion MILAN_TCB =
      TcbVersion.newBuilder().setBootloader(3).setTee(0).setSnp(8).setMicrocode(115).build();
  private static final TcbVersion TURIN_TCB =
      TcbVersion.newBuilder().setFmc(1).setBootloader(1).setTee(1).setSnp(4).setMicrocode(82).build();
  private static final String VCEK_PATH_PREFIX = "/vcek/v1/Milan/";

  /** A clock that moves only when the test's sleeper "sleeps". */
  static final class SteppedClock extends Clock {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private FakeKds kds;
  private final SteppedClock clock = new SteppedClock();
  private final List<Duration> sleeps = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    kds = new FakeKds();
  }

  @AfterEach
  void stop() {
    kds.close();
  }

  private AmdKdsClient client() {
    return AmdKdsClient.builder().baseUri(kds.baseUri()).sleeper(d -> {
      sleeps.add(d);
      clock.now = clock.now.plus(d);
    }).clock(clock).connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(5)).build();
  }

  private static byte[] chipId(int first) {
    byte[] chip = new byte[64];
    for (int i = 0; i < chip.length; i++) {
      chip[i] = (byte) (first + i);
    }
    return chip;
  }

  @Test
  void buildsMilanAndGenoaUrlsFromTheWholeChipId() {
    // Proves Milan and Genoa VCEK URLs name the product, the 64-byte hwid in lowercase hex and the four SPLs.
    AmdKdsClient client = AmdKdsClient.create();
    byte[] chip = chipId(0xA0);
    String hwid = Hashes.hex(chip);
    assertThat(hwid).hasSize(128);
    assertThat(client.vcekUri(SnpProduct.MILAN, chip, MILAN_TCB)).hasToString(
        "https://kdsintf.amd.com/vcek/v1/Milan/" + hwid + "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
    assertThat(client.vcekUri(SnpProduct.GENOA, chip, MILAN_TCB)).hasToString(
        "https://kdsintf.amd.com/vcek/v1/Genoa/" + hwid + "?blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
    assertThatThrownBy(() -> client.vcekUri(SnpProduct.MILAN, chip, TURIN_TCB))
        .hasMessageContaining("Milan has no FMC TCB component");
  }

  @Test
  void buildsTurinUrlsWithEightByteHwidAndFmc() {
    // Proves the Turin VCEK URL uses only CHIP_ID's first 8 bytes and adds fmcSPL.
    byte[] chip = new byte[64];
    System.arraycopy(Hashes.unhex("6bb1229b7692b710"), 0, chip, 0, 8);
    assertThat(AmdKdsClient.create().vcekUri(SnpProduct.TURIN, chip, TURIN_TCB)).hasToString(
        "https://kdsintf.amd.com/vcek/v1/Turin/6bb1229b7692b710?fmcSPL=01&blSPL=01&teeSPL=01&snpSPL=04&ucodeSPL=82");
    assertThat(AmdKdsClient.create().vcekUri(SnpProduct.TURIN, Arrays.copyOf(chip, 8), TURIN_TCB).toString())
        .contains("/Turin/6bb1229b7692b710?");
  }

  @Test
  void buildsChainAndCrlUrlsAndRefusesMaskedChipIds() {
    // Proves the chain and CRL URLs for VCEK and VLEK, a trailing slash on the base, and the refusal of a zeroed chip id.
    AmdKdsClient client = AmdKdsClient.builder().baseUri(URI.create("https://kds.example/")).build();
    assertThat(client.certChainUri(SnpProduct.GENOA, SnpSigningKey.VCEK))
        .hasToString("https://kds.example/vcek/v1/Genoa/cert_chain");
    assertThat(client.certChainUri(SnpProduct.MILAN, SnpSigningKey.VLEK))
        .hasToString("https://kds.example/vlek/v1/Milan/cert_chain");
    assertThat(client.crlUri(SnpProduct.TURIN, SnpSigningKey.VCEK)).hasToString("https://kds.example/vcek/v1/Turin/crl");
    assertThatThrownBy(() -> client.vcekUri(SnpProduct.MILAN, new byte[64], MILAN_TCB)).hasMessageContaining("all zero");
    assertThatThrownBy(() -> AmdKdsClient.builder().baseUri(URI.create("ftp://kds.example")))
        .hasMessageContaining("http or https");
  }

  @Test
  void fetchesAVcekFromTheServer() throws Exception {
    // Proves a VCEK is fetched over real HTTP from the URL built for the chip and TCB, and parsed before it is returned.
    byte[] vcek = TeeVectors.read(TeeVectors.VIRTEE_VCEK);
    byte[] chip = chipId(1);
    kds.on(VCEK_PATH_PREFIX + Hashes.hex(chip), FakeKds.Answer.ok(vcek));
    assertThat(client().vcek(SnpProduct.MILAN, chip, MILAN_TCB)).isEqualTo(vcek);
    assertThat(kds.requests).hasSize(1);
    assertThat(kds.requests.get(0).getQuery()).isEqualTo("blSPL=03&teeSPL=00&snpSPL=08&ucodeSPL=115");
    assertThat(sleeps).isEmpty();
  }

  @Test
  void fetchesAndOrdersTheCertChain() throws Exception {
    // Proves the PEM cert_chain is read as two DER certificates, signer first, root last.
    List<byte[]> chain = TeeVectors.certificates(TeeVectors.VIRTEE_CHAIN);
    kds.on("/vcek/v1/Milan/cert_chain", FakeKds.Answer.ok(SnpEndorsementCache.pem(List.of(chain.get(1), chain.get(0)))));
    List<byte[]> fetched = client().certChain(SnpProduct.MILAN, SnpSigningKey.VCEK);
    assertThat(fetched).hasSize(2);
    assertThat(fetched.get(0)).isEqualTo(chain.get(0));
    assertThat(fetched.get(1)).isEqualTo(chain.get(1));
  }

  @Test
  void waitsOutA429AsRetryAfterSays() throws Exception {
    // Proves a 429 is retried after its Retry-After (seconds or HTTP date) through the injected sleeper, without sleeping.
    byte[] vcek = TeeVectors.read(TeeVectors.VIRTEE_VCEK);
    byte[] chip = chipId(2);
    String path = VCEK_PATH_PREFIX + Hashes.hex(chip);
    String retryAt = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        ZonedDateTime.ofInstant(clock.now.plusSeconds(37), ZoneOffset.UTC));
    kds.on(path, FakeKds.Answer.rateLimited("7"), FakeKds.Answer.rateLimited(retryAt), FakeKds.Answer.ok(vcek));
    assertThat(client().vcek(SnpProduct.MILAN, chip, MILAN_TCB)).isEqualTo(vcek);
    assertThat(sleeps).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(30));
    assertThat(kds.requestsTo(path)).isEqualTo(3);
  }

  @Test
  void givesUpWhenTheRateLimitOutlastsTheBudget() throws Exception {
    // Proves a Retry-After beyond the wait budget fails at once with status 429, and endless 429s stop after the retry bound.
    byte[] chip = chipId(3);
    String path = VCEK_PATH_PREFIX + Hashes.hex(chip);
    kds.on(path, FakeKds.Answer.rateLimited("3600"));
    assertThatThrownBy(() -> client().vcek(SnpProduct.MILAN, chip, MILAN_TCB)).isInstanceOfSatisfying(
        AmdKdsException.class, e -> assertThat(e.status()).isEqualTo(429)).hasMessageContaining("wait budget");
    assertThat(sleeps).isEmpty();

    kds.on(path, FakeKds.Answer.rateLimited("1"));
    assertThatThrownBy(() -> client().vcek(SnpProduct.MILAN, chip, MILAN_TCB))
        .hasMessageContaining("after " + AmdKdsClient.RATE_LIMIT_RETRIES_MAX_DEFAULT + " retries");
    assertThat(sleeps).hasSize(AmdKdsClient.RATE_LIMIT_RETRIES_MAX_DEFAULT);
    assertThat(kds.requestsTo(path)).isEqualTo(1 + 1 + AmdKdsClient.RATE_LIMIT_RETRIES_MAX_DEFAULT);
  }

  @Test
  void names404And500WithUrlAndStatus() {
    // Proves a 404 gets its own message (check product, chip id, TCB) and other statuses name the URL and status.
    byte[] chip = chipId(4);
    assertThatThrownBy(() -> client().vcek(SnpProduct.MILAN, chip, MILAN_TCB)).isInstanceOfSatisfying(
        AmdKdsException.class, e -> {
          assertThat(e.status()).isEqualTo(404);
          assertThat(e.uri().getPath()).isEqualTo(VCEK_PATH_PREFIX + Hashes.hex(chip));
        }).hasMessageContaining("HTTP 404").hasMessageContaining("check the product")
        .hasMessageContaining(kds.baseUri() + VCEK_PATH_PREFIX);
    kds.on("/vcek/v1/Genoa/cert_chain", FakeKds.Answer.status(503));
    assertThatThrownBy(() -> client().certChain(SnpProduct.GENOA, SnpSigningKey.VCEK))
        .isInstanceOfSatisfying(AmdKdsException.class, e -> assertThat(e.status()).isEqualTo(503))
        .hasMessageContaining("answered HTTP 503 for " + kds.baseUri() + "/vcek/v1/Genoa/cert_chain");
  }

  @Test
  void refusesOversizedAndUnparsableBodies() {
    // Proves a body over RESPONSE_BYTES_MAX and a 200 that is not a certificate are refused, so they never reach a cache.
    byte[] chip = chipId(5);
    kds.on(VCEK_PATH_PREFIX + Hashes.hex(chip), FakeKds.Answer.ok(new byte[AmdKdsClient.RESPONSE_BYTES_MAX + 1]));
    assertThatThrownBy(() -> client().vcek(SnpProduct.MILAN, chip, MILAN_TCB)).hasMessageContaining("bound of");
    kds.on(VCEK_PATH_PREFIX + Hashes.hex(chip), FakeKds.Answer.ok("<html>maintenance</html>".getBytes()));
    assertThatThrownBy(() -> client().vcek(SnpProduct.MILAN, chip, MILAN_TCB))
        .hasMessageContaining("not a DER certificate");
    kds.on("/vcek/v1/Milan/crl", FakeKds.Answer.ok(new byte[] {1, 2, 3}));
    assertThatThrownBy(() -> client().crl(SnpProduct.MILAN, SnpSigningKey.VCEK)).hasMessageContaining("not a DER CRL");
  }

  @Test
  void fetchesACrl() throws Exception {
    // Proves a DER CRL is returned as served.
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(256);
    KeyPair key = generator.generateKeyPair();
    Date now = Date.from(clock.now);
    byte[] crl = new X509v2CRLBuilder(new X500Name("CN=ARK-Milan"), now).setNextUpdate(Date.from(clock.now.plusSeconds(86400)))
        .addCRLEntry(BigInteger.TEN, now, 0).build(new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate()))
        .getEncoded();
    kds.on("/vcek/v1/Milan/crl", FakeKds.Answer.ok(crl));
    assertThat(client().crl(SnpProduct.MILAN, SnpSigningKey.VCEK)).isEqualTo(crl);
  }

  @Test
  void readsRetryAfterForms() {
    // Proves Retry-After is read as seconds or an HTTP date, a past date means no wait, and nonsense falls back.
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    assertThat(AmdKdsClient.retryAfter(Optional.of(" 12 "), now)).isEqualTo(Duration.ofSeconds(12));
    assertThat(AmdKdsClient.retryAfter(Optional.of("Sun, 01 Mar 2026 12:01:00 GMT"), now)).isEqualTo(Duration.ofMinutes(1));
    assertThat(AmdKdsClient.retryAfter(Optional.of("Sun, 01 Mar 2026 11:00:00 GMT"), now)).isEqualTo(Duration.ZERO);
    assertThat(AmdKdsClient.retryAfter(Optional.of("soon"), now)).isEqualTo(AmdKdsClient.RETRY_AFTER_FALLBACK);
    assertThat(AmdKdsClient.retryAfter(Optional.of("99999999999999"), now)).isEqualTo(AmdKdsClient.RETRY_AFTER_FALLBACK);
    assertThat(AmdKdsClient.retryAfter(Optional.empty(), now)).isEqualTo(AmdKdsClient.RETRY_AFTER_FALLBACK);
  }
}
