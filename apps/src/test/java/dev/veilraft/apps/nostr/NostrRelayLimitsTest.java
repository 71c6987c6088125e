package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.note;
import static dev.veilraft.apps.nostr.RelayHarness.eose;
import static dev.veilraft.apps.nostr.RelayHarness.event;
import static dev.veilraft.apps.nostr.RelayHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every front-end bound and every malformed message: answered with NOTICE, OK false or CLOSED, never dropped. */
class NostrRelayLimitsTest {
  static final RelaySettings.Limits SMALL = RelaySettings.Limits.DEFAULTS.toBuilder().messageBytesMax(4_096)
      .subscriptionsPerConnectionMax(2).filtersPerReqMax(2).limitMax(3).subscriptionIdCharsMax(8).build();

  @TempDir Path dir;
  RelayHarness harness;

  RelayHarness start(RelaySettings.Limits limits) throws Exception {
    harness = new RelayHarness(dir, limits);
    return harness;
  }

  @AfterEach
  void close() {
    if (harness != null) {
      harness.close();
    }
  }

  static String notice(String message) {
    return "[\"NOTICE\"," + NostrJson.quote(message) + "]";
  }

  static String closed(String id, String message) {
    return "[\"CLOSED\"," + NostrJson.quote(id) + "," + NostrJson.quote(message) + "]";
  }

  @Test
  void malformedMessagesGetASpecificAnswerAndChangeNothing() throws Exception {
    // Proves bad JSON, wrong types, huge numbers, unknown types and bad filters each get their NOTICE or CLOSED.
    start(SMALL);
    RelayHarness.Client client = harness.connect(harness.relayA);
    NostrEvent good = note(ALICE, NOW_SECONDS, "shape");
    String shape = "invalid: a message is a JSON array whose first element is its type: EVENT, REQ, CLOSE or AUTH";
    String[][] cases = {
        {"not json", "NOTICE invalid: message is not valid JSON"},
        {"", "NOTICE invalid: message is empty"},
        {"{}", "=" + notice(shape)},
        {"[]", "=" + notice(shape)},
        {"[1,2]", "=" + notice(shape)},
        {"[\"EVENT\"] trailing", "NOTICE invalid: message is not valid JSON"},
        {"[\"FOO\",1]", "=" + notice("invalid: unknown message type 'FOO'; this relay reads EVENT, REQ, CLOSE and AUTH")},
        {"[\"EVENT\"]", "=" + notice("invalid: EVENT message must be [\"EVENT\",<event>]")},
        {"[\"EVENT\",{\"id\":1}]", "=" + notice("invalid: event has no 'pubkey' field")},
        {"[\"EVENT\",[]]", "=" + notice("invalid: event is not a JSON object")},
        {"[\"EVENT\"," + good.toJson().replace("\"kind\":1", "\"kind\":\"1\"") + "]",
            "=" + ok(good, false, "invalid: event kind is not an integer")},
        {"[\"EVENT\"," + good.toJson().replace("\"kind\":1", "\"kind\":1e0") + "]",
            "=" + ok(good, false, "invalid: event kind is not an integer")},
        {"[\"EVENT\"," + good.toJson().replace("\"kind\":1", "\"kind\":" + "9".repeat(40)) + "]",
            "NOTICE invalid: message is not valid JSON"},
        {"[\"EVENT\"," + good.toJson().replace("\"kind\":1", "\"kind\":1,\"kind\":1") + "]",
            "NOTICE invalid: message is not valid JSON"},
        {"[\"REQ\"]", "=" + notice("invalid: REQ message must be [\"REQ\",<subscription id>,<filter>...]")},
        {"[\"REQ\",7,{}]", "=" + notice("invalid: REQ message must be [\"REQ\",<subscription id>,<filter>...]")},
        {"[\"REQ\",\"\",{}]", "=" + notice("invalid: a subscription id must be 1..8 characters")},
        {"[\"REQ\",\"123456789\",{}]", "=" + notice("invalid: a subscription id must be 1..8 characters")},
        {"[\"REQ\",\"s\"]", "=" + closed("s", "invalid: a REQ must carry 1..2 filters (max_filters), this one has 0")},
        {"[\"REQ\",\"s\",{},{},{}]", "=" + closed("s", "invalid: a REQ must carry 1..2 filters (max_filters), this one has 3")},
        {"[\"REQ\",\"s\",[]]", "=" + closed("s", "invalid: filter is not a JSON object")},
        {"[\"REQ\",\"s\",{\"search\":\"x\"}]", "=" + closed("s", "unsupported: filter contains unknown element 'search'")},
        {"[\"REQ\",\"s\",{\"#ab\":[\"x\"]}]", "=" + closed("s", "unsupported: filter contains unknown element '#ab'")},
        {"[\"REQ\",\"s\",{\"since\":1.5}]", "=" + closed("s", "invalid: filter since is not an integer timestamp")},
        {"[\"REQ\",\"s\",{\"until\":\"1\"}]", "=" + closed("s", "invalid: filter until is not an integer timestamp")},
        {"[\"REQ\",\"s\",{\"until\":99999999999999999999}]", "=" + closed("s",
            "invalid: filter until is not an integer timestamp")},
        {"[\"REQ\",\"s\",{\"limit\":-1}]", "=" + closed("s", "invalid: filter limit is negative")},
        {"[\"REQ\",\"s\",{\"kinds\":[70000]}]", "=" + closed("s", "invalid: filter kinds[0] is not an integer 0..65535")},
        {"[\"REQ\",\"s\",{\"kinds\":1}]", "=" + closed("s", "invalid: filter kinds is not an array")},
        {"[\"REQ\",\"s\",{\"ids\":[\"abc\"]}]", "=" + closed("s", "invalid: filter ids[0] is not 64 lowercase hex characters")},
        {"[\"REQ\",\"s\",{\"#p\":[\"" + "A".repeat(64) + "\"]}]", "=" + closed("s",
            "invalid: filter #p[0] is not 64 lowercase hex characters")},
        {"[\"REQ\",\"s\",{\"#t\":[1]}]", "=" + closed("s", "invalid: filter #t[0] is not a string")},
        {"[\"CLOSE\"]", "=" + notice("invalid: CLOSE message must be [\"CLOSE\",<subscription id>]")},
        {"[\"CLOSE\",1]", "=" + notice("invalid: CLOSE message must be [\"CLOSE\",<subscription id>]")},
        {"[\"COUNT\",\"c\",{}]", "=" + closed("c", "unsupported: COUNT (NIP-45) is not supported")},
        {"[[[[[[[[\"deep\"]]]]]]]]", "NOTICE invalid: message is not valid JSON"},
        {"[\"REQ\",\"s\",{\"ids\":[\"" + "a".repeat(4_100) + "\"]}]",
            "=" + notice("invalid: message is over max_message_length 4096 bytes")},
        {"[\"EVENT\",\"" + "é".repeat(2_100) + "\"]", "=" + notice("invalid: message is over max_message_length 4096 bytes")},
    };
    for (String[] testCase : cases) {
      client.send(testCase[0]);
      String answer = client.next();
      if (testCase[1].startsWith("=")) {
        assertThat(answer).as("answer to %s", testCase[0]).isEqualTo(testCase[1].substring(1));
      } else {
        assertThat(answer).as("answer to %s", testCase[0]).startsWith("[\"NOTICE\",\"" + testCase[1].substring(7));
      }
    }
    harness.gateway.settle();
    assertThat(client.sink().received).isEmpty();
    assertThat(client.sink().closedWith.get()).isNull();
    assertThat(client.connection().subscriptionCount()).isZero();
    assertThat(harness.gateway.submits.get()).isZero();
    assertThat(harness.app.records()).isEmpty();
  }

