package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.BOB;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.note;
import static dev.veilraft.apps.nostr.NostrTestEvents.sign;
import static dev.veilraft.apps.nostr.NostrTestEvents.tag;
import static dev.veilraft.apps.nostr.NostrTestEvents.tags;
import static dev.veilraft.apps.nostr.RelayHarness.eose;
import static dev.veilraft.apps.nostr.RelayHarness.event;
import static dev.veilraft.apps.nostr.RelayHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.apps.AppRejectedException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relay front end end to end: two nodes' front ends over one committed log and a real store. */
class NostrRelayTest {
  @TempDir Path dir;
  RelayHarness harness;

  @BeforeEach
  void open() throws Exception {
    harness = new RelayHarness(dir, RelaySettings.Limits.DEFAULTS);
  }

  @AfterEach
  void close() {
    harness.close();
  }

  @Test
  void anEventPublishedThroughOneNodeReachesALiveSubscriptionOnAnother() throws Exception {
    // Proves the fan-out path: OK from the committed result on node A, then the event live on node B after EOSE.
    RelayHarness.Client reader = harness.connect(harness.relayB);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    assertThat(reader.subscribe("feed", "{\"kinds\":[1]}")).containsExactly(eose("feed"));

    NostrEvent event = note(ALICE, NOW_SECONDS, "hello from node A");
    assertThat(writer.publish(event)).isEqualTo(ok(event, true, ""));
    assertThat(reader.next()).isEqualTo(event("feed", event));
  }

  @Test
  void aReqSendsStoredEventsNewestFirstThenEoseThenLiveEvents() throws Exception {
    // Proves REQ answers from the replica in NIP-01 order, ends the stored part with EOSE, and stays live.
    RelayHarness.Client client = harness.connect(harness.relayA);
    NostrEvent older = note(ALICE, NOW_SECONDS - 20, "older");
    NostrEvent newer = note(BOB, NOW_SECONDS - 10, "newer");
    assertThat(client.publish(older)).isEqualTo(ok(older, true, ""));
    assertThat(client.publish(newer)).isEqualTo(ok(newer, true, ""));

    RelayHarness.Client reader = harness.connect(harness.relayB);
    assertThat(reader.subscribe("s", "{\"kinds\":[1]}", "{\"authors\":[\"" + ALICE.pubkey() + "\"]}"))
        .containsExactly(event("s", newer), event("s", older), eose("s"));
    NostrEvent live = note(BOB, NOW_SECONDS, "live");
    assertThat(client.publish(live)).isEqualTo(ok(live, true, ""));
    assertThat(reader.next()).isEqualTo(event("s", live));
    assertThat(client.publish(live)).isEqualTo(ok(live, true, "duplicate: already have this event"));
  }

  @Test
  void liveEventsArrivingWhileStoredEventsLoadAreSentOnceAfterEose() throws Exception {
    // Proves the subscription is live before the query runs: events committed meanwhile come after EOSE, once.
    RelayHarness.Client writer = harness.connect(harness.relayA);
    NostrEvent stored = note(ALICE, NOW_SECONDS - 5, "stored");
    assertThat(writer.publish(stored)).isEqualTo(ok(stored, true, ""));

    CountDownLatch gate = new CountDownLatch(1);
    harness.gateway.queryGate.set(gate);
    RelayHarness.Client reader = harness.connect(harness.relayB);
    reader.send("[\"REQ\",\"s\",{\"kinds\":[1]}]");
    NostrEvent during = note(BOB, NOW_SECONDS, "during the load");
    assertThat(writer.publish(during)).isEqualTo(ok(during, true, ""));
    gate.countDown();

    assertThat(reader.next(3)).containsExactly(event("s", during), event("s", stored), eose("s"));
    harness.gateway.settle();
    assertThat(reader.sink().received).as("the event the query also found is not sent twice").isEmpty();
  }

