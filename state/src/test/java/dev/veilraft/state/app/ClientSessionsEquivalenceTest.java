package dev.veilraft.state.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.proto.ClientSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Proves that {@link ClientSessions} (point lookups for short acknowledgements, one expiry scan per
 * entry) decides and writes exactly what the scanning algorithm it replaced ({@link
 * ScanningClientSessions}) does: over a seeded random run of pipelined requests, retries, stale
 * and invalid numbers, long acknowledgement jumps, the pending limit and idle expiry (more idle
 * sessions than one entry expires), several requests per entry, results small enough for the
 * session record, too large for it and arriving when it is full, both give equal decisions and,
 * after every entry, byte-identical stores (so equal state digests). Replay a failure with its seed.
 */
class ClientSessionsEquivalenceTest {
  private static final int CLIENTS = 12;
  private static final int ENTRIES = 300;
  private static final int EVENTS_PER_ENTRY_MAX = 6;

  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 20261121, 20261122})
  void decisionsAndStoresMatchTheScanningAlgorithm(long seed) throws Exception {
    Random random = new Random(seed);
    // With even seeds, 24 to 28 pending results, most of them near INLINE_RESULT_BYTES_MAX, fill a
    // session record (SESSION_BYTES_MAX), so later ones that would fit a record are kept alone.
    boolean fillRecords = seed % 2 == 0;
    int pendingMax = fillRecords ? 24 + random.nextInt(5) : 1 + random.nextInt(8);
    byte[] secret = Hashes.sha256(Hashes.utf8("equivalence"));
    try (Stores stores = new Stores(RocksDbStateStore.open(dir.resolve("new-" + seed), secret),
        RocksDbStateStore.open(dir.resolve("old-" + seed), secret))) {
      List<byte[]> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        byte[] id = new byte[c == 0 ? 8 : 16 + random.nextInt(17)];
        random.nextBytes(id);
        clients.add(id);
      }
      long[] sent = new long[CLIENTS];
      long[] acked = new long[CLIENTS];
      long leaderTime = 1_000_000;
      TreeMap<String, Integer> seen = new TreeMap<>();
      for (long index = 1; index <= (fillRecords ? 2 * ENTRIES : ENTRIES); index++) {
        // Idle gaps expire sessions; with fillRecords rarely, so results can pile up in between.
        leaderTime += random.nextInt(fillRecords ? 100 : 20) == 0 ? ClientSessions.SESSION_IDLE_MS_MAX + random.nextInt(1000)
            : random.nextInt(500);
        StateTransaction fresh = stores.fresh().begin();
        StateTransaction old = stores.old().begin();
        int events = 1 + random.nextInt(EVENTS_PER_ENTRY_MAX);
        for (int e = 0; e < events; e++) {
          int c = random.nextInt(CLIENTS);
          long sequence;
          long acknowledged;
          // With fillRecords, clients 1 and 2 mostly do not acknowledge, so their results pile up.
          boolean holdsBack = fillRecords && (c == 1 || c == 2) && random.nextInt(20) > 0;
          int kind = holdsBack ? random.nextInt(4) : random.nextInt(20);
          if (kind < 4) { // a new request of a client that stopped acknowledging: pending grows to the limit
            sequence = ++sent[c];
            acknowledged = acked[c];
          } else if (kind < 13) { // a new request, pipelined: acknowledges all but a few before it, or jumps
            sequence = ++sent[c];
            long window = random.nextInt(4) == 0 ? random.nextInt(80) : random.nextInt(6);
            acknowledged = Math.max(acked[c], Math.max(0, sequence - window));
          } else if (kind < 17) { // a retry of an earlier request
            sequence = 1 + (sent[c] == 0 ? 0 : (long) random.nextInt((int) Math.min(sent[c], 200)));
            acknowledged = Math.min(sequence, acked[c]);
          } else if (kind < 19) { // a stale acknowledgement
            sequence = ++sent[c];
            acknowledged = acked[c] == 0 ? 0 : random.nextInt((int) Math.min(acked[c], 1_000));
          } else { // invalid numbers
            sequence = random.nextBoolean() ? 0 : ++sent[c];
            acknowledged = sequence + 1 + random.nextInt(3);
          }
          acked[c] = Math.max(acked[c], Math.min(acknowledged, sequence));
          String step = "seed " + seed + " entry " + index + " event " + e + " client " + c + " sequence " + sequence
              + " acknowledged " + acknowledged;
          Coverage coverage = Coverage.before(old, clients.get(c), sequence, acknowledged, leaderTime);
          ClientSessions.Decision got = ClientSessions.admit(fresh, clients.get(c), sequence, acknowledged, leaderTime,
              pendingMax);
          ClientSessions.Decision want = ScanningClientSessions.admit(old, clients.get(c), sequence, acknowledged,
              leaderTime, pendingMax);
          assertThat(got).as(step).isEqualTo(want);
          seen.merge(kind(got), 1, Integer::sum);
          coverage.count(got, seen);
          if (got instanceof ClientSessions.Apply apply) {
            EventResult result = EventResult.newBuilder().setStatus(EventResult.Status.OK)
                .setResponse(ByteString.copyFrom(response(random, step, fillRecords))).build();
            ClientSessions.record(fresh, clients.get(c), sequence, apply, result, leaderTime);
            ScanningClientSessions.record(old, clients.get(c), sequence, (ClientSessions.Apply) want, result,
                leaderTime);
          }
        }
        long sessionsBefore = sessions(stores.old());
        fresh.commit(index);
        old.commit(index);
        assertThat(records(stores.fresh())).as("stores after entry " + index + " (seed " + seed + ")")
            .isEqualTo(records(stores.old()));
        if (sessions(stores.old()) < sessionsBefore) {
          seen.merge("expired", 1, Integer::sum);
        }
        countResultLayouts(records(stores.fresh()), seen);
      }
      assertThat(seen).as("the run met every kind of decision and expiry (seed " + seed + ")")
          .containsKeys("apply", "replay", "refuse PENDING_LIMIT", "refuse acknowledged", "refuse numbers",
              "refuse client id", "expired", "result in session record", "large result alone");
      if (fillRecords) {
        assertThat(seen).as("records filled up, and what is kept alone was replayed and forgotten (seed " + seed
            + ")").containsKeys("small result alone", "replay kept alone", "replay in the record",
            "acknowledgement forgets results kept alone by lookups",
            "acknowledgement forgets results kept alone by a scan");
      }
    }
  }

  /**
   * Short responses, responses near the most a session record takes and larger ones; mostly short
   * ones, or with {@code fillRecords} mostly those near the most.
   */
  private static byte[] response(Random random, String step, boolean fillRecords) {
    byte[] text = Hashes.utf8(step);
    int kind = random.nextInt(10);
    int shortUpTo = fillRecords ? 1 : 6;
    int inlineMax = ClientSessions.INLINE_RESULT_BYTES_MAX;
    int size = kind < shortUpTo ? Math.min(text.length, inlineMax / 2)
        : kind < 9 ? inlineMax - 40 + random.nextInt(36) : inlineMax + random.nextInt(1_000);
    return Arrays.copyOf(text, size);
  }

  private static void countResultLayouts(TreeMap<String, String> records, TreeMap<String, Integer> seen)
      throws Exception {
    HexFormat hex = HexFormat.of();
    for (var record : records.entrySet()) {
      byte[] value = hex.parseHex(record.getValue());
      if (record.getKey().startsWith(ClientSessions.SESSIONS + " ")
          && ClientSession.parseFrom(value).getResultsCount() > 0) {
        seen.merge("result in session record", 1, Integer::sum);
      } else if (record.getKey().startsWith(ClientSessions.RESULTS + " ")) {
        seen.merge(value.length > ClientSessions.INLINE_RESULT_BYTES_MAX ? "large result alone"
            : "small result alone", 1, Integer::sum);
      }
    }
  }

  /**
   * Where the reference's transaction (which writes through, so it shows the entry's own changes)
   * keeps what an event will meet: whether its result is kept alone, and whether its
   * acknowledgement passes results kept alone, and how far it moves. Counts which paths ran.
   */
  private record Coverage(boolean replayAlone, long acknowledgementMove, boolean passesKeptAlone) {
    static Coverage before(StateTransaction reference, byte[] clientId, long sequence, long acknowledged,
        long leaderTime) throws Exception {
      Optional<byte[]> stored = reference.get(ClientSessions.SESSIONS, clientId);
      ClientSession prior = stored.isEmpty() ? ClientSession.getDefaultInstance() : ClientSession.parseFrom(stored.get());
      boolean expires = prior.getLastMs() != 0
          && ClientSessions.expiryStep(prior.getLastMs()) < leaderTime - ClientSessions.SESSION_IDLE_MS_MAX;
      boolean alone = sequence > 0 && reference.get(ClientSessions.RESULTS, ClientSessions.resultKey(clientId, sequence))
          .isPresent();
      long move = acknowledged - prior.getAcknowledged();
      boolean passes = !expires && move > 0 && acknowledged <= sequence && !reference.scan(ClientSessions.RESULTS,
          ClientSessions.resultKey(clientId, prior.getAcknowledged()), ClientSessions.resultKey(clientId, acknowledged),
          1).isEmpty();
      return new Coverage(alone, move, passes);
    }

    void count(ClientSessions.Decision decision, TreeMap<String, Integer> seen) {
      if (decision instanceof ClientSessions.Replay) {
        seen.merge(replayAlone ? "replay kept alone" : "replay in the record", 1, Integer::sum);
      }
      if (passesKeptAlone && !(decision instanceof ClientSessions.Refuse refuse && refuse.reason().startsWith("client id"))) {
        seen.merge("acknowledgement forgets results kept alone by " + (acknowledgementMove
            <= ClientSessions.FORGET_LOOKUPS_MAX ? "lookups" : "a scan"), 1, Integer::sum);
      }
    }
  }

  private static String kind(ClientSessions.Decision decision) {
    if (decision instanceof ClientSessions.Apply) {
      return "apply";
    }
    if (decision instanceof ClientSessions.Replay) {
      return "replay";
    }
    String reason = ((ClientSessions.Refuse) decision).reason();
    return reason.startsWith("PENDING_LIMIT") ? "refuse PENDING_LIMIT"
        : reason.contains("acknowledged already") ? "refuse acknowledged"
        : reason.startsWith("client id") ? "refuse client id" : "refuse numbers";
  }

  private static long sessions(RocksDbStateStore store) throws Exception {
    return records(store).keySet().stream().filter(k -> k.startsWith(ClientSessions.SESSIONS + " ")).count();
  }

  /** Every application record of a store, as namespace/key hex → value hex, in order. */
  private static TreeMap<String, String> records(RocksDbStateStore store) throws Exception {
    TreeMap<String, String> out = new TreeMap<>();
    HexFormat hex = HexFormat.of();
    store.exportRecords((namespace, key, value) -> out.put(namespace + " " + hex.formatHex(key), hex.formatHex(value)));
    return out;
  }

  private record Stores(RocksDbStateStore fresh, RocksDbStateStore old) implements AutoCloseable {
    @Override
    public void close() {
      fresh.close();
      old.close();
    }
  }
}