  @Test
  void subscriptionsPerConnectionAreBoundedAndLimitsClamped() throws Exception {
    // Proves max_subscriptions (a reused id does not count twice) and max_limit clamping of stored events.
    start(SMALL);
    RelayHarness.Client client = harness.connect(harness.relayA);
    List<NostrEvent> notes = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      notes.add(note(ALICE, NOW_SECONDS - i, "n" + i));
      client.publish(notes.get(i));
    }
    assertThat(client.subscribe("a", "{\"limit\":100}")).containsExactly(event("a", notes.get(0)),
        event("a", notes.get(1)), event("a", notes.get(2)), eose("a"));
    assertThat(client.subscribe("b", "{\"limit\":0}")).containsExactly(eose("b"));
    assertThat(client.subscribe("b", "{\"limit\":1}")).containsExactly(event("b", notes.get(0)), eose("b"));
    client.send("[\"REQ\",\"c\",{}]");
    assertThat(client.next()).isEqualTo(closed("c", "rate-limited: this connection has 2 subscriptions open, "
        + "the most it may (max_subscriptions); CLOSE one first"));
    client.send("[\"CLOSE\",\"a\"]");
    assertThat(client.subscribe("c", "{\"limit\":1}")).containsExactly(event("c", notes.get(0)), eose("c"));
  }

  @Test
  void eventsOverTheConsensusBoundsAreRefusedOkFalse() throws Exception {
    // Proves max_event_tags and max_content_length reach the client as OK false "invalid:" with the event id.
    start(RelaySettings.Limits.DEFAULTS);
    RelayHarness.Client client = harness.connect(harness.relayA);
    List<List<String>> tags = new ArrayList<>();
    for (int i = 0; i <= NostrLimits.eventTagsMax; i++) {
      tags.add(List.of("t", "x"));
    }
    NostrEvent manyTags = NostrTestEvents.sign(ALICE, NOW_SECONDS, 1, tags, "");
    assertThat(client.publish(manyTags)).isEqualTo(ok(manyTags, false,
        "invalid: event has 2501 tags, over max_event_tags 2500"));
    NostrEvent longContent = note(ALICE, NOW_SECONDS, "y".repeat(NostrLimits.contentCharsMax + 1));
    assertThat(client.publish(longContent)).isEqualTo(ok(longContent, false,
        "invalid: content is 131073 characters, over max_content_length 131072"));
    NostrEvent heavy = note(ALICE, NOW_SECONDS, "é".repeat(NostrLimits.contentCharsMax));
    assertThat(client.publish(heavy)).startsWith("[\"OK\",\"" + heavy.id() + "\",false,\"invalid: event is ")
        .endsWith(" bytes of JSON, over the relay's 262144\"]");
    assertThat(harness.gateway.submits.get()).isZero();
  }

  @Test
  void aSlowConsumerIsClosedWithACodeAndAReason() throws Exception {
    // Proves a client that stops reading fills its bounded outbox and is closed with 1008, not left to lose events.
    start(RelaySettings.Limits.DEFAULTS.toBuilder().filtersPerReqMax(1).limitMax(3).outboxMessagesMax(5).build());
    RelayHarness.Client reader = harness.connect(harness.relayB);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    reader.subscribe("feed", "{}");
    CountDownLatch stalled = new CountDownLatch(1);
    reader.sink().stall.set(stalled);
    for (int i = 0; i < 8; i++) {
      NostrEvent event = note(ALICE, NOW_SECONDS - i, "flood " + i);
      assertThat(writer.publish(event)).isEqualTo(ok(event, true, ""));
    }
    assertThat(reader.sink().awaitClose()).isEqualTo(
        "1008 slow consumer: more than 5 messages or 8388608 characters waiting to be sent");
    stalled.countDown();
    assertThat(harness.relayB.connectionCount()).isEqualTo(0);
  }

  @Test
  void publishesAndLoadingQueriesInFlightAreBoundedPerConnection() throws Exception {
    // Proves a connection's concurrent EVENTs and loading REQs are bounded with "rate-limited:" answers.
    start(RelaySettings.Limits.DEFAULTS.toBuilder().publishesInFlightPerConnectionMax(1)
        .queriesInFlightPerConnectionMax(1).build());
    RelayHarness.Client client = harness.connect(harness.relayA);
    CountDownLatch submits = new CountDownLatch(1);
    harness.gateway.submitGate.set(submits);
    NostrEvent first = note(ALICE, NOW_SECONDS, "first");
    NostrEvent second = note(ALICE, NOW_SECONDS, "second");
    client.send("[\"EVENT\"," + first.toJson() + "]");
    assertThat(client.publish(second)).isEqualTo(ok(second, false,
        "rate-limited: 1 events of this connection are still being committed; wait for their OK"));
    submits.countDown();
    assertThat(client.next()).isEqualTo(ok(first, true, ""));

    CountDownLatch queries = new CountDownLatch(1);
    harness.gateway.queryGate.set(queries);
    client.send("[\"REQ\",\"one\",{}]");
    client.send("[\"REQ\",\"two\",{}]");
    assertThat(client.next()).isEqualTo(closed("two", "rate-limited: 1 subscriptions of this connection are still "
        + "loading stored events"));
    queries.countDown();
    assertThat(client.next(2)).containsExactly(event("one", first), eose("one"));
  }

  @Test
  void tooManyLiveEventsWhileLoadingEndTheSubscriptionWithClosed() throws Exception {
    // Proves the bounded hold of live events during a load: past it the subscription is CLOSED, not silently thinned.
    start(RelaySettings.Limits.DEFAULTS.toBuilder().liveBufferPerSubscriptionMax(1).build());
    RelayHarness.Client reader = harness.connect(harness.relayB);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    CountDownLatch queries = new CountDownLatch(1);
    harness.gateway.queryGate.set(queries);
    reader.send("[\"REQ\",\"s\",{}]");
    writer.publish(note(ALICE, NOW_SECONDS, "one"));
    writer.publish(note(ALICE, NOW_SECONDS, "two"));
    assertThat(reader.next()).isEqualTo(closed("s", "error: over 1 new events arrived while stored events loaded; "
        + "subscribe again"));
    queries.countDown();
    harness.gateway.settle();
    assertThat(reader.connection().subscriptionCount()).isZero();
  }
}