  @Test
  void anEventTheStoredAnswerHadIsNotSentAgainWhenTheFanOutReachesItAfterEose() throws Exception {
    // Proves the race of stop 15's CI run: the query sees an event the fan-out has not matched yet.
    CountDownLatch fanOut = new CountDownLatch(1);
    harness.gateway.listenerGate.set(fanOut);
    CountDownLatch query = new CountDownLatch(1);
    harness.gateway.queryGate.set(query);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    RelayHarness.Client reader = harness.connect(harness.relayB);
    reader.send("[\"REQ\",\"s\",{\"kinds\":[1]}]");
    NostrEvent during = note(BOB, NOW_SECONDS, "during the load");
    assertThat(writer.publish(during)).isEqualTo(ok(during, true, ""));
    query.countDown();
    assertThat(reader.next(2)).containsExactly(event("s", during), eose("s"));

    harness.gateway.listenerGate.set(null);
    fanOut.countDown();
    assertTheNextEventIsAllItGetsLive(writer, reader);
  }

  @Test
  void anEventCommittedWhileTheQueryReadsIsSentOnceWhetherTheAnswerHadItOrNot() throws Exception {
    // Proves the window between an answer's readFrom and readThrough: ids decide, so no duplicate and no loss.
    CountDownLatch fanOut = new CountDownLatch(1);
    harness.gateway.listenerGate.set(fanOut);
    SerialGateway.Pause reads = new SerialGateway.Pause();
    harness.gateway.readPause.set(reads);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    RelayHarness.Client reader = harness.connect(harness.relayB);
    reader.send("[\"REQ\",\"had\",{\"kinds\":[1]}]");
    reads.reached();
    NostrEvent seen = note(BOB, NOW_SECONDS, "committed after readFrom, before the reads");
    assertThat(writer.publish(seen)).isEqualTo(ok(seen, true, ""));
    reads.resume();
    assertThat(reader.next(2)).containsExactly(event("had", seen), eose("had"));
    harness.gateway.readPause.set(null);

    SerialGateway.Pause answer = new SerialGateway.Pause();
    harness.gateway.answerPause.set(answer);
    reader.send("[\"REQ\",\"missed\",{\"kinds\":[1],\"since\":" + (NOW_SECONDS - 1) + "}]");
    answer.reached();
    NostrEvent unseen = note(ALICE, NOW_SECONDS - 1, "committed after the reads, before readThrough");
    assertThat(writer.publish(unseen)).isEqualTo(ok(unseen, true, ""));
    answer.resume();
    assertThat(reader.next(2)).containsExactly(event("missed", seen), eose("missed"));
    harness.gateway.answerPause.set(null);

    harness.gateway.listenerGate.set(null);
    fanOut.countDown();
    assertThat(reader.next(2)).as("the late fan-out: the event neither answer had, to each subscription once")
        .containsExactly(event("had", unseen), event("missed", unseen));
    harness.gateway.settle();
    assertThat(harness.relayB.awaitFanOut(RelayHarness.FAN_OUT_WAIT)).isTrue();
    assertThat(reader.sink().received).isEmpty();
  }

  @Test
  void aSubscriptionWithoutStoredEventsGetsLiveOnlyEventsCommittedAfterIt() throws Exception {
    // Proves limit 0: an event committed before the REQ but matched by a lagging fan-out after it is not sent.
    RelayHarness.Client writer = harness.connect(harness.relayA);
    RelayHarness.Client blocker = harness.connect(harness.relayB);
    blocker.subscribe("b", "{\"kinds\":[1]}");
    RelayHarness.Client reader = harness.connect(harness.relayB);
    NostrEvent before = note(BOB, NOW_SECONDS, "before the REQ");
    synchronized (blocker.connection()) {
      // Node B's fan-out thread stalls on the blocker's connection with the first event; "before" queues behind it.
      NostrEvent first = note(ALICE, NOW_SECONDS - 1, "stalls the fan-out");
      assertThat(writer.publish(first)).isEqualTo(ok(first, true, ""));
      assertThat(writer.publish(before)).isEqualTo(ok(before, true, ""));
      reader.send("[\"REQ\",\"s\",{\"kinds\":[1],\"limit\":0}]");
      assertThat(reader.next()).isEqualTo(eose("s"));
    }
    assertTheNextEventIsAllItGetsLive(writer, reader);
  }

