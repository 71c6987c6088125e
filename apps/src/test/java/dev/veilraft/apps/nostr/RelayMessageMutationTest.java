package dev.veilraft.apps.nostr;

import static dev.veilraft.apps.nostr.NostrTestEvents.ALICE;
import static dev.veilraft.apps.nostr.NostrTestEvents.BOB;
import static dev.veilraft.apps.nostr.NostrTestEvents.NOW_SECONDS;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The client message parser on seeded mutations of real messages (a fuzzing pass that runs in every
 * build): whatever arrives, {@link RelayMessageProperty} holds. A failure names the seed and round;
 * rerun with that seed to replay it.
 */
class RelayMessageMutationTest {
  static final long SEED = 0x6e6f737472L;
  static final int ROUNDS = 3_000;
  static final String[] TOKENS = {"\"", "\\", "[", "]", "{", "}", ",", ":", "1e999", "-1", "null", "true", "\u0000",
      "\ud800", "😀", "99999999999999999999999", "0.5", "\"#e\"", "\"kinds\"", "\"limit\"", "\"EVENT\"", "\"REQ\"",
      "\"AUTH\"", "\"CLOSE\"", "\"\"", "[[[[[[[", "\\u0000", "\\ud800"};

  /** Real messages of every type: the starting points of the mutations. */
  static List<String> seeds() {
    NostrEvent note = NostrTestEvents.sign(ALICE, NOW_SECONDS, 1, NostrTestEvents.tags(NostrTestEvents.tag("e",
        "0".repeat(64)), NostrTestEvents.tag("p", BOB.pubkey())), "hello \"world\"\n");
    NostrEvent auth = RelayHarness.authEvent(BOB, RelayHarness.URL_A, "challenge", NOW_SECONDS);
    return List.of("[\"EVENT\"," + note.toJson() + "]",
        "[\"REQ\",\"sub\",{\"kinds\":[1,4],\"authors\":[\"" + ALICE.pubkey() + "\"],\"limit\":10}]",
        "[\"REQ\",\"s2\",{\"#e\":[\"" + note.id() + "\"],\"since\":1,\"until\":2000000000},{\"ids\":[\"" + note.id()
            + "\"]}]",
        "[\"CLOSE\",\"sub\"]", "[\"AUTH\"," + auth.toJson() + "]", "[\"COUNT\",\"c\",{}]", "[]", "{}", "");
  }

  @Test
  void seedsAndTheirMutationsKeepTheParserContract() throws Exception {
    // Proves every seed message and ROUNDS seeded mutations of them are answered well-formed, without a throw or a close.
    Random random = new Random(SEED);
    List<String> seeds = seeds();
    try (RelayMessageProperty property = new RelayMessageProperty()) {
      for (String seed : seeds) {
        property.check(seed);
      }
      for (int round = 0; round < ROUNDS; round++) {
        String message = mutate(random, seeds.get(random.nextInt(seeds.size())));
        try {
          property.check(message);
        } catch (AssertionError e) {
          throw new AssertionError("seed " + SEED + " round " + round + ": " + e.getMessage(), e);
        }
      }
    }
  }

  static String mutate(Random random, String seed) {
    StringBuilder text = new StringBuilder(seed);
    for (int edits = 1 + random.nextInt(4); edits > 0; edits--) {
      int at = text.length() == 0 ? 0 : random.nextInt(text.length());
      switch (random.nextInt(5)) {
        case 0 -> text.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
        case 1 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(8)));
        case 2 -> {
          if (text.length() > 0) {
            text.setCharAt(at, (char) random.nextInt(0x80));
          }
        }
        case 3 -> text.insert(at, text.substring(at, Math.min(text.length(), at + random.nextInt(16))));
        default -> text.setLength(at);
      }
    }
    return text.toString();
  }

  /** The seeds as a list, for the Jazzer target's regression run. */
  static List<String> seedList() {
    return new ArrayList<>(seeds());
  }
}
