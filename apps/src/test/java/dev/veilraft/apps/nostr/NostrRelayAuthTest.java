package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.BOB;
import static dev.veilraft.apps.nostr.NostrTestEvents.CAROL;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.note;
import static dev.veilraft.apps.nostr.NostrTestEvents.sign;
import static dev.veilraft.apps.nostr.NostrTestEvents.tag;
import static dev.veilraft.apps.nostr.NostrTestEvents.tags;
import static dev.veilraft.apps.nostr.RelayHarness.URL_A;
import static dev.veilraft.apps.nostr.RelayHarness.authEvent;
import static dev.veilraft.apps.nostr.RelayHarness.eose;
import static dev.veilraft.apps.nostr.RelayHarness.event;
import static dev.veilraft.apps.nostr.RelayHarness.ok;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** NIP-42 on the front end: the AUTH checks, and DMs and gift wraps served only to their authenticated parties. */
class NostrRelayAuthTest {
  static final String AUTH_REQUIRED = "auth-required: kinds [4, 1059] are served only to their authenticated author "
      + "or p-tagged recipients (NIP-42)";

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
  void directMessagesNeedAuthAndThenReachOnlyTheirParties() throws Exception {
    // Proves the NIP-42 flow: CLOSED auth-required, AUTH, OK, then only the DMs the pubkey wrote or receives.
    RelayHarness.Client writer = harness.connect(harness.relayB);
    NostrEvent toBob = sign(ALICE, NOW_SECONDS - 3, 4, tags(tag("p", BOB.pubkey())), "ciphertext 1");
    NostrEvent fromBob = sign(BOB, NOW_SECONDS - 2, 4, tags(tag("p", ALICE.pubkey())), "ciphertext 2");
    NostrEvent aliceToCarol = sign(ALICE, NOW_SECONDS - 1, 4, tags(tag("p", CAROL.pubkey())), "ciphertext 3");
    for (NostrEvent dm : List.of(toBob, fromBob, aliceToCarol)) {
      assertThat(writer.publish(dm)).isEqualTo(ok(dm, true, ""));
    }

    RelayHarness.Client bob = harness.connect(harness.relayA);
    bob.send("[\"REQ\",\"dms\",{\"kinds\":[4]}]");
    assertThat(bob.next()).isEqualTo("[\"CLOSED\",\"dms\"," + NostrJson.quote(AUTH_REQUIRED) + "]");
    bob.authenticate(BOB, URL_A);
    assertThat(bob.subscribe("dms", "{\"kinds\":[4]}"))
        .containsExactly(event("dms", fromBob), event("dms", toBob), eose("dms"));
    assertThat(bob.connection().authenticatedPubkeys()).containsExactly(BOB.pubkey());
  }

  @Test
  void giftWrapsGoLiveOnlyToTheirAuthenticatedRecipient() throws Exception {
    // Proves live fan-out hides restricted kinds from everyone but the p-tagged, authenticated recipient.
    RelayHarness.Client anonymous = harness.connect(harness.relayA);
    RelayHarness.Client bob = harness.connect(harness.relayA);
    RelayHarness.Client alice = harness.connect(harness.relayB);
    bob.authenticate(BOB, URL_A);
    alice.authenticate(ALICE, RelayHarness.URL_B);
    for (RelayHarness.Client client : List.of(anonymous, bob, alice)) {
      assertThat(client.subscribe("all", "{}")).containsExactly(eose("all"));
    }
    RelayHarness.Client writer = harness.connect(harness.relayB);
    NostrEvent wrap = sign(CAROL, NOW_SECONDS, 1059, tags(tag("p", BOB.pubkey())), "sealed");
    NostrEvent note = note(CAROL, NOW_SECONDS, "public");
    writer.publish(wrap);
    writer.publish(note);

    assertThat(bob.next(2)).containsExactly(event("all", wrap), event("all", note));
    assertThat(anonymous.next()).isEqualTo(event("all", note));
    assertThat(alice.next()).isEqualTo(event("all", note));
    assertThat(anonymous.subscribe("again", "{}")).containsExactly(event("again", note), eose("again"));
  }

