package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrAppFixture.filter;
import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.BOB;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.note;
import static dev.veilraft.apps.nostr.NostrTestEvents.sign;
import static dev.veilraft.apps.nostr.NostrTestEvents.tag;
import static dev.veilraft.apps.nostr.NostrTestEvents.tags;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The replicated relay app applied through the AppHost on a real RocksDB store: validation, kinds, NIP-09. */
class NostrRelayAppTest {
  @TempDir Path dir;
  NostrAppFixture app;

  @BeforeEach
  void open() throws Exception {
    app = new NostrAppFixture(dir);
  }

  @AfterEach
  void close() {
    app.close();
  }

  List<String> all() throws Exception {
    return app.ids(List.of(), filter("{}"));
  }

  void accepted(NostrEvent event) throws Exception {
    RelayWire.PublishResult result = app.publish(event);
    assertThat(result.accepted()).as("refused: %s", result.message()).isTrue();
    assertThat(result.message()).isEmpty();
    assertThat(result.id()).isEqualTo(event.id());
  }

  String refused(NostrEvent event) throws Exception {
    List<StateRecord> before = app.records();
    RelayWire.PublishResult result = app.publish(event);
    assertThat(result.accepted()).isFalse();
    assertThat(result.eventJson()).as("a refused event is not broadcast").isNull();
    assertThat(app.records()).as("a refused event changes nothing").isEqualTo(before);
    return result.message();
  }

  @Test
  void aRegularEventIsStoredAndBroadcastInCanonicalForm() throws Exception {
    // Proves an accepted event is stored, answered OK true with an empty message and handed back for fan-out.
    NostrEvent event = note(ALICE, NOW_SECONDS, "hello");
    RelayWire.PublishResult result = app.publish(event);
    assertThat(result).isEqualTo(new RelayWire.PublishResult(true, event.id(), "", event.toJson()));
    assertThat(all()).containsExactly(event.id());
    assertThat(new String(app.result(List.of(), filter("{}")).events().get(0).json(), StandardCharsets.UTF_8))
        .isEqualTo(event.toJson());
  }

  @Test
  void aDuplicateIsAcceptedOnceAndAnsweredDuplicate() throws Exception {
    // Proves a second publish of a stored event answers OK true "duplicate:" without a second broadcast.
    NostrEvent event = note(ALICE, NOW_SECONDS, "once");
    accepted(event);
    List<StateRecord> before = app.records();
    RelayWire.PublishResult again = app.publish(event);
    assertThat(again.accepted()).isTrue();
    assertThat(again.message()).startsWith("duplicate:");
    assertThat(again.eventJson()).isNull();
    assertThat(app.records()).isEqualTo(before);
  }

  @Test
  void badIdsSignaturesAndAuthEventsAreRefusedInvalid() throws Exception {
    // Proves apply itself recomputes the id, verifies the signature and refuses NIP-42 auth events.
    NostrEvent event = note(ALICE, NOW_SECONDS, "signed");
    assertThat(refused(NostrTestEvents.withContent(event, "edited"))).isEqualTo(
        "invalid: event id does not match the hash of its serialized fields");
    assertThat(refused(NostrTestEvents.withBadSignature(event))).isEqualTo(
        "invalid: signature does not verify for the event's pubkey");
    assertThat(refused(sign(ALICE, NOW_SECONDS, EventKinds.CLIENT_AUTH, tags(tag("challenge", "x")), "")))
        .startsWith("invalid: kind 22242");
    assertThat(all()).isEmpty();
  }

  @Test
  void eventsTooFarAheadOfTheLeadersTimeAreRefused() throws Exception {
    // Proves created_at may be at most createdAtFutureSecondsMax past the entry's leader time, and not more.
    long limit = NOW_SECONDS + NostrLimits.createdAtFutureSecondsMax;
    assertThat(refused(note(ALICE, limit + 1, "too early"))).isEqualTo("invalid: created_at " + (limit + 1)
        + " is more than 900 s ahead of the relay's time " + NOW_SECONDS);
    accepted(note(ALICE, limit, "just in time"));
    accepted(note(ALICE, 0, "very old events are fine"));
  }

