package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.proto.TcbVersion;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of AMD's Key Distribution Service (KDS), which serves SEV-SNP endorsements:
 * <ul>
 *   <li>{@code GET /vcek/v1/{product}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..} the chip's
 *       VCEK for one TCB, DER. Turin adds {@code fmcSPL} and its hwid is the first 8 bytes of
 *       CHIP_ID; Milan and Genoa use all 64.</li>
 *   <li>{@code GET /vcek/v1/{product}/cert_chain} ASK then ARK, PEM; {@code /vlek/v1/{product}/cert_chain}
 *       ASVK then ARK.</li>
 *   <li>{@code GET /vcek/v1/{product}/crl} (and {@code /vlek/...}) the ARK-signed CRL, DER.</li>
 * </ul>
 * VLEKs themselves are not public: they reach a guest only through the host's certificate table.
 *
 * <p>KDS rate-limits clients (HTTP 429 with Retry-After) and its allowance is small, so callers
 * should go through {@link SnpEndorsements}, which caches on disk what never changes. This client
 * honours Retry-After a bounded number of times within a bounded total wait, does not follow
 * redirects, bounds every timeout and every body, and parses what it returns, so garbage never
 * reaches a cache. Waiting and time go through an injectable {@link Sleeper} and {@link Clock}.
 */
public final class AmdKdsClient {
  private static final Logger LOG = LoggerFactory.getLogger(AmdKdsClient.class);

  /** AMD's public KDS. */
  public static final URI BASE_URI_DEFAULT = URI.create("https://kdsintf.amd.com");
  public static final Duration CONNECT_TIMEOUT_DEFAULT = Duration.ofSeconds(10);
  public static final Duration REQUEST_TIMEOUT_DEFAULT = Duration.ofSeconds(30);
  /** A VCEK is ~1.4 KB, a chain ~4.6 KB, a CRL a few KB; anything near this bound is not KDS. */
  public static final int RESPONSE_BYTES_MAX = 256 * 1024;
  /** How many 429 answers are waited out for one request. */
  public static final int RATE_LIMIT_RETRIES_MAX_DEFAULT = 3;
  /** The most time one request spends waiting out rate limits; a node start should not hang longer. */
  public static final Duration RATE_LIMIT_WAIT_TOTAL_MAX_DEFAULT = Duration.ofMinutes(2);
  /** What to wait after a 429 whose Retry-After is absent or unreadable. */
  public static final Duration RETRY_AFTER_FALLBACK = Duration.ofSeconds(10);

  static final int HTTP_OK = 200;
  static final int HTTP_NOT_FOUND = 404;
  static final int HTTP_TOO_MANY_REQUESTS = 429;
  private static final int CHAIN_CERTS = 2;
  private static final String USER_AGENT = "veilraft-kds-client";

  /** Waits; the production sleeper is {@link Thread#sleep}, tests record the wait instead. */
  @FunctionalInterface
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  private final URI baseUri;
  private final HttpClient http;
  private final Duration requestTimeout;
  private final Sleeper sleeper;
  private final Clock clock;
  private final int rateLimitRetriesMax;
  private final Duration rateLimitWaitTotalMax;