  @Test
  void badAuthEventsAreRefusedWithTheReason() throws Exception {
    // Proves each NIP-42 check: kind, challenge, relay, time window and signature; none authenticates.
    RelayHarness.Client client = harness.connect(harness.relayA);
    String challenge = client.challenge();
    NostrEvent wrongKind = sign(ALICE, NOW_SECONDS, 1, tags(tag("relay", URL_A), tag("challenge", challenge)), "");
    NostrEvent wrongChallenge = authEvent(ALICE, URL_A, "not-the-challenge", NOW_SECONDS);
    NostrEvent wrongRelay = authEvent(ALICE, "wss://elsewhere.example/nostr", challenge, NOW_SECONDS);
    NostrEvent wrongPort = authEvent(ALICE, "wss://node-a.example/nostr", challenge, NOW_SECONDS);
    NostrEvent stale = authEvent(ALICE, URL_A, challenge, NOW_SECONDS - 601);
    NostrEvent early = authEvent(ALICE, URL_A, challenge, NOW_SECONDS + 601);
    NostrEvent forged = NostrTestEvents.withBadSignature(authEvent(ALICE, URL_A, challenge, NOW_SECONDS));

    List<String[]> cases = List.of(
        new String[] {wrongKind.toJson(), ok(wrongKind, false, "invalid: an AUTH event must be of kind 22242, not 1")},
        new String[] {wrongChallenge.toJson(), ok(wrongChallenge, false,
            "invalid: the challenge tag does not match this connection's challenge")},
        new String[] {wrongRelay.toJson(), ok(wrongRelay, false, "invalid: the relay tag must name this relay, " + URL_A)},
        new String[] {wrongPort.toJson(), ok(wrongPort, false, "invalid: the relay tag must name this relay, " + URL_A)},
        new String[] {stale.toJson(), ok(stale, false, "invalid: created_at is more than 600 s from the relay's time "
            + NOW_SECONDS)},
        new String[] {early.toJson(), ok(early, false, "invalid: created_at is more than 600 s from the relay's time "
            + NOW_SECONDS)},
        new String[] {forged.toJson(), ok(forged, false, "invalid: signature does not verify for the event's pubkey")});
    for (String[] authCase : cases) {
      client.send("[\"AUTH\"," + authCase[0] + "]");
      assertThat(client.next()).isEqualTo(authCase[1]);
    }
    client.send("[\"AUTH\",\"" + challenge + "\"]");
    assertThat(client.next()).isEqualTo("[\"NOTICE\",\"invalid: AUTH message must be [\\\"AUTH\\\",<signed kind 22242 "
        + "event>]\"]");
    assertThat(client.connection().authenticatedPubkeys()).isEmpty();
    assertThat(harness.gateway.submits.get()).as("AUTH events never enter the log").isZero();
  }

  @Test
  void theRelayTagMatchesByHostAndPortIgnoringCaseAndPath() throws Exception {
    // Proves URL normalisation for the relay tag: host case, default ports and the path do not matter.
    RelayHarness.Client client = harness.connect(harness.relayA);
    NostrEvent variant = authEvent(ALICE, "wss://NODE-A.example:8443", client.challenge(), NOW_SECONDS);
    client.send("[\"AUTH\"," + variant.toJson() + "]");
    assertThat(client.next()).isEqualTo(ok(variant, true, ""));
    assertThat(RelaySettings.authority("wss://x.example/")).isEqualTo(RelaySettings.authority("https://X.example:443"));
    assertThat(RelaySettings.authority("ftp://x.example")).isNull();
  }

  @Test
  void oneConnectionAuthenticatesAtMostItsBoundOfPubkeys() throws Exception {
    // Proves authPubkeysPerConnectionMax: a further pubkey is refused "restricted:", an already known one is fine.
    harness.close();
    harness = new RelayHarness(dir.resolve("one"),
        RelaySettings.Limits.DEFAULTS.toBuilder().authPubkeysPerConnectionMax(1).build());
    RelayHarness.Client client = harness.connect(harness.relayA);
    client.authenticate(ALICE, URL_A);
    client.authenticate(ALICE, URL_A);
    NostrEvent bob = authEvent(BOB, URL_A, client.challenge(), NOW_SECONDS);
    client.send("[\"AUTH\"," + bob.toJson() + "]");
    assertThat(client.next()).isEqualTo(ok(bob, false, "restricted: this connection authenticated 1 pubkeys, the most it may"));
  }
}