  @Test
  void malformedRequestsAreRefusedAndChangeNothing() throws Exception {
    // Proves requests that are not publishes, or whose event has no usable id, are refused outright with a reason.
    accepted(note(ALICE, NOW_SECONDS, "existing"));
    List<StateRecord> before = app.records();
    List<byte[]> requests = List.of(new byte[0], new byte[] {RelayWire.QUERY}, new byte[] {RelayWire.PUBLISH},
        RelayWire.publish("{\"id\":1}"), RelayWire.publish("not json"),
        new byte[] {RelayWire.PUBLISH, (byte) 0xC3, (byte) 0x28});
    for (byte[] request : requests) {
      EventResult result = app.apply(request);
      assertThat(result.getStatus()).isEqualTo(EventResult.Status.REJECTED);
      assertThat(result.getError()).startsWith("invalid: ");
    }
    NostrEvent good = note(ALICE, NOW_SECONDS, "shape");
    RelayWire.PublishResult withId = RelayWire.PublishResult.decode(app.apply(RelayWire.publish(
        good.toJson().replace("\"kind\":1", "\"kind\":-1"))).getResponse().toByteArray());
    assertThat(withId).isEqualTo(new RelayWire.PublishResult(false, good.id(), "invalid: event kind -1 is outside 0..65535",
        null));
    assertThat(app.records()).isEqualTo(before);
  }

  @Test
  void aReplaceableEventKeepsOnlyTheLatestPerPubkeyAndKind() throws Exception {
    // Proves kinds 0, 3 and 10000..19999 keep one event per pubkey+kind: newer replaces, older is refused.
    NostrEvent v1 = sign(ALICE, NOW_SECONDS - 100, 0, tags(), "{\"name\":\"a1\"}");
    NostrEvent v2 = sign(ALICE, NOW_SECONDS - 50, 0, tags(), "{\"name\":\"a2\"}");
    NostrEvent bobs = sign(BOB, NOW_SECONDS - 200, 0, tags(), "{\"name\":\"b\"}");
    NostrEvent list = sign(ALICE, NOW_SECONDS - 10, 10_002, tags(tag("r", "wss://x")), "");
    accepted(v1);
    accepted(bobs);
    accepted(v2);
    accepted(list);
    assertThat(all()).containsExactly(list.id(), v2.id(), bobs.id());
    assertThat(refused(v1)).startsWith("invalid: a newer version of this replaceable event is stored");
    assertThat(app.ids(List.of(), filter("{\"kinds\":[0],\"authors\":[\"" + ALICE.pubkey() + "\"]}")))
        .containsExactly(v2.id());
  }