  private AmdKdsClient(Builder b) {
    this.baseUri = b.baseUri;
    this.requestTimeout = b.requestTimeout;
    this.sleeper = b.sleeper;
    this.clock = b.clock;
    this.rateLimitRetriesMax = b.rateLimitRetriesMax;
    this.rateLimitWaitTotalMax = b.rateLimitWaitTotalMax;
    this.http = HttpClient.newBuilder().connectTimeout(b.connectTimeout)
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** A client of the public AMD KDS with the default bounds. */
  public static AmdKdsClient create() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public URI baseUri() {
    return baseUri;
  }

  /**
   * The VCEK URL for a chip and TCB. {@code chipId} is the report's 64-byte CHIP_ID (or just the
   * product's hwid bytes); the TCB is the report's REPORTED_TCB, decoded for {@code product}.
   */
  public URI vcekUri(SnpProduct product, byte[] chipId, TcbVersion tcb) {
    String hwid = Hashes.hex(hwid(product, chipId));
    String query;
    if (product == SnpProduct.TURIN) {
      query = String.format(Locale.ROOT, "fmcSPL=%02d&blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d",
          tcb.getFmc(), tcb.getBootloader(), tcb.getTee(), tcb.getSnp(), tcb.getMicrocode());
    } else {
      Check.argument(tcb.getFmc() == 0, product.displayName() + " has no FMC TCB component, got fmc=" + tcb.getFmc());
      query = String.format(Locale.ROOT, "blSPL=%02d&teeSPL=%02d&snpSPL=%02d&ucodeSPL=%02d",
          tcb.getBootloader(), tcb.getTee(), tcb.getSnp(), tcb.getMicrocode());
    }
    return resolve("/vcek/v1/" + product.displayName() + "/" + hwid + "?" + query);
  }

  /** The URL of the signer and root: ASK and ARK for VCEKs, ASVK and ARK for VLEKs. */
  public URI certChainUri(SnpProduct product, SnpSigningKey key) {
    return resolve("/" + key.kdsSegment() + "/v1/" + product.displayName() + "/cert_chain");
  }

  /** The URL of the ARK-signed revocation list for the product's VCEK (or VLEK) chain. */
  public URI crlUri(SnpProduct product, SnpSigningKey key) {
    return resolve("/" + key.kdsSegment() + "/v1/" + product.displayName() + "/crl");
  }

  /** The chip's VCEK for {@code tcb}, DER. */
  public byte[] vcek(SnpProduct product, byte[] chipId, TcbVersion tcb) throws AmdKdsException {
    URI uri = vcekUri(product, chipId, tcb);
    byte[] der = get(uri);
    try {
      Certificates.parse(der, "VCEK");
    } catch (CryptoException e) {
      throw new AmdKdsException(uri, "AMD KDS answered " + uri + " with something that is not a DER certificate: "
          + e.getMessage(), e);
    }
    return der;
  }

  /** Signer then root (ASK or ASVK, then ARK), DER, as served at {@link #certChainUri}. */
  public List<byte[]> certChain(SnpProduct product, SnpSigningKey key) throws AmdKdsException {
    URI uri = certChainUri(product, key);
    byte[] pem = get(uri);
    try {
      List<byte[]> chain = Certificates.orderLeafFirst(Certificates.readAll(pem, "AMD KDS cert_chain"));
      if (chain.size() != CHAIN_CERTS) {
        throw new AmdKdsException(uri, HTTP_OK, "AMD KDS answered " + uri + " with " + chain.size()
            + " certificates, expected " + CHAIN_CERTS + " (signer and root)");
      }
      return chain;
    } catch (CryptoException e) {
      throw new AmdKdsException(uri, "AMD KDS answered " + uri + " with an unusable chain: " + e.getMessage(), e);
    }
  }

  /** The product's CRL, DER. Not cached: it changes whenever AMD revokes a key. */
  public byte[] crl(SnpProduct product, SnpSigningKey key) throws AmdKdsException {
    URI uri = crlUri(product, key);
    byte[] der = get(uri);
    try {
      CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
    } catch (CRLException | CertificateException | RuntimeException e) {
      throw new AmdKdsException(uri, "AMD KDS answered " + uri + " with something that is not a DER CRL", e);
    }
    return der;
  }

  /** GET with the rate-limit protocol: a 429 is retried after Retry-After while the budget lasts. */
  byte[] get(URI uri) throws AmdKdsException {
    Instant start = clock.instant();
    for (int attempt = 0; ; attempt++) {
      HttpResponse<InputStream> response = send(uri);
      int status = response.statusCode();
      if (status == HTTP_OK) {
        return body(uri, response);
      }
      discard(response);
      if (status == HTTP_TOO_MANY_REQUESTS) {
        Duration wait = retryAfter(response.headers().firstValue("Retry-After"), clock.instant());
        Duration waited = Duration.between(start, clock.instant());
        if (attempt >= rateLimitRetriesMax) {
          throw new AmdKdsException(uri, status, "AMD KDS still rate-limits " + uri + " (HTTP 429) after "
              + rateLimitRetriesMax + " retries; try again later or pre-populate the endorsement cache");
        }
        if (waited.plus(wait).compareTo(rateLimitWaitTotalMax) > 0) {
          throw new AmdKdsException(uri, status, "AMD KDS rate-limits " + uri + " (HTTP 429, Retry-After "
              + wait.toSeconds() + " s), longer than the remaining wait budget of "
              + rateLimitWaitTotalMax.minus(waited).toSeconds() + " s; pre-populate the endorsement cache");
        }
        LOG.warn("AMD KDS rate-limited {} (HTTP 429); retrying in {} s", uri, wait.toSeconds());
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AmdKdsException(uri, "interrupted while waiting out an AMD KDS rate limit on " + uri, e);
        }
        continue;
      }
      if (status == HTTP_NOT_FOUND) {
        throw new AmdKdsException(uri, status, "AMD KDS has nothing at " + uri + " (HTTP 404): check the product"
            + " name and that the chip id and TCB come from this machine's report");
      }
      throw new AmdKdsException(uri, status, "AMD KDS answered HTTP " + status + " for " + uri);
    }
  }

  private HttpResponse<InputStream> send(URI uri) throws AmdKdsException {
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(requestTimeout).header("User-Agent", USER_AGENT)
        .GET().build();
    LOG.info("fetching SEV-SNP endorsement from AMD KDS: {}", uri);
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      throw new AmdKdsException(uri, "could not reach AMD KDS at " + uri + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AmdKdsException(uri, "interrupted while fetching " + uri, e);
    }
  }