  /**
   * Publishes a new event through {@code writer} and asserts that, once node B has told its
   * fan-out of every commit, it is the only message subscription "s" of {@code reader} received.
   */
  private void assertTheNextEventIsAllItGetsLive(RelayHarness.Client writer, RelayHarness.Client reader)
      throws Exception {
    NostrEvent after = note(ALICE, NOW_SECONDS, "after EOSE");
    assertThat(writer.publish(after)).isEqualTo(ok(after, true, ""));
    assertThat(reader.next()).isEqualTo(event("s", after));
    harness.gateway.settle();
    assertThat(harness.relayB.awaitFanOut(RelayHarness.FAN_OUT_WAIT)).isTrue();
    assertThat(reader.sink().received).as("events committed before the subscription's index").isEmpty();
  }

  @Test
  void aSnapshotInstalledUnderTheRelayClosesItsSubscriptionsAfterWhatCameBefore() throws Exception {
    // Proves a replica that jumps ahead by a snapshot (whose events reach no subscription) ends them with CLOSED.
    RelayHarness.Client writer = harness.connect(harness.relayA);
    RelayHarness.Client reader = harness.connect(harness.relayB);
    assertThat(reader.subscribe("s", "{\"kinds\":[1]}")).containsExactly(eose("s"));
    NostrEvent before = note(ALICE, NOW_SECONDS, "before the snapshot");
    assertThat(writer.publish(before)).isEqualTo(ok(before, true, ""));

    harness.relayB.installed(harness.app.store.appliedIndex() + 10);
    assertThat(reader.next(2)).containsExactly(event("s", before),
        "[\"CLOSED\",\"s\"," + NostrJson.quote(NostrRelay.SNAPSHOT_CLOSE_MESSAGE) + "]");
    assertThat(reader.connection().subscriptionCount()).isZero();
    assertThat(reader.subscribe("again", "{\"kinds\":[1]}")).containsExactly(event("again", before), eose("again"));
  }

  @Test
  void closeEndsASubscriptionAndAReqWithTheSameIdReplacesIt() throws Exception {
    // Proves CLOSE stops delivery to that subscription only, and a REQ reusing an id replaces its filters.
    RelayHarness.Client reader = harness.connect(harness.relayB);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    reader.subscribe("gone", "{\"kinds\":[1]}");
    reader.subscribe("kept", "{\"kinds\":[1]}");
    reader.subscribe("swap", "{\"kinds\":[1]}");
    reader.subscribe("swap", "{\"kinds\":[7]}");
    reader.send("[\"CLOSE\",\"gone\"]");

    NostrEvent event = note(ALICE, NOW_SECONDS, "after close");
    writer.publish(event);
    assertThat(reader.next()).isEqualTo(event("kept", event));
    NostrEvent reaction = sign(ALICE, NOW_SECONDS, 7, tags(tag("e", event.id())), "+");
    writer.publish(reaction);
    assertThat(reader.next()).isEqualTo(event("swap", reaction));
    assertThat(reader.sink().received).isEmpty();
    assertThat(reader.connection().subscriptionCount()).isEqualTo(2);
  }

