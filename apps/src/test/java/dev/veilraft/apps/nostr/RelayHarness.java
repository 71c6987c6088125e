package dev.veilraft.apps.nostr;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Two relay front ends ("node A" and "node B") over one {@link SerialGateway}, both told of every
 * committed request, with helpers to connect clients and speak NIP-01 to them.
 */
final class RelayHarness implements AutoCloseable {
  static final String URL_A = "wss://node-a.example:8443/nostr";
  static final String URL_B = "wss://node-b.example:8443/nostr";

  final NostrAppFixture app;
  final SerialGateway gateway;
  final NostrRelay relayA;
  final NostrRelay relayB;
  final Clock clock = Clock.fixed(Instant.ofEpochSecond(NostrTestEvents.NOW_SECONDS), ZoneOffset.UTC);

  RelayHarness(Path dir, RelaySettings.Limits limits) throws Exception {
    app = new NostrAppFixture(dir);
    gateway = new SerialGateway(app);
    relayA = new NostrRelay(gateway, settings(URL_A, limits), clock);
    relayB = new NostrRelay(gateway, settings(URL_B, limits), clock);
    gateway.listeners.add(relayA);
    gateway.listeners.add(relayB);
  }

  static RelaySettings settings(String url, RelaySettings.Limits limits) {
    return new RelaySettings("veilraft test relay", "a relay run jointly by several operators",
        NostrTestEvents.CAROL.pubkey(), "mailto:ops@example.org", url, limits);
  }

  /** How long a subscribe waits for its relay's fan-out to catch up with what was committed. */
  static final java.time.Duration FAN_OUT_WAIT = java.time.Duration.ofSeconds(10);

  /** A connected client: its relay, sink, connection and the challenge the relay greeted it with. */
  record Client(NostrRelay relay, RecordingSink sink, RelayConnection connection, String challenge) {
    void send(String message) {
      connection.onText(message);
    }

    String next() throws InterruptedException {
      return sink.next();
    }

    List<String> next(int count) throws InterruptedException {
      return sink.next(count);
    }

    /** Publishes and returns the OK answer. */
    String publish(NostrEvent event) throws InterruptedException {
      send("[\"EVENT\"," + event.toJson() + "]");
      return next();
    }

    /**
     * Subscribes and returns the stored events' messages up to and including EOSE. First waits
     * until the relay's fan-out has matched every event committed so far: otherwise one of them
     * may still reach another of this client's subscriptions live between these messages.
     */
    List<String> subscribe(String id, String... filters) throws InterruptedException {
      assertThat(relay.awaitFanOut(FAN_OUT_WAIT)).as("the relay's fan-out caught up").isTrue();
      send("[\"REQ\"," + NostrJson.quote(id) + "," + String.join(",", filters) + "]");
      List<String> out = new ArrayList<>();
      String message;
      do {
        message = next();
        out.add(message);
      } while (message.startsWith("[\"EVENT\""));
      return out;
    }

    /** Authenticates {@code key} with a correct NIP-42 event and expects OK true. */
    void authenticate(NostrTestEvents.Key key, String url) throws InterruptedException {
      NostrEvent auth = authEvent(key, url, challenge, NostrTestEvents.NOW_SECONDS);
      send("[\"AUTH\"," + auth.toJson() + "]");
      assertThat(next()).isEqualTo(ok(auth, true, ""));
    }
  }

  Client connect(NostrRelay relay) throws InterruptedException {
    RecordingSink sink = new RecordingSink();
    RelayConnection connection = relay.open(sink);
    String greeting = sink.next();
    assertThat(greeting).isEqualTo("[\"AUTH\",\"" + connection.challenge() + "\"]");
    return new Client(relay, sink, connection, connection.challenge());
  }

  static NostrEvent authEvent(NostrTestEvents.Key key, String url, String challenge, long createdAt) {
    return NostrTestEvents.sign(key, createdAt, EventKinds.CLIENT_AUTH,
        NostrTestEvents.tags(NostrTestEvents.tag("relay", url), NostrTestEvents.tag("challenge", challenge)), "");
  }

  static String ok(NostrEvent event, boolean accepted, String message) {
    return "[\"OK\",\"" + event.id() + "\"," + accepted + "," + NostrJson.quote(message) + "]";
  }

  static String event(String subscription, NostrEvent event) {
    return "[\"EVENT\"," + NostrJson.quote(subscription) + "," + event.toJson() + "]";
  }

  static String eose(String subscription) {
    return "[\"EOSE\"," + NostrJson.quote(subscription) + "]";
  }

  @Override
  public void close() {
    relayA.close();
    relayB.close();
    gateway.close();
    app.close();
  }
}