  private static byte[] body(URI uri, HttpResponse<InputStream> response) throws AmdKdsException {
    OptionalLong declared = response.headers().firstValueAsLong("Content-Length");
    try (InputStream in = response.body()) {
      if (declared.isPresent() && declared.getAsLong() > RESPONSE_BYTES_MAX) {
        throw new AmdKdsException(uri, HTTP_OK, "AMD KDS answer for " + uri + " declares " + declared.getAsLong()
            + " bytes, more than the bound of " + RESPONSE_BYTES_MAX);
      }
      byte[] bytes = in.readNBytes(RESPONSE_BYTES_MAX + 1);
      if (bytes.length > RESPONSE_BYTES_MAX) {
        throw new AmdKdsException(uri, HTTP_OK, "AMD KDS answer for " + uri + " exceeds the bound of "
            + RESPONSE_BYTES_MAX + " bytes");
      }
      return bytes;
    } catch (IOException e) {
      throw new AmdKdsException(uri, "could not read the AMD KDS answer for " + uri + ": " + e, e);
    }
  }

  private static void discard(HttpResponse<InputStream> response) {
    try (InputStream in = response.body()) {
      in.skip(RESPONSE_BYTES_MAX);
    } catch (IOException e) {
      // The connection is dropped instead of reused; nothing else depends on it.
    }
  }

  /**
   * Retry-After as delta-seconds or an HTTP date (RFC 9110); {@link #RETRY_AFTER_FALLBACK} when it
   * is absent or unreadable. A date in the past means no wait.
   */
  static Duration retryAfter(Optional<String> header, Instant now) {
    if (header.isEmpty()) {
      return RETRY_AFTER_FALLBACK;
    }
    String value = header.get().trim();
    if (!value.isEmpty() && value.length() <= 9 && value.chars().allMatch(Character::isDigit)) {
      return Duration.ofSeconds(Long.parseLong(value));
    }
    try {
      Instant at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
    } catch (DateTimeParseException e) {
      return RETRY_AFTER_FALLBACK;
    }
  }

  /** The leading hwid bytes KDS names a chip by; fails on a zeroed (masked) chip id. */
  static byte[] hwid(SnpProduct product, byte[] chipId) {
    Check.argument(chipId != null && chipId.length >= product.hwIdBytes(),
        product.displayName() + " hwid needs " + product.hwIdBytes() + " bytes of CHIP_ID, got "
            + (chipId == null ? "none" : chipId.length));
    byte[] hwid = Arrays.copyOf(chipId, product.hwIdBytes());
    boolean zero = true;
    for (byte b : hwid) {
      zero &= b == 0;
    }
    Check.argument(!zero, "the chip id is all zero (MASK_CHIP_KEY set, or a VLEK-signed report): AMD KDS cannot"
        + " name a VCEK for it");
    return hwid;
  }

  private URI resolve(String pathAndQuery) {
    String base = baseUri.toString();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return URI.create(base + pathAndQuery);
  }

  @Override
  public String toString() {
    return "AmdKdsClient{" + baseUri + "}";
  }

  /** Options of a KDS client, validated when set. */
  public static final class Builder {
    private URI baseUri = BASE_URI_DEFAULT;
    private Duration connectTimeout = CONNECT_TIMEOUT_DEFAULT;
    private Duration requestTimeout = REQUEST_TIMEOUT_DEFAULT;
    private Sleeper sleeper = duration -> Thread.sleep(duration.toMillis());
    private Clock clock = Clock.systemUTC();
    private int rateLimitRetriesMax = RATE_LIMIT_RETRIES_MAX_DEFAULT;
    private Duration rateLimitWaitTotalMax = RATE_LIMIT_WAIT_TOTAL_MAX_DEFAULT;

    private Builder() {}

    /** Where KDS lives (a mirror, or a test server); http or https, no path. */
    public Builder baseUri(URI baseUri) {
      Objects.requireNonNull(baseUri, "baseUri");
      String scheme = baseUri.getScheme() == null ? "" : baseUri.getScheme().toLowerCase(Locale.ROOT);
      Check.argument(scheme.equals("https") || scheme.equals("http"), "KDS base URI must be http or https, got "
          + baseUri);
      Check.argument(baseUri.getQuery() == null && baseUri.getFragment() == null,
          "KDS base URI must have no query or fragment, got " + baseUri);
      this.baseUri = baseUri;
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connect timeout");
      return this;
    }

    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive(timeout, "request timeout");
      return this;
    }

    public Builder sleeper(Sleeper sleeper) {
      this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How many times a 429 is retried (0 to 10). */
    public Builder rateLimitRetriesMax(int retries) {
      Check.argument(retries >= 0 && retries <= 10, "rate-limit retries must be 0 to 10, got " + retries);
      this.rateLimitRetriesMax = retries;
      return this;
    }

    /** The most time spent waiting out rate limits for one request. */
    public Builder rateLimitWaitTotalMax(Duration total) {
      Check.argument(total != null && !total.isNegative(), "rate-limit wait budget must be zero or more");
      this.rateLimitWaitTotalMax = total;
      return this;
    }

    public AmdKdsClient build() {
      return new AmdKdsClient(this);
    }

    private static Duration positive(Duration d, String what) {
      Check.argument(d != null && !d.isNegative() && !d.isZero(), what + " must be positive, got " + d);
      return d;
    }
  }
}