  @Test
  void invalidEventsAreRefusedBeforeTheyReachTheLog() throws Exception {
    // Proves a bad id, a bad signature, a future created_at and an AUTH event get OK false "invalid:" without a submit.
    RelayHarness.Client client = harness.connect(harness.relayA);
    NostrEvent event = note(ALICE, NOW_SECONDS, "real");
    NostrEvent future = note(ALICE, NOW_SECONDS + NostrLimits.createdAtFutureSecondsMax + 1, "from the future");
    NostrEvent auth = RelayHarness.authEvent(ALICE, RelayHarness.URL_A, client.challenge(), NOW_SECONDS);

    assertThat(client.publish(NostrTestEvents.withContent(event, "forged"))).isEqualTo(ok(event, false,
        "invalid: event id does not match the hash of its serialized fields"));
    assertThat(client.publish(NostrTestEvents.withBadSignature(event))).isEqualTo(ok(event, false,
        "invalid: signature does not verify for the event's pubkey"));
    assertThat(client.publish(future)).startsWith("[\"OK\",\"" + future.id() + "\",false,\"invalid: created_at");
    assertThat(client.publish(auth)).isEqualTo(ok(auth, false, "invalid: kind 22242 is sent with AUTH, not EVENT (NIP-42)"));
    assertThat(harness.gateway.submits.get()).isZero();
    assertThat(harness.app.records()).isEmpty();
  }

  @Test
  void anEventTheLogRefusesOrCannotCommitIsAnsweredOkFalse() throws Exception {
    // Proves the committed refusal becomes OK false with its prefix, and a failed submit OK false "error:".
    RelayHarness.Client client = harness.connect(harness.relayA);
    NostrEvent newer = sign(ALICE, NOW_SECONDS, 0, tags(), "{\"name\":\"new\"}");
    NostrEvent older = sign(ALICE, NOW_SECONDS - 1, 0, tags(), "{\"name\":\"old\"}");
    client.publish(newer);
    assertThat(client.publish(older)).startsWith("[\"OK\",\"" + older.id()
        + "\",false,\"invalid: a newer version of this replaceable event is stored");

    harness.gateway.submitFailure.set(new IllegalStateException("NOT_LEADER: no leader answered within 5 s"));
    NostrEvent lost = note(ALICE, NOW_SECONDS, "lost");
    assertThat(client.publish(lost)).isEqualTo(ok(lost, false,
        "error: the event's commit was not confirmed (it may still be stored; resend it) (NOT_LEADER: no leader "
        + "answered within 5 s)"));
    harness.gateway.submitFailure.set(new AppRejectedException("invalid: the app said no"));
    assertThat(client.publish(lost)).isEqualTo(ok(lost, false, "invalid: the app said no"));
  }

  @Test
  void ephemeralEventsAreBroadcastAndDeletionsRemoveStoredEvents() throws Exception {
    // Proves an ephemeral event reaches live subscribers but no later REQ, and a kind 5 removes the author's event.
    RelayHarness.Client reader = harness.connect(harness.relayB);
    RelayHarness.Client writer = harness.connect(harness.relayA);
    reader.subscribe("all", "{}");
    NostrEvent typing = sign(ALICE, NOW_SECONDS, 20_001, tags(), "typing…");
    assertThat(writer.publish(typing)).isEqualTo(ok(typing, true, ""));
    assertThat(reader.next()).isEqualTo(event("all", typing));

    NostrEvent post = note(ALICE, NOW_SECONDS - 1, "regret");
    writer.publish(post);
    assertThat(reader.next()).isEqualTo(event("all", post));
    NostrEvent deletion = sign(ALICE, NOW_SECONDS, 5, tags(tag("e", post.id())), "");
    writer.publish(deletion);
    assertThat(reader.next()).isEqualTo(event("all", deletion));
    // Node A's fan-out may lag node B's: let it match the commits so far, or "later" could also get the
    // already deleted post live after its EOSE (allowed by NIP-01, but not the order this test reads).
    assertThat(harness.relayA.awaitFanOut(java.time.Duration.ofSeconds(10))).isTrue();
    assertThat(writer.subscribe("later", "{}")).containsExactly(event("later", deletion), eose("later"));
    assertThat(writer.publish(post)).isEqualTo(ok(post, false, "blocked: this event was deleted by its author (NIP-09)"));
  }

