package dev.veilraft.state.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.proto.ClientSession;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apps through the host on a real RocksDB store: isolation, refusals, scans, exactly-once sessions. */
class AppHostTest {
  static final byte[] CLIENT = Hashes.sha256(Hashes.utf8("client a"));
  static final byte[] OTHER_CLIENT = Arrays.copyOf(Hashes.sha256(Hashes.utf8("client b")), 16);

  /** Counts requests in "count"; "fail" refuses after writing; "boom" throws; "scan" lists keys. */
  static class CounterApp implements App {
    @Override
    public String name() {
      return "counter";
    }

    @Override
    public byte[] apply(AppContext context, AppState state, byte[] request) throws AppException, StateException {
      String op = new String(request, java.nio.charset.StandardCharsets.UTF_8);
      long count = state.get(Hashes.utf8("count")).map(b -> ByteBuffer.wrap(b).getLong()).orElse(0L) + 1;
      state.put(Hashes.utf8("count"), Hashes.u64(count));
      switch (op) {
        case "fail" -> throw new AppException("refused after writing");
        case "boom" -> throw new IllegalStateException("bug with a replica-specific detail " + new Object());
        case "scan" -> {
          state.put(Hashes.utf8("k2"), new byte[] {2});
          state.put(Hashes.utf8("k1"), new byte[] {1});
          state.delete(Hashes.utf8("k3"));
          StringBuilder keys = new StringBuilder();
          for (StateRecord r : state.scan(Hashes.utf8("k"), Hashes.utf8("l"), 10)) {
            keys.append(new String(r.key(), java.nio.charset.StandardCharsets.UTF_8)).append(',');
          }
          return Hashes.utf8(keys.toString());
        }
        case "random" -> {
          return context.random().nextBytes(8);
        }
        default -> { }
      }
      return Hashes.u64(count);
    }

    @Override
    public byte[] query(AppReader state, byte[] request) throws StateException {
      return state.get(Hashes.utf8("count")).orElse(Hashes.u64(0));
    }
  }

  @TempDir Path dir;
  RocksDbStateStore store;
  final AppHost host = new AppHost(List.of(new CounterApp()));
  long leaderTime = 1_000_000;

  @BeforeEach
  void open() throws StateException {
    store = RocksDbStateStore.open(dir, Hashes.sha256(Hashes.utf8("storage")));
  }

  @AfterEach
  void close() {
    store.close();
  }

  EventResult apply(Event event) throws StateException {
    return apply(event, ClientSessions.PENDING_PER_CLIENT_MAX);
  }

  EventResult apply(Event event, int pendingPerClientMax) throws StateException {
    StateTransaction tx = store.begin();
    long index = store.appliedIndex() + 1;
    EventResult result = host.apply(tx, event, new AppContext(index, leaderTime,
        DeterministicRandom.fromSeed(Hashes.sha256(Hashes.u64(index)))), pendingPerClientMax);
    tx.commit(index);
    return result;
  }

  static Event event(String op) {
    return Event.newBuilder().setApp("counter").setRequest(ByteString.copyFromUtf8(op)).build();
  }

  static Event event(String op, byte[] client, long sequence, long acknowledged) {
    return event(op).toBuilder().setClientId(ByteString.copyFrom(client)).setSequence(sequence)
        .setAcknowledged(acknowledged).build();
  }

  /** Results kept for every client: in session records and kept alone. */
  long keptResults() throws Exception {
    long inRecords = 0;
    for (StateRecord session : store.scan(ClientSessions.SESSIONS, null, null, 100)) {
      inRecords += ClientSession.parseFrom(session.value()).getResultsCount();
    }
    return inRecords + store.scan(ClientSessions.RESULTS, null, null, 100).size();
  }

  long count() throws StateException {
    return ByteBuffer.wrap(host.query(store, "counter", new byte[0]).getResponse().toByteArray()).getLong();
  }

