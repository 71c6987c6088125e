package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.sign;
import static dev.veilraft.apps.nostr.NostrTestEvents.tag;
import static dev.veilraft.apps.nostr.NostrTestEvents.tags;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The event model: NIP-01 id serialization, canonical JSON, shape and bound checks, BIP-340 verification. */
class NostrEventTest {
  /** From nostr-protocol/nips 13.md ("Example mined note"): a real event signed by another implementation. */
  static final String NIP13_EXAMPLE = "{\"id\":\"000006d8c378af1779d2feebc7603a125d99eca0ccf1085959b307f64e5dd358\","
      + "\"pubkey\":\"a48380f4cfcc1ad5378294fcac36439770f9c878dd880ffa94bb74ea54a6f243\",\"created_at\":1651794653,"
      + "\"kind\":1,\"tags\":[[\"nonce\",\"776797\",\"20\"]],\"content\":\"It's just me mining my own business\","
      + "\"sig\":\"284622fc0a3f4f1303455d5175f7ba962a3300d136085b9566801bc2e0699de0c7e31e44c81fb40ad9049173742e904713c3"
      + "594a1da0fc5d2382a25c11aba977\"}";
  /** From nostr-protocol/nips 48.md (ActivityPub proxy example), fields in the document's own order. */
  static final String NIP48_EXAMPLE = "{\"kind\":1,\"content\":\"I'm vegan btw\",\"tags\":[[\"proxy\","
      + "\"https://gleasonator.com/objects/8f6fac53-4f66-4c6e-ac7d-92e5e78c3e79\",\"activitypub\"]],"
      + "\"pubkey\":\"79c2cae114ea28a981e7559b4fe7854a473521a8d22a66bbab9fa248eb820ff6\",\"created_at\":1691091365,"
      + "\"id\":\"55920b758b9c7b17854b6e3d44e6a02a83d1cb49e1227e75a30426dea94d4cb2\",\"sig\":\"a72f12c08f18e85d98fb92a"
      + "e89e2fe63e48b8864c5e10fbdd5335f3c9f936397a6b0a7350efe251f8168b1601d7012d4a6d0ee6eec958067cf22a14f5a5ea579\"}";
  /** From nostr-protocol/nips 59.md (the kind 13 seal example): base64 content with '/' and '+'. */
  static final String NIP59_SEAL_EXAMPLE = "{\"content\":\"AqBCdwoS7/tPK+QGkPCadJTn8FxGkd24iApo3BR9/M0uw6n4RFAFSPAKKM"
      + "gkzVMoRyR3ZS/aqATDFvoZJOkE9cPG/TAzmyZvr/WUIS8kLmuI1dCA+itFF6+ULZqbkWS0YcVU0j6UDvMBvVlGTzHz+UHzWYJLUq2LnlynJtFap5"
      + "k8560+tBGtxi9Gx2NIycKgbOUv0gEqhfVzAwvg1IhTltfSwOeZXvDvd40rozONRxwq8hjKy+4DbfrO0iRtlT7G/eVEO9aJJnqagomFSkqCsct"
      + "tf/o6VeT2+A9JhcSxLmjcKFG3FEK3Try/WkarJa1jM3lMRQqVOZrzHAaLFW/5sXano6DqqC5ERD6CcVVsrny0tYN4iHHB8BHJ9zvjff0NjLGG/"
      + "v5Wsy31+BwZA8cUlfAZ0f5EYRo9/vKSd8TV0wRb9DQ=\",\"kind\":13,\"created_at\":1703015180,"
      + "\"pubkey\":\"611df01bfcf85c26ae65453b772d8f1dfd25c264621c0277e1fc1518686faef9\",\"tags\":[],"
      + "\"id\":\"28a87d7c074d94a58e9e89bb3e9e4e813e2189f285d797b1c56069d36f59eaa7\",\"sig\":\"02fc3facf6621196c32912b"
      + "1ef53bac8f8bfe9db51c0e7102c073103586b0d29c3f39bdaa1e62856c20e90b6c7cc5dc34ca8bb6a528872cf6e65e6284519ad73\"}";

  static NostrEvent parse(String json) throws Exception {
    return NostrEvent.fromJson(NostrJson.read(json));
  }

  static String invalid(String json) {
    try {
      NostrEvent.fromJson(NostrJson.read(json));
    } catch (NostrEvent.InvalidEventException e) {
      return (e.id() == null ? "no id: " : "id: ") + e.getMessage();
    } catch (NostrJson.NostrJsonException e) {
      return "json: " + e.getMessage();
    }
    throw new AssertionError("accepted: " + json);
  }

  @Test
  void eventsSignedElsewhereVerify() throws Exception {
    // Proves id hashing and BIP-340 verification agree with events published in the NIPs by other implementations.
    for (String example : List.of(NIP13_EXAMPLE, NIP48_EXAMPLE, NIP59_SEAL_EXAMPLE)) {
      NostrEvent event = parse(example);
      assertThat(event.computeId()).isEqualTo(event.id());
      assertThat(event.verify()).isNull();
    }
    assertThat(parse(NIP13_EXAMPLE).toJson()).as("canonical JSON of an event already in NIP-01 order")
        .isEqualTo(NIP13_EXAMPLE);
  }

