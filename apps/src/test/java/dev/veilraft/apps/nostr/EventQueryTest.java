package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrAppFixture.filter;
import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.BOB;
import static dev.veilraft.apps.nostr.NostrTestEvents.CAROL;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;
import static dev.veilraft.apps.nostr.NostrTestEvents.sign;
import static dev.veilraft.apps.nostr.NostrTestEvents.tag;
import static dev.veilraft.apps.nostr.NostrTestEvents.tags;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.proto.EventResult;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Queries answered from the indexes: every filter field, combinations, limits, order, restricted kinds. */
class EventQueryTest {
  @TempDir Path dir;
  NostrAppFixture app;
  final List<NostrEvent> stored = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    app = new NostrAppFixture(dir);
  }

  @AfterEach
  void close() {
    app.close();
  }

  NostrEvent put(NostrEvent event) throws Exception {
    RelayWire.PublishResult result = app.publish(event);
    assertThat(result.accepted()).as(result.message()).isTrue();
    stored.add(event);
    return event;
  }

  List<String> ids(String... filters) throws Exception {
    return app.ids(List.of(), java.util.Arrays.stream(filters).map(NostrAppFixture::filter).toArray(Filter[]::new));
  }

  /** What a query must answer, computed by brute force over every stored event (NIP-01 semantics). */
  List<String> expected(List<String> viewers, List<Filter> filters) {
    Set<String> out = new LinkedHashSet<>();
    for (Filter filter : filters) {
      int limit = filter.limit() == null ? NostrLimits.queryLimitMax : Math.min(filter.limit(), NostrLimits.queryLimitMax);
      stored.stream().filter(filter::matches).filter(e -> e.visibleTo(viewers))
          .sorted(Comparator.comparingLong(NostrEvent::createdAt).reversed().thenComparing(NostrEvent::id))
          .limit(limit).forEach(e -> out.add(e.id()));
    }
    return stored.stream().filter(e -> out.contains(e.id()))
        .sorted(Comparator.comparingLong(NostrEvent::createdAt).reversed().thenComparing(NostrEvent::id))
        .map(NostrEvent::id).toList();
  }

  @Test
  void eachFilterFieldSelectsWhatNip01Says() throws Exception {
    // Proves ids, authors, kinds, #e, #p, other single-letter tags, since and until each select exactly their matches.
    NostrEvent a1 = put(sign(ALICE, NOW_SECONDS - 50, 1, tags(tag("t", "java"), tag("p", BOB.pubkey())), "a1"));
    NostrEvent b1 = put(sign(BOB, NOW_SECONDS - 40, 1, tags(tag("e", a1.id()), tag("p", ALICE.pubkey())), "b1"));
    NostrEvent a7 = put(sign(ALICE, NOW_SECONDS - 30, 7, tags(tag("e", b1.id()), tag("T", "Up")), "+"));
    NostrEvent c1 = put(sign(CAROL, NOW_SECONDS - 20, 1, tags(tag("t", "nostr"), tag("t", "java")), "c1"));

    assertThat(ids("{}")).containsExactly(c1.id(), a7.id(), b1.id(), a1.id());
    assertThat(ids("{\"ids\":[\"" + a1.id() + "\",\"" + c1.id() + "\",\"" + "f".repeat(64) + "\"]}"))
        .containsExactly(c1.id(), a1.id());
    assertThat(ids("{\"authors\":[\"" + ALICE.pubkey() + "\"]}")).containsExactly(a7.id(), a1.id());
    assertThat(ids("{\"kinds\":[7]}")).containsExactly(a7.id());
    assertThat(ids("{\"#e\":[\"" + a1.id() + "\",\"" + b1.id() + "\"]}")).containsExactly(a7.id(), b1.id());
    assertThat(ids("{\"#p\":[\"" + ALICE.pubkey() + "\"]}")).containsExactly(b1.id());
    assertThat(ids("{\"#t\":[\"java\"]}")).containsExactly(c1.id(), a1.id());
    assertThat(ids("{\"#T\":[\"Up\"]}")).containsExactly(a7.id());
    assertThat(ids("{\"#t\":[\"JAVA\"]}")).isEmpty();
    assertThat(ids("{\"since\":" + (NOW_SECONDS - 40) + "}")).containsExactly(c1.id(), a7.id(), b1.id());
    assertThat(ids("{\"until\":" + (NOW_SECONDS - 40) + "}")).containsExactly(b1.id(), a1.id());
    assertThat(ids("{\"since\":" + (NOW_SECONDS - 40) + ",\"until\":" + (NOW_SECONDS - 30) + "}"))
        .containsExactly(a7.id(), b1.id());
    assertThat(ids("{\"since\":" + NOW_SECONDS + ",\"until\":" + (NOW_SECONDS - 100) + "}")).isEmpty();
  }

  @Test
  void conditionsCombineWithAndFiltersWithOr() throws Exception {
    // Proves conditions of one filter must all hold, and several filters return the union once, newest first.
    NostrEvent a1 = put(sign(ALICE, NOW_SECONDS - 50, 1, tags(tag("t", "x")), "a1"));
    NostrEvent a0 = put(sign(ALICE, NOW_SECONDS - 45, 0, tags(), "{}"));
    NostrEvent b1 = put(sign(BOB, NOW_SECONDS - 40, 1, tags(tag("t", "x"), tag("t", "y")), "b1"));
    NostrEvent b7 = put(sign(BOB, NOW_SECONDS - 30, 7, tags(tag("t", "y")), "b7"));
    String alice = ALICE.pubkey();
    String bob = BOB.pubkey();

    assertThat(ids("{\"authors\":[\"" + alice + "\"],\"kinds\":[1]}")).containsExactly(a1.id());
    assertThat(ids("{\"authors\":[\"" + alice + "\",\"" + bob + "\"],\"kinds\":[0,7]}")).containsExactly(b7.id(), a0.id());
    assertThat(ids("{\"#t\":[\"x\"],\"#y\":[]}")).isEmpty();
    assertThat(ids("{\"#t\":[\"x\"],\"authors\":[\"" + bob + "\"],\"kinds\":[1]}")).containsExactly(b1.id());
    assertThat(ids("{\"kinds\":[7]}", "{\"authors\":[\"" + alice + "\"]}", "{\"#t\":[\"y\"]}"))
        .containsExactly(b7.id(), b1.id(), a0.id(), a1.id());
    assertThat(ids("{\"ids\":[]}")).isEmpty();
    assertThat(ids("{\"authors\":[]}")).isEmpty();
    assertThat(ids("{\"kinds\":[]}", "{\"kinds\":[0]}")).containsExactly(a0.id());
  }

  @Test
  void limitsTakeTheNewestPerFilterAndTiesGoToTheLowestId() throws Exception {
    // Proves limit keeps the newest n of each filter, created_at ties are ordered by lowest id, and limit 0 returns nothing.
    List<NostrEvent> same = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      same.add(put(sign(ALICE, NOW_SECONDS - 10, 1, tags(), "tie " + i)));
    }
    NostrEvent newest = put(sign(BOB, NOW_SECONDS, 1, tags(), "newest"));
    List<String> tieOrder = same.stream().map(NostrEvent::id).sorted().toList();

    assertThat(ids("{\"limit\":3}")).containsExactly(newest.id(), tieOrder.get(0), tieOrder.get(1));
    assertThat(ids("{\"limit\":0}")).isEmpty();
    assertThat(ids("{\"limit\":1,\"authors\":[\"" + ALICE.pubkey() + "\"]}", "{\"limit\":1}"))
        .containsExactly(newest.id(), tieOrder.get(0));
    assertThat(ids("{\"limit\":99999999999}")).hasSize(7);
  }

  @Test
  void limitsAreClampedToTheQueryMaximum() throws Exception {
    // Proves a filter with no limit, or a larger one, returns at most queryLimitMax events, the newest.
    for (int i = 0; i < NostrLimits.queryLimitMax + 5; i++) {
      put(sign(ALICE, NOW_SECONDS - i, 1, tags(), "n" + i));
    }
    List<String> all = ids("{}");
    assertThat(all).hasSize(NostrLimits.queryLimitMax).first().isEqualTo(stored.get(0).id());
    assertThat(ids("{\"limit\":100000}")).isEqualTo(all);
    assertThat(ids("{\"until\":" + (NOW_SECONDS - NostrLimits.queryLimitMax) + "}")).hasSize(5);
  }

  @Test
  void restrictedKindsAreServedOnlyToTheirParties() throws Exception {
    // Proves DMs and gift wraps reach only a viewer who wrote them or is tagged p, and count toward no one else's limit.
    NostrEvent dm = put(sign(ALICE, NOW_SECONDS - 30, 4, tags(tag("p", BOB.pubkey())), "secret"));
    NostrEvent wrap = put(sign(CAROL, NOW_SECONDS - 20, 1059, tags(tag("p", ALICE.pubkey())), "wrapped"));
    NostrEvent note = put(sign(CAROL, NOW_SECONDS - 40, 1, tags(tag("p", BOB.pubkey())), "public"));
    Filter everything = filter("{}");

    assertThat(app.ids(List.of(), everything)).containsExactly(note.id());
    assertThat(app.ids(List.of(BOB.pubkey()), everything)).containsExactly(dm.id(), note.id());
    assertThat(app.ids(List.of(ALICE.pubkey()), everything)).containsExactly(wrap.id(), dm.id(), note.id());
    assertThat(app.ids(List.of(CAROL.pubkey()), filter("{\"kinds\":[4,1059]}"))).containsExactly(wrap.id());
    assertThat(app.ids(List.of(), filter("{\"ids\":[\"" + dm.id() + "\"]}"))).isEmpty();
    assertThat(app.ids(List.of(), filter("{\"limit\":1}"))).containsExactly(note.id());
  }

  @Test
  void indexedAnswersEqualBruteForceOnRandomData() throws Exception {
    // Proves, on seeded random events and filters, that index-driven answers equal a full scan with NIP-01 semantics.
    long seed = 20_261_121L;
    Random random = new Random(seed);
    List<NostrTestEvents.Key> keys = List.of(ALICE, BOB, CAROL);
    String[] topics = {"a", "b", "c", "d"};
    for (int i = 0; i < 150; i++) {
      NostrTestEvents.Key key = keys.get(random.nextInt(keys.size()));
      int kind = new int[] {1, 1, 1, 7, 4, 1059, 1000}[random.nextInt(7)];
      List<List<String>> eventTags = new ArrayList<>();
      for (int t = random.nextInt(3); t > 0; t--) {
        eventTags.add(tag("t", topics[random.nextInt(topics.length)]));
      }
      if (random.nextBoolean()) {
        eventTags.add(tag("p", keys.get(random.nextInt(keys.size())).pubkey()));
      }
      put(sign(key, NOW_SECONDS - random.nextInt(60), kind, eventTags, "r" + i));
    }
    for (int round = 0; round < 200; round++) {
      List<Filter> filters = new ArrayList<>();
      for (int f = 1 + random.nextInt(2); f > 0; f--) {
        filters.add(randomFilter(random, keys, topics));
      }
      List<String> viewers = random.nextBoolean() ? List.of() : List.of(keys.get(random.nextInt(3)).pubkey());
      assertThat(app.ids(viewers, filters.toArray(Filter[]::new)))
          .as("seed %d round %d filters %s viewers %s", seed, round,
              filters.stream().map(Filter::toJson).collect(Collectors.joining(",")), viewers)
          .isEqualTo(expected(viewers, filters));
    }
  }

  private static Filter randomFilter(Random random, List<NostrTestEvents.Key> keys, String[] topics) {
    StringBuilder json = new StringBuilder("{");
    if (random.nextInt(3) == 0) {
      json.append("\"authors\":[\"").append(keys.get(random.nextInt(3)).pubkey()).append("\"],");
    }
    if (random.nextInt(3) == 0) {
      json.append("\"kinds\":[").append(new int[] {1, 7, 4, 1059}[random.nextInt(4)]).append(random.nextBoolean()
          ? ",1000" : "").append("],");
    }
    if (random.nextInt(3) == 0) {
      json.append("\"#t\":[\"").append(topics[random.nextInt(4)]).append("\",\"").append(topics[random.nextInt(4)])
          .append("\"],");
    }
    if (random.nextInt(4) == 0) {
      json.append("\"#p\":[\"").append(keys.get(random.nextInt(3)).pubkey()).append("\"],");
    }
    if (random.nextInt(3) == 0) {
      json.append("\"since\":").append(NOW_SECONDS - random.nextInt(60)).append(',');
    }
    if (random.nextInt(3) == 0) {
      json.append("\"until\":").append(NOW_SECONDS - random.nextInt(60)).append(',');
    }
    if (random.nextInt(2) == 0) {
      json.append("\"limit\":").append(random.nextInt(20)).append(',');
    }
    if (json.length() > 1) {
      json.setLength(json.length() - 1);
    }
    return filter(json.append('}').toString());
  }

  @Test
  void anAnswerPastTheByteBoundIsCutAndSaysSo() throws Exception {
    // Proves queryResponseBytesMax cuts a large answer, newest first, and the answer names the bound it hit.
    String content = "x".repeat(120_000);
    for (int i = 0; i < 40; i++) {
      put(sign(ALICE, NOW_SECONDS - i, 1, tags(), content + i));
    }
    RelayWire.QueryResult result = app.result(List.of(), filter("{}"));
    assertThat(result.cut()).contains("the most one query returns");
    long bytes = result.events().stream().mapToLong(e -> e.json().length).sum();
    assertThat(bytes).isLessThanOrEqualTo(NostrLimits.queryResponseBytesMax);
    assertThat(result.events()).hasSizeBetween(30, 39);
    assertThat(result.events().get(0).id()).isEqualTo(stored.get(0).id());
  }

  @Test
  void malformedQueriesAreRefusedWithAReason() throws Exception {
    // Proves the query request format is checked: prefix byte, viewer count, filter JSON and filter count.
    List<byte[]> bad = List.of(new byte[0], new byte[] {RelayWire.PUBLISH, 0}, new byte[] {RelayWire.QUERY, 1, 0},
        new byte[] {RelayWire.QUERY, 0, '['}, new byte[] {RelayWire.QUERY, 0, '[', ']'},
        new byte[] {RelayWire.QUERY, 0, '[', '{', '"', 'x', '"', ':', '1', '}', ']'});
    for (byte[] request : bad) {
      EventResult result = NostrAppFixture.HOST.query(app.store, NostrRelayApp.NAME, request, true);
      assertThat(result.getStatus()).isEqualTo(EventResult.Status.REJECTED);
      assertThat(result.getError()).matches("^(invalid|unsupported): .*");
    }
  }
}