  @Test
  void replaceableTiesKeepTheLowestId() throws Exception {
    // Proves two versions with the same created_at resolve to the lowest id, in whichever order they arrive.
    List<NostrEvent> same = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      same.add(sign(ALICE, NOW_SECONDS, 3, tags(tag("p", BOB.pubkey())), "version " + i));
    }
    same.sort((a, b) -> a.id().compareTo(b.id()));
    NostrEvent low = same.get(0);
    NostrEvent high = same.get(1);
    accepted(high);
    accepted(low);
    assertThat(all()).containsExactly(low.id());
    assertThat(refused(high)).startsWith("invalid: a newer version");
  }

  @Test
  void addressableEventsAreKeptPerDTag() throws Exception {
    // Proves kinds 30000..39999 keep the latest per pubkey+kind+d tag, a missing d tag being "".
    NostrEvent a1 = sign(ALICE, NOW_SECONDS - 30, 30_023, tags(tag("d", "post")), "draft");
    NostrEvent a2 = sign(ALICE, NOW_SECONDS - 20, 30_023, tags(tag("d", "post")), "final");
    NostrEvent other = sign(ALICE, NOW_SECONDS - 25, 30_023, tags(tag("d", "other")), "other");
    NostrEvent noD = sign(ALICE, NOW_SECONDS - 40, 30_023, tags(), "no d");
    NostrEvent emptyD = sign(ALICE, NOW_SECONDS - 35, 30_023, tags(tag("d", "")), "empty d");
    NostrEvent longD = sign(ALICE, NOW_SECONDS - 45, 30_023, tags(tag("d", "x".repeat(300))), "long d");
    for (NostrEvent event : List.of(a1, other, a2, noD, emptyD, longD)) {
      accepted(event);
    }
    assertThat(all()).containsExactly(a2.id(), other.id(), emptyD.id(), longD.id());
    assertThat(refused(a1)).startsWith("invalid: a newer version of this addressable event");
    assertThat(app.ids(List.of(), filter("{\"#d\":[\"post\"]}"))).containsExactly(a2.id());
  }

  @Test
  void ephemeralEventsAreBroadcastButNotStored() throws Exception {
    // Proves kinds 20000..29999 are accepted and handed back for fan-out every time, and never stored.
    NostrEvent event = sign(ALICE, NOW_SECONDS, 20_001, tags(), "typing");
    List<StateRecord> before = app.records();
    for (int i = 0; i < 2; i++) {
      RelayWire.PublishResult result = app.publish(event);
      assertThat(result).isEqualTo(new RelayWire.PublishResult(true, event.id(), "", event.toJson()));
    }
    assertThat(app.records()).isEqualTo(before);
    assertThat(all()).isEmpty();
  }

  @Test
  void aDeletionRemovesTheAuthorsOwnEventsOnlyAndIsStored() throws Exception {
    // Proves NIP-09 e references delete the author's events, leave others' alone, and block a re-publish.
    NostrEvent mine = note(ALICE, NOW_SECONDS - 10, "oops");
    NostrEvent theirs = note(BOB, NOW_SECONDS - 10, "bob's");
    NostrEvent kept = note(ALICE, NOW_SECONDS - 9, "keep");
    accepted(mine);
    accepted(theirs);
    accepted(kept);
    NostrEvent deletion = sign(ALICE, NOW_SECONDS, EventKinds.DELETION, tags(tag("e", mine.id()),
        tag("e", theirs.id()), tag("e", "not-hex"), tag("k", "1")), "mistake");
    accepted(deletion);
    assertThat(all()).containsExactly(deletion.id(), kept.id(), theirs.id());
    assertThat(refused(mine)).isEqualTo("blocked: this event was deleted by its author (NIP-09)");
    assertThat(app.ids(List.of(), filter("{\"#e\":[\"" + mine.id() + "\"]}"))).containsExactly(deletion.id());
    RelayWire.PublishResult again = app.publish(theirs);
    assertThat(again.message()).as("bob's event was not deleted by alice").startsWith("duplicate:");
  }

  @Test
  void aDeletionArrivingFirstBlocksTheEventLaterAndDeletionsCannotBeDeleted() throws Exception {
    // Proves a deletion of a not-yet-seen event refuses it later, and a deletion of a deletion has no effect.
    NostrEvent later = note(ALICE, NOW_SECONDS - 10, "not here yet");
    NostrEvent deletion = sign(ALICE, NOW_SECONDS - 5, EventKinds.DELETION, tags(tag("e", later.id())), "");
    accepted(deletion);
    assertThat(refused(later)).startsWith("blocked:");
    NostrEvent undelete = sign(ALICE, NOW_SECONDS, EventKinds.DELETION, tags(tag("e", deletion.id())), "");
    accepted(undelete);
    assertThat(all()).containsExactly(undelete.id(), deletion.id());
    NostrEvent bobTries = sign(BOB, NOW_SECONDS, EventKinds.DELETION, tags(tag("e", later.id())), "");
    accepted(bobTries);
    assertThat(refused(later)).as("still alice's own deletion").startsWith("blocked:");
  }

  @Test
  void anAddressDeletionRemovesVersionsUpToItsTime() throws Exception {
    // Proves NIP-09 a references delete every version up to the deletion's created_at, and no later one.
    NostrEvent v1 = sign(ALICE, NOW_SECONDS - 30, 30_000, tags(tag("d", "list")), "v1");
    NostrEvent profile = sign(ALICE, NOW_SECONDS - 30, 0, tags(), "{}");
    accepted(v1);
    accepted(profile);
    NostrEvent deletion = sign(ALICE, NOW_SECONDS - 20, EventKinds.DELETION, tags(
        tag("a", "30000:" + ALICE.pubkey() + ":list"), tag("a", "0:" + ALICE.pubkey() + ":"),
        tag("a", "30000:" + BOB.pubkey() + ":list"), tag("a", "garbage"), tag("a", "99999:" + ALICE.pubkey() + ":x")), "");
    accepted(deletion);
    assertThat(all()).containsExactly(deletion.id());
    assertThat(refused(sign(ALICE, NOW_SECONDS - 25, 30_000, tags(tag("d", "list")), "v-older")))
        .startsWith("blocked: its author deleted this address");
    assertThat(refused(sign(ALICE, NOW_SECONDS - 20, 0, tags(), "{\"same time\":1}"))).startsWith("blocked:");
    NostrEvent v2 = sign(ALICE, NOW_SECONDS - 10, 30_000, tags(tag("d", "list")), "v2");
    accepted(v2);
    accepted(sign(ALICE, NOW_SECONDS - 25, 30_000, tags(tag("d", "other")), "another address"));
    assertThat(all()).hasSize(3).contains(v2.id());
  }

  @Test
  void aDeletionWithTooManyReferencesIsRefusedWhole() throws Exception {
    // Proves deletionTargetsMax bounds one deletion's work, and a refused deletion deletes nothing.
    NostrEvent target = note(ALICE, NOW_SECONDS - 10, "target");
    accepted(target);
    List<List<String>> references = new ArrayList<>();
    references.add(tag("e", target.id()));
    for (int i = 0; i < NostrLimits.deletionTargetsMax; i++) {
      references.add(tag("e", String.format("%064x", i)));
    }
    assertThat(refused(sign(ALICE, NOW_SECONDS, EventKinds.DELETION, references, "")))
        .isEqualTo("invalid: a deletion request may reference at most 256 events, this one references 257");
    assertThat(all()).containsExactly(target.id());
  }

  @Test
  void theSameRequestsOnTwoFreshStoresGiveIdenticalAnswersAndState() throws Exception {
    // Proves apply is deterministic: two replicas applying the same log answer byte for byte alike and hold the same records.
    List<byte[]> log = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      log.add(RelayWire.publish(sign(i % 2 == 0 ? ALICE : BOB, NOW_SECONDS - 100 + i, i % 5 == 0 ? 0 : 1,
          tags(tag("t", "tag" + (i % 3))), "event " + i).toJson()));
    }
    log.add(RelayWire.publish(sign(ALICE, NOW_SECONDS, 5, tags(tag("e", "0".repeat(64))), "").toJson()));
    log.add(log.get(3));
    log.add(RelayWire.publish("{broken"));
    List<List<String>> answers = new ArrayList<>();
    List<List<StateRecord>> states = new ArrayList<>();
    for (String replica : List.of("one", "two")) {
      try (NostrAppFixture fresh = new NostrAppFixture(dir.resolve(replica))) {
        List<String> replicaAnswers = new ArrayList<>();
        for (byte[] request : log) {
          replicaAnswers.add(fresh.apply(request).toString());
        }
        answers.add(replicaAnswers);
        states.add(fresh.records());
      }
    }
    assertThat(answers.get(1)).isEqualTo(answers.get(0));
    assertThat(states.get(1)).isEqualTo(states.get(0)).isNotEmpty();
  }

  @Test
  void viewersNamedByAnOutsiderQueryDoNotUnlockDirectMessages() throws Exception {
    // Proves the NIP-42 restriction holds against queries sealed by anyone but a member's front end (POST
    // /v1/queries): the viewers such a query names do not count, so Bob's DM is served only to Bob's front end.
    NostrEvent dm = sign(ALICE, NOW_SECONDS - 5, 4, tags(tag("p", BOB.pubkey())), "ciphertext for bob");
    accepted(dm);
    List<Filter> dms = List.of(filter("{\"kinds\":[4]}"));
    assertThat(RelayWire.QueryResult.decode(app.queryAsOutsider(List.of(BOB.pubkey()), dms).getResponse().toByteArray())
        .events()).isEmpty();
    assertThat(RelayWire.QueryResult.decode(app.query(List.of(BOB.pubkey()), dms).getResponse().toByteArray())
        .events()).extracting(RelayWire.StoredEvent::id).containsExactly(dm.id());
  }
}