  @Test
  void aRetriedRequestIsAppliedOnceAndAnsweredWithItsRecordedResult() throws Exception {
    // Proves the same client and sequence applied twice changes the state once and returns the same response.
    EventResult first = apply(event("inc", CLIENT, 1, 1));
    EventResult retry = apply(event("inc", CLIENT, 1, 1));

    assertThat(retry).isEqualTo(first);
    assertThat(count()).isEqualTo(1);
    assertThat(apply(event("inc")).getStatus()).isEqualTo(EventResult.Status.OK);
    assertThat(count()).as("requests without a client id are applied every time").isEqualTo(2);
  }

  @Test
  void requestsInFlightMayCommitInAnyOrderAndAcknowledgedOnesAreForgotten() throws Exception {
    // Proves sequence 2 before 1 applies both, a retry of 1 replays, and once acknowledged its result is gone.
    apply(event("inc", CLIENT, 2, 1));
    EventResult one = apply(event("inc", CLIENT, 1, 1));
    assertThat(apply(event("inc", CLIENT, 1, 1))).isEqualTo(one);
    assertThat(count()).isEqualTo(2);

    apply(event("inc", CLIENT, 3, 3));
    // A delayed copy of an old attempt at 1 arrives after the client acknowledged everything below 3.
    EventResult stale = apply(event("inc", CLIENT, 1, 1));

    assertThat(stale.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(stale.getError()).contains("acknowledged already");
    assertThat(count()).isEqualTo(3);
    assertThat(keptResults()).as("results of 1 and 2 forgotten").isEqualTo(1);
  }

  @Test
  void aClientMayNotHoldMoreThanItsPendingBound() throws Exception {
    // Proves PENDING_PER_CLIENT_MAX unacknowledged results stop further requests until the client acknowledges.
    for (long seq = 1; seq <= ClientSessions.PENDING_PER_CLIENT_MAX; seq++) {
      assertThat(apply(event("inc", CLIENT, seq, 1)).getStatus()).isEqualTo(EventResult.Status.OK);
    }
    EventResult over = apply(event("inc", CLIENT, ClientSessions.PENDING_PER_CLIENT_MAX + 1, 1));
    assertThat(over.getError()).contains("PENDING_LIMIT", "limits.pending_per_client_max = "
        + ClientSessions.PENDING_PER_CLIENT_MAX);
    assertThat(apply(event("inc", OTHER_CLIENT, 1, 1)).getStatus()).as("other clients are unaffected")
        .isEqualTo(EventResult.Status.OK);

    long next = ClientSessions.PENDING_PER_CLIENT_MAX + 1;
    assertThat(apply(event("inc", CLIENT, next, next)).getStatus()).isEqualTo(EventResult.Status.OK);
  }

  @Test
  void theClusterSetsThePendingBound() throws Exception {
    // Proves the bound is the cluster's (genesis limits.pending_per_client_max), not a constant.
    for (long seq = 1; seq <= 3; seq++) {
      assertThat(apply(event("inc", CLIENT, seq, 1), 3).getStatus()).isEqualTo(EventResult.Status.OK);
    }
    assertThat(apply(event("inc", CLIENT, 4, 1), 3).getError()).contains("limits.pending_per_client_max = 3");
    assertThat(apply(event("inc", CLIENT, 4, 4), 3).getStatus()).isEqualTo(EventResult.Status.OK);
  }

  @Test
  void idleSessionsExpireByLeaderTime() throws Exception {
    // Proves a session idle longer than SESSION_IDLE_MS_MAX is dropped with its results by a later entry.
    apply(event("inc", CLIENT, 1, 1));
    leaderTime += ClientSessions.SESSION_IDLE_MS_MAX + ClientSessions.EXPIRY_STEP_MS;
    apply(event("inc", OTHER_CLIENT, 1, 1));

    assertThat(store.get(ClientSessions.SESSIONS, CLIENT)).isEmpty();
    assertThat(store.get(ClientSessions.SESSIONS, OTHER_CLIENT)).isPresent();
    assertThat(keptResults()).isEqualTo(1);
  }

  @Test
  void aSessionNeverExpiresEarlyAndItsExpiryRecordMovesOncePerStep() throws Exception {
    // Proves the expiry record holds the last use rounded up to EXPIRY_STEP_MS: requests within one step leave it
    // in place, a session idle for exactly SESSION_IDLE_MS_MAX stays, and one idle a step longer goes.
    long step = ClientSessions.EXPIRY_STEP_MS;
    leaderTime = 10 * step + 1;
    apply(event("inc", CLIENT, 1, 1));
    leaderTime += 1_000;
    apply(event("inc", CLIENT, 2, 2));
    assertThat(store.scan(ClientSessions.EXPIRY, null, null, 10)).extracting(r -> ByteBuffer.wrap(r.key()).getLong())
        .containsExactly(11 * step);

    leaderTime += ClientSessions.SESSION_IDLE_MS_MAX;
    apply(event("inc", OTHER_CLIENT, 1, 1));
    assertThat(store.get(ClientSessions.SESSIONS, CLIENT)).as("idle exactly the maximum").isPresent();
    leaderTime = 11 * step + ClientSessions.SESSION_IDLE_MS_MAX + 1;
    apply(event("inc", OTHER_CLIENT, 2, 2));
    assertThat(store.get(ClientSessions.SESSIONS, CLIENT)).isEmpty();
  }

  @Test
  void badSessionNumbersAreRefused() throws Exception {
    // Proves short client ids, sequence 0 and an acknowledgement beyond the sequence are refused without applying.
    assertThat(apply(event("inc", new byte[8], 1, 1)).getError()).contains("client id is 8 bytes");
    assertThat(apply(event("inc", CLIENT, 0, 0)).getError()).contains("must be 1..");
    assertThat(apply(event("inc", CLIENT, 2, 3)).getError()).contains("acknowledged sequence 3");
    assertThat(count()).isZero();
  }

  @Test
  void refusalsAndFailuresLeaveNoWrites() throws Exception {
    // Proves a refused request and a throwing app write nothing, and the failure names only the exception class.
    EventResult refused = apply(event("fail"));
    EventResult failed = apply(event("boom"));

    assertThat(refused.getError()).isEqualTo("refused after writing");
    assertThat(failed.getError()).isEqualTo("app 'counter' failed on this request: java.lang.IllegalStateException");
    assertThat(count()).isZero();
    assertThat(apply(event("inc", CLIENT, 1, 1)).getStatus()).isEqualTo(EventResult.Status.OK);
  }

  @Test
  void scansSeeTheRequestsOwnWritesInKeyOrder() throws Exception {
    // Proves a scan inside apply merges pending puts and deletes with committed records, in key order.
    StateTransaction tx = store.begin();
    tx.put(AppHost.namespace("counter"), Hashes.utf8("k3"), new byte[] {3});
    tx.put(AppHost.namespace("counter"), Hashes.utf8("k4"), new byte[] {4});
    tx.commit(1);

    assertThat(apply(event("scan")).getResponse().toStringUtf8()).isEqualTo("k1,k2,k4,");
  }

  @Test
  void theRandomSourceComesFromTheContext() throws Exception {
    // Proves an app's random bytes are those of the context's seed, so every replica draws the same.
    byte[] drawn = apply(event("random")).getResponse().toByteArray();

    assertThat(drawn).isEqualTo(DeterministicRandom.fromSeed(Hashes.sha256(Hashes.u64(1))).nextBytes(8));
  }

  @Test
  void unknownAppsAndBadNamesAreRefused() throws Exception {
    // Proves an event for an app not installed is refused naming the installed ones, and app names are checked.
    assertThat(apply(event("inc").toBuilder().setApp("nostr").build()).getError())
        .isEqualTo("unknown app 'nostr'; this cluster runs: [counter]");
    assertThatThrownBy(() -> new AppHost(List.of(new CounterApp(), new CounterApp())))
        .hasMessageContaining("two apps are named 'counter'");
    App badName = new CounterApp() {
      @Override
      public String name() {
        return "Bad Name";
      }
    };
    assertThatThrownBy(() -> new AppHost(List.of(badName))).hasMessageContaining("[a-z0-9-]");
  }
}
