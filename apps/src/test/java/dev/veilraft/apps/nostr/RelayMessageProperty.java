package dev.veilraft.apps.nostr;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.apps.AppGateway;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The contract of the client message parser, checked on any input (fuzz targets and seeded
 * mutations share it): {@link RelayConnection#onText} never throws, answers only with well-formed
 * NIP-01 messages carrying a machine-readable prefix where NIP-01 wants one, and never closes the
 * connection over a bad message. A gateway that answers at once makes every answer synchronous; a
 * sentinel message of a numbered unknown type, which draws exactly one NOTICE naming it, marks the
 * end of the answers.
 */
final class RelayMessageProperty implements AutoCloseable {
  static final Set<String> PREFIXES = Set.of("duplicate", "pow", "blocked", "rate-limited", "invalid", "restricted",
      "mute", "error", "auth-required", "unsupported");

  private final NostrRelay relay;
  private final RecordingSink sink = new RecordingSink();
  private final RelayConnection connection;
  private long checks;

  RelayMessageProperty() throws InterruptedException {
    AppGateway gateway = new AppGateway() {
      @Override
      public CompletableFuture<byte[]> submit(String app, byte[] request) {
        String json = new String(request, 1, request.length - 1, StandardCharsets.UTF_8);
        return CompletableFuture.completedFuture(new RelayWire.PublishResult(false, json.substring(7, 71),
            "blocked: fuzzing", null).encode());
      }

      @Override
      public CompletableFuture<QueryAnswer> query(String app, byte[] request, boolean linearizable) {
        return CompletableFuture.completedFuture(new QueryAnswer(new RelayWire.QueryResult(List.of(), "").encode(), 0, 0));
      }
    };
    relay = new NostrRelay(gateway, RelayHarness.settings(RelayHarness.URL_A, RelaySettings.Limits.DEFAULTS),
        Clock.fixed(Instant.ofEpochSecond(NostrTestEvents.NOW_SECONDS), ZoneOffset.UTC));
    connection = relay.open(sink);
    assertThat(sink.next()).startsWith("[\"AUTH\",");
  }

  /** Feeds {@code message} and checks every answer. */
  void check(String message) throws Exception {
    String sentinel = "SENTINEL-" + ++checks;
    connection.onText(message);
    connection.onText("[\"" + sentinel + "\"]");
    List<String> answers = new ArrayList<>();
    while (true) {
      String answer = sink.received.poll(RecordingSink.WAIT_SECONDS, TimeUnit.SECONDS);
      assertThat(answer).as("answer to %s", message).isNotNull();
      if (answer.startsWith("[\"NOTICE\",\"invalid: unknown message type '" + sentinel + "'")) {
        break;
      }
      answers.add(answer);
    }
    for (String answer : answers) {
      checkAnswer(message, answer);
    }
    assertThat(sink.closedWith.get()).as("closed after %s", message).isNull();
  }

  private static void checkAnswer(String message, String answer) throws Exception {
    JsonNode node = NostrJson.read(answer);
    assertThat(node.isArray()).as("answer %s to %s", answer, message).isTrue();
    String type = node.get(0).textValue();
    switch (type) {
      case "NOTICE" -> assertThat(node.size()).isEqualTo(2);
      case "OK" -> {
        assertThat(node.size()).isEqualTo(4);
        assertThat(NostrJson.isLowerHex(node.get(1).textValue(), 64)).isTrue();
        assertThat(node.get(2).isBoolean()).isTrue();
        if (!node.get(2).booleanValue()) {
          assertPrefixed(node.get(3).textValue());
        }
      }
      case "CLOSED" -> {
        assertThat(node.size()).isEqualTo(3);
        assertPrefixed(node.get(2).textValue());
      }
      case "EOSE" -> assertThat(node.size()).isEqualTo(2);
      default -> throw new AssertionError("unexpected answer " + answer + " to " + message);
    }
  }

  private static void assertPrefixed(String text) {
    int colon = text.indexOf(": ");
    assertThat(colon).as("prefix of %s", text).isPositive();
    assertThat(PREFIXES).contains(text.substring(0, colon));
  }

  @Override
  public void close() {
    relay.close();
  }
}
