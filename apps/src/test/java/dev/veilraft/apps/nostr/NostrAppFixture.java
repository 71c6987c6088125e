package dev.veilraft.apps.nostr;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The nostr app on a real encrypted RocksDB store, driven through the {@link AppHost} as the apply
 * thread drives it: one request per log entry.
 */
final class NostrAppFixture implements AutoCloseable {
  static final AppHost HOST = new AppHost(List.of(new NostrRelayApp()));
  static final String NAMESPACE = AppHost.namespace(NostrRelayApp.NAME);

  final RocksDbStateStore store;
  long leaderTimeMs = NostrTestEvents.NOW_MS;

  NostrAppFixture(Path dir) throws StateException {
    store = RocksDbStateStore.open(dir, Hashes.sha256(Hashes.utf8("nostr test storage")));
  }

  /** Applies one request as the next log entry. */
  synchronized EventResult apply(byte[] request) throws StateException {
    StateTransaction tx = store.begin();
    long index = store.appliedIndex() + 1;
    EventResult result = HOST.apply(tx, Event.newBuilder().setApp(NostrRelayApp.NAME)
        .setRequest(ByteString.copyFrom(request)).build(),
        new AppContext(index, leaderTimeMs, DeterministicRandom.fromSeed(Hashes.sha256(Hashes.u64(index))), true));
    tx.commit(index);
    return result;
  }

  /** Publishes {@code event} and returns the app's answer; fails the test when the request is refused outright. */
  RelayWire.PublishResult publish(NostrEvent event) throws StateException {
    EventResult result = apply(RelayWire.publish(event.toJson()));
    if (result.getStatus() != EventResult.Status.OK) {
      throw new AssertionError("publish refused outright: " + result.getError());
    }
    return RelayWire.PublishResult.decode(result.getResponse().toByteArray());
  }

  /** A query as a member's front end sends it (its authenticated viewers count). */
  EventResult query(List<String> viewers, List<Filter> filters) throws StateException {
    return HOST.query(store, NostrRelayApp.NAME, RelayWire.query(viewers, filters), true);
  }

  /** A query sealed by anyone but a member's front end: the viewers it names must not count. */
  EventResult queryAsOutsider(List<String> viewers, List<Filter> filters) throws StateException {
    return HOST.query(store, NostrRelayApp.NAME, RelayWire.query(viewers, filters), false);
  }

  /** The ids a query returns, in order. */
  List<String> ids(List<String> viewers, Filter... filters) throws StateException {
    return result(viewers, filters).events().stream().map(RelayWire.StoredEvent::id).toList();
  }

  RelayWire.QueryResult result(List<String> viewers, Filter... filters) throws StateException {
    EventResult result = query(viewers, List.of(filters));
    if (result.getStatus() != EventResult.Status.OK) {
      throw new AssertionError("query refused: " + result.getError());
    }
    return RelayWire.QueryResult.decode(result.getResponse().toByteArray());
  }

  /** Every record of the relay's namespace, in key order. */
  List<StateRecord> records() throws StateException {
    List<StateRecord> all = new ArrayList<>();
    byte[] from = null;
    while (true) {
      List<StateRecord> page = store.scan(NAMESPACE, from, null, 1000);
      all.addAll(page);
      if (page.size() < 1000) {
        return all;
      }
      byte[] last = page.get(page.size() - 1).key();
      from = java.util.Arrays.copyOf(last, last.length + 1);
    }
  }

  static Filter filter(String json) {
    try {
      return Filter.fromJson(NostrJson.read(json));
    } catch (Exception e) {
      throw new AssertionError("test filter does not parse: " + json, e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