  @Test
  void theInformationDocumentDescribesTheRelayAndItsLimits() throws Exception {
    // Proves NIP-11: the node's settings, the supported NIPs and every published limitation.
    JsonNode document = NostrJson.read(harness.relayA.informationDocument());
    assertThat(document.get("name").textValue()).isEqualTo("veilraft test relay");
    assertThat(document.get("pubkey").textValue()).isEqualTo(NostrTestEvents.CAROL.pubkey());
    assertThat(document.get("contact").textValue()).isEqualTo("mailto:ops@example.org");
    assertThat(document.get("supported_nips").toString()).isEqualTo("[1,9,11,42]");
    assertThat(document.get("software").textValue()).startsWith("https://");
    assertThat(document.get("version").isTextual()).isTrue();
    JsonNode limitation = document.get("limitation");
    RelaySettings.Limits limits = RelaySettings.Limits.DEFAULTS;
    assertThat(limitation.get("max_message_length").intValue()).isEqualTo(limits.messageBytesMax());
    assertThat(limitation.get("max_subscriptions").intValue()).isEqualTo(limits.subscriptionsPerConnectionMax());
    assertThat(limitation.get("max_filters").intValue()).isEqualTo(limits.filtersPerReqMax());
    assertThat(limitation.get("max_limit").intValue()).isEqualTo(limits.limitMax());
    assertThat(limitation.get("max_subid_length").intValue()).isEqualTo(limits.subscriptionIdCharsMax());
    assertThat(limitation.get("max_event_tags").intValue()).isEqualTo(NostrLimits.eventTagsMax);
    assertThat(limitation.get("max_content_length").intValue()).isEqualTo(NostrLimits.contentCharsMax);
    assertThat(limitation.get("auth_required").booleanValue()).isFalse();
  }

  @Test
  void aFullFanOutQueueClosesLiveSubscriptionsInsteadOfDroppingEvents() throws Exception {
    // Proves overflowing the fan-out queue is never silent: every live subscription gets CLOSED "error:".
    harness.close();
    harness = new RelayHarness(dir.resolve("small"),
        RelaySettings.Limits.DEFAULTS.toBuilder().fanoutQueueMax(1).build());
    RelayHarness.Client reader = harness.connect(harness.relayB);
    reader.subscribe("feed", "{}");
    NostrEvent event = note(ALICE, NOW_SECONDS, "x");
    byte[] response = new RelayWire.PublishResult(true, event.id(), "", event.toJson()).encode();
    // Holding the connection's lock keeps the fan-out thread busy on the first event, so the third finds the queue full.
    synchronized (reader.connection()) {
      for (int i = 0; i < 3; i++) {
        harness.relayB.committed(i + 1, new byte[0], response);
      }
    }
    assertThat(reader.next(2)).containsExactly(event("feed", event),
        "[\"CLOSED\",\"feed\",\"error: the relay fell behind on live events; subscribe again with since\"]");
    assertThat(reader.connection().subscriptionCount()).isZero();
  }

  @Test
  void theNodeRefusesConnectionsPastItsBound() throws Exception {
    // Proves connectionsMax: the next connection is closed with 1013 at once, and a closed one frees its place.
    harness.close();
    harness = new RelayHarness(dir.resolve("few"), RelaySettings.Limits.DEFAULTS.toBuilder().connectionsMax(2).build());
    RelayHarness.Client first = harness.connect(harness.relayA);
    harness.connect(harness.relayA);
    RecordingSink refused = new RecordingSink();
    harness.relayA.open(refused);
    assertThat(refused.awaitClose()).isEqualTo("1013 try again later: this relay has its most connections (2)");
    first.connection().onClose();
    assertThat(harness.relayA.connectionCount()).isEqualTo(1);
    harness.connect(harness.relayA);
  }
}