  @Test
  void theIdPreimageEscapesExactlyAsJsonStringify() throws Exception {
    // Proves the NIP-01 serialization escapes the seven named characters, writes other C0 controls and lone
    // surrogates as lowercase \\u escapes (JSON.stringify), and leaves DEL, U+2028, non-BMP emoji and non-ASCII verbatim.
    String content = "q\"b\\n\nr\rt\tb\bf\fz\u0000o\u001fd\u007fl\u2028e😀s\ud800x\udc00y é";
    NostrEvent event = sign(ALICE, 1_700_000_000L, 1, tags(tag("t", "a\"b"), tag("x")), content);

    String expected = "[0,\"" + ALICE.pubkey() + "\",1700000000,1,[[\"t\",\"a\\\"b\"],[\"x\"]],"
        + "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\fz\\u0000o\\u001fd\u007fl\u2028e😀s\\ud800x\\udc00y é\"]";
    assertThat(new String(event.idPreimage(), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(event.id()).isEqualTo(NostrJson.hex(Hashes.sha256(expected.getBytes(StandardCharsets.UTF_8))));
    assertThat(event.verify()).isNull();

    NostrEvent reparsed = parse(event.toJson());
    assertThat(reparsed).isEqualTo(event);
    assertThat(reparsed.content()).isEqualTo(content);
    assertThat(reparsed.verify()).isNull();
  }

  @Test
  void quotingHandlesSurrogatePairsAtTheEdges() {
    // Proves a pair split across the end of the string, and a low surrogate first, are escaped, and a pair is kept.
    assertThat(NostrJson.quote("\ud83d")).isEqualTo("\"\\ud83d\"");
    assertThat(NostrJson.quote("\ude00\ud83d\ude00")).isEqualTo("\"\\ude00😀\"");
    assertThat(NostrJson.quote("")).isEqualTo("\"\"");
  }

  @Test
  void canonicalJsonPutsTheSevenFieldsInOrderAndDropsOthers() throws Exception {
    // Proves unknown fields are dropped and the canonical form starts with the id (nostr-tools reads it by position).
    NostrEvent event = sign(ALICE, NOW_SECONDS, 1, tags(), "hi");
    String withExtra = event.toJson().replace("{\"id\"", "{\"extra\":[1,2],\"id\"");
    NostrEvent parsed = parse(withExtra);
    assertThat(parsed.toJson()).isEqualTo(event.toJson()).startsWith("{\"id\":\"" + event.id() + "\",\"pubkey\"");
  }

  @Test
  void tamperedEventsDoNotVerify() {
    // Proves a changed field breaks the id, and a changed signature fails BIP-340 verification.
    NostrEvent event = sign(ALICE, NOW_SECONDS, 1, tags(), "original");
    assertThat(NostrTestEvents.withContent(event, "changed").verify()).contains("id does not match");
    assertThat(NostrTestEvents.withBadSignature(event).verify()).contains("signature does not verify");
    NostrEvent otherKey = new NostrEvent(event.id(), NostrTestEvents.BOB.pubkey(), event.createdAt(), event.kind(),
        event.tags(), event.content(), event.sig());
    assertThat(otherKey.verify()).contains("id does not match");
  }

  @Test
  void malformedEventsAreRefusedWithTheirIdWhenTheyHaveOne() {
    // Proves each shape and type rule is checked with a specific reason, carrying the id when it is well-formed.
    String good = sign(ALICE, NOW_SECONDS, 1, tags(tag("e", "x")), "c").toJson();
    assertThat(invalid("[1]")).isEqualTo("no id: event is not a JSON object");
    assertThat(invalid(good.replaceFirst("\"id\":\"[0-9a-f]+\"", "\"id\":\"ABC\""))).startsWith("no id:");
    assertThat(invalid(good.replaceFirst("\"id\":\"[0-9a-f]+\",", ""))).isEqualTo("no id: event has no 'id' field");
    assertThat(invalid(good.replace(",\"content\":\"c\"", ""))).isEqualTo("id: event has no 'content' field");
    assertThat(invalid(good.replace("\"pubkey\":\"" + ALICE.pubkey(), "\"pubkey\":\"" + ALICE.pubkey().toUpperCase())))
        .isEqualTo("id: event pubkey is not 64 lowercase hex characters");
    assertThat(invalid(good.replace("\"sig\":\"", "\"sig\":\"00"))).contains("sig is not 128 lowercase hex");
    assertThat(invalid(good.replace("\"created_at\":" + NOW_SECONDS, "\"created_at\":1.5"))).contains("created_at is not an integer");
    assertThat(invalid(good.replace("\"created_at\":" + NOW_SECONDS, "\"created_at\":-1"))).contains("created_at -1 is outside");
    assertThat(invalid(good.replace("\"created_at\":" + NOW_SECONDS, "\"created_at\":\"1\""))).contains("not an integer");
    assertThat(invalid(good.replace("\"created_at\":" + NOW_SECONDS, "\"created_at\":9007199254740992")))
        .contains("outside 0..9007199254740991");
    assertThat(invalid(good.replace("\"kind\":1", "\"kind\":65536"))).contains("kind 65536 is outside 0..65535");
    assertThat(invalid(good.replace("\"kind\":1", "\"kind\":null"))).contains("kind is not an integer");
    assertThat(invalid(good.replace("[[\"e\",\"x\"]]", "{}"))).contains("tags is not an array");
    assertThat(invalid(good.replace("[[\"e\",\"x\"]]", "[[]]"))).contains("tag 0 is not a non-empty array");
    assertThat(invalid(good.replace("[[\"e\",\"x\"]]", "[\"e\"]"))).contains("tag 0 is not a non-empty array");
    assertThat(invalid(good.replace("[[\"e\",\"x\"]]", "[[\"e\",1]]"))).contains("tag 0 holds a number, not a string");
    assertThat(invalid(good.replace("[[\"e\",\"x\"]]", "[[\"e\",null]]"))).contains("tag 0 holds a null");
    assertThat(invalid(good.replace("\"content\":\"c\"", "\"content\":7"))).contains("content is not a string");
    assertThat(invalid(good.replace("\"kind\":1", "\"kind\":1,\"kind\":2"))).startsWith("json: ").contains("Duplicate");
    assertThat(invalid(good + " []")).startsWith("json: ");
    assertThat(invalid(good.replace("\"kind\":1", "\"kind\":123456789012345678901234567890123"))).startsWith("json: ");
  }

  @Test
  void boundsOnTagsContentAndSizeAreEnforced() {
    // Proves max_event_tags, the per-tag bound, max_content_length and the event byte bound refuse with their names.
    List<List<String>> many = new ArrayList<>();
    for (int i = 0; i <= NostrLimits.eventTagsMax; i++) {
      many.add(tag("t", "v"));
    }
    assertThat(invalid(sign(ALICE, NOW_SECONDS, 1, many, "").toJson())).contains("max_event_tags 2500");
    String[] wide = new String[NostrLimits.tagElementsMax + 1];
    java.util.Arrays.fill(wide, "x");
    assertThat(invalid(sign(ALICE, NOW_SECONDS, 1, tags(tag(wide)), "").toJson())).contains("over 64");
    String longContent = "x".repeat(NostrLimits.contentCharsMax + 1);
    assertThat(invalid(sign(ALICE, NOW_SECONDS, 1, tags(), longContent).toJson())).contains("max_content_length");
    List<List<String>> big = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      big.add(tag("t", "y".repeat(2_000)));
    }
    assertThat(invalid(sign(ALICE, NOW_SECONDS, 1, big, "z".repeat(100_000)).toJson()))
        .contains("bytes of JSON, over the relay's " + NostrLimits.eventBytesMax);
  }

  @Test
  void kindsFallInTheirNip01Ranges() {
    // Proves the retention of each NIP-01 kind range, including the edges and kinds outside the named ranges.
    assertThat(List.of(0, 3, 10_000, 19_999)).allMatch(k -> EventKinds.retention(k) == EventKinds.Retention.REPLACEABLE);
    assertThat(List.of(1, 2, 4, 44, 45, 999, 1000, 9999, 40_000, 65_535))
        .allMatch(k -> EventKinds.retention(k) == EventKinds.Retention.REGULAR);
    assertThat(List.of(20_000, 29_999)).allMatch(k -> EventKinds.retention(k) == EventKinds.Retention.EPHEMERAL);
    assertThat(List.of(30_000, 39_999)).allMatch(k -> EventKinds.retention(k) == EventKinds.Retention.ADDRESSABLE);
  }

  @Test
  void indexedTagsAreSingleLetterFirstValuesWithoutRepeats() {
    // Proves only single-letter names with a value are indexed, once each, in event order.
    NostrEvent event = sign(ALICE, NOW_SECONDS, 1, tags(tag("e", "1"), tag("e", "1", "relay"), tag("ee", "2"),
        tag("p"), tag("T", "3"), tag("1", "4"), tag("e", "5")), "");
    assertThat(event.indexedTags()).containsExactly(java.util.Map.entry('e', "1"), java.util.Map.entry('T', "3"),
        java.util.Map.entry('e', "5"));
  }

  @Test
  void theJsonReaderRefusesDeepNesting() {
    // Proves nesting past nestingDepthMax is refused as malformed JSON, not parsed.
    assertThatThrownBy(() -> NostrJson.read("[[[[[[[[1]]]]]]]]")).isInstanceOf(NostrJson.NostrJsonException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> NostrJson.read("")).isInstanceOf(NostrJson.NostrJsonException.class);
  }
}
