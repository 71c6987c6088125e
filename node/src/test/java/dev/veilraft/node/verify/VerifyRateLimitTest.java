package dev.veilraft.node.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.node.api.ApiServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** POST /v1/verify is bounded in rate, per caller address and for all callers, with 429 RATE_LIMITED and Retry-After. */
class VerifyRateLimitTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final byte[] EMPTY = "  ".getBytes(StandardCharsets.UTF_8);
  private static final long SECOND_NANOS = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(42 * SECOND_NANOS);
  private final VerifyApi api = new VerifyApi(() -> null, () -> Instant.parse("2026-06-01T00:00:00Z"), now::get);

  private ApiServer.CallerAnswer post(String caller) {
    return api.answerFrom(EMPTY, null, caller);
  }

  private static JsonNode body(ApiServer.CallerAnswer answer) throws Exception {
    return JSON.readTree(answer.answer().body());
  }

  @Test
  void oneAddressGetsItsBurstThenRateLimitedWithRetryAfterUntilItsBucketRefills() throws Exception {
    // Proves one caller may start SOURCE_BURST verifications at once, is then refused with a specific error and
    // Retry-After, and is served again once 1/SOURCE_RATE_PER_SECOND has passed.
    for (int i = 0; i < VerifyRateLimit.SOURCE_BURST; i++) {
      assertThat(post("192.0.2.1").answer().status()).as("request %d", i).isEqualTo(400); // EMPTY_BODY: it ran
    }
    ApiServer.CallerAnswer limited = post("192.0.2.1");
    assertThat(limited.answer().status()).isEqualTo(429);
    assertThat(body(limited).get("code").asText()).isEqualTo(VerifyApi.RATE_LIMITED);
    assertThat(body(limited).get("detail").asText()).contains("your address", "per second");
    assertThat(limited.headers()).containsEntry("Retry-After", "1");
    assertThat(post("192.0.2.2").answer().status()).as("another address has its own bucket").isEqualTo(400);

    now.addAndGet((long) (SECOND_NANOS / VerifyRateLimit.SOURCE_RATE_PER_SECOND));
    assertThat(post("192.0.2.1").answer().status()).as("one token back").isEqualTo(400);
    assertThat(post("192.0.2.1").answer().status()).isEqualTo(429);
  }

  @Test
  void allAddressesTogetherGetTheGlobalBurstThenRateLimited() throws Exception {
    // Proves many callers together are bounded by the global bucket, whose refusal says so.
    for (int i = 0; i < VerifyRateLimit.GLOBAL_BURST; i++) {
      assertThat(post("198.51.100." + i).answer().status()).isEqualTo(400);
    }
    ApiServer.CallerAnswer limited = post("198.51.100.200");
    assertThat(limited.answer().status()).isEqualTo(429);
    assertThat(body(limited).get("code").asText()).isEqualTo(VerifyApi.RATE_LIMITED);
    assertThat(body(limited).get("detail").asText()).contains("all callers together");
    assertThat(Long.parseLong(limited.headers().get("Retry-After"))).isPositive();
  }

  @Test
  void ipv6AddressesOfOneSlash64ShareABucket() {
    // Proves a host cannot escape its bucket by rotating addresses inside its /64.
    assertThat(VerifyRateLimit.bucketKey("2001:db8:1:2::1")).isEqualTo(VerifyRateLimit.bucketKey("[2001:db8:1:2:ffff::9]"))
        .isNotEqualTo(VerifyRateLimit.bucketKey("2001:db8:1:3::1"));
    assertThat(VerifyRateLimit.bucketKey("203.0.113.7")).isEqualTo("203.0.113.7");
    for (int i = 0; i < VerifyRateLimit.SOURCE_BURST; i++) {
      assertThat(post("2001:db8:1:2::" + (i + 1)).answer().status()).isEqualTo(400);
    }
    assertThat(post("2001:db8:1:2::ff").answer().status()).isEqualTo(429);
  }

  @Test
  void overHttpTheRefusalCarriesRetryAfter() throws Exception {
    // Proves the route registered on a real API server sends the 429 and its Retry-After header to the caller.
    ApiServer server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()), null, "127.0.0.1", 0);
    try {
      api.register(server);
      server.start();
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.insecurePlainPort()
          + VerifyApi.PATH)).POST(HttpRequest.BodyPublishers.ofByteArray(EMPTY)).build();
      HttpResponse<String> last = null;
      for (int i = 0; i <= VerifyRateLimit.SOURCE_BURST; i++) {
        last = client.send(request, HttpResponse.BodyHandlers.ofString());
      }
      assertThat(last.statusCode()).isEqualTo(429);
      assertThat(last.headers().firstValue("Retry-After")).contains("1");
      assertThat(JSON.readTree(last.body()).get("code").asText()).isEqualTo(VerifyApi.RATE_LIMITED);
    } finally {
      server.close();
    }
  }
}
