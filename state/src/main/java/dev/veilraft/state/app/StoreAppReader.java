package dev.veilraft.state.app;

import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateStore;
import java.util.List;
import java.util.Optional;

/** An app's namespace in committed state, for queries. Thread-safe as the store is. */
final class StoreAppReader implements AppReader {
  private final StateStore store;
  private final String namespace;

  StoreAppReader(StateStore store, String namespace) {
    this.store = store;
    this.namespace = namespace;
  }

  @Override
  public Optional<byte[]> get(byte[] key) throws StateException {
    return store.get(namespace, key);
  }

  @Override
  public List<StateRecord> scan(byte[] fromInclusive, byte[] toExclusive, int limit) throws StateException {
    AppScans.check(fromInclusive, toExclusive, limit);
    return store.scan(namespace, fromInclusive, toExclusive, limit);
  }
}
