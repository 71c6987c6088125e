package dev.veilraft.state.app;

import dev.veilraft.crypto.Check;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One request's view of its app's namespace: writes stay in memory until {@link #flush} hands
 * them to the entry's transaction, so a refused request leaves no trace. Reads and scans see the
 * request's own writes first. Used by the apply thread only.
 */
final class OverlayAppState implements AppState {
  private final StateTransaction tx;
  private final String namespace;
  /** Pending writes in key order; a null value is a delete. */
  private final TreeMap<byte[], byte[]> pending = new TreeMap<>(Arrays::compareUnsigned);

  OverlayAppState(StateTransaction tx, String namespace) {
    this.tx = tx;
    this.namespace = namespace;
  }

  @Override
  public Optional<byte[]> get(byte[] key) throws StateException {
    checkKey(key);
    if (pending.containsKey(key)) {
      byte[] value = pending.get(key);
      return value == null ? Optional.empty() : Optional.of(value.clone());
    }
    return tx.get(namespace, key);
  }

  @Override
  public List<StateRecord> scan(byte[] fromInclusive, byte[] toExclusive, int limit) throws StateException {
    AppScans.check(fromInclusive, toExclusive, limit);
    NavigableMap<byte[], byte[]> window = AppScans.window(pending, fromInclusive, toExclusive);
    // Each pending delete may hide one committed record, so ask for that many more.
    long deletes = window.values().stream().filter(v -> v == null).count();
    TreeMap<byte[], byte[]> merged = new TreeMap<>(Arrays::compareUnsigned);
    for (StateRecord record : tx.scan(namespace, fromInclusive, toExclusive, (int) (limit + deletes))) {
      merged.put(record.key(), record.value());
    }
    for (Map.Entry<byte[], byte[]> write : window.entrySet()) {
      if (write.getValue() == null) {
        merged.remove(write.getKey());
      } else {
        merged.put(write.getKey(), write.getValue());
      }
    }
    List<StateRecord> out = new ArrayList<>(Math.min(limit, merged.size()));
    for (Map.Entry<byte[], byte[]> record : merged.entrySet()) {
      if (out.size() == limit) {
        break;
      }
      out.add(new StateRecord(record.getKey().clone(), record.getValue().clone()));
    }
    return out;
  }

  @Override
  public void put(byte[] key, byte[] value) {
    checkKey(key);
    Check.argument(value != null && value.length <= RocksDbStateStore.valueSizeBytesMax,
        "value must be present and at most valueSizeBytesMax " + RocksDbStateStore.valueSizeBytesMax + " bytes");
    pending.put(key.clone(), value.clone());
  }

  @Override
  public void delete(byte[] key) {
    checkKey(key);
    pending.put(key.clone(), null);
  }

  /** Hands the request's writes to the entry's transaction. */
  void flush() {
    for (Map.Entry<byte[], byte[]> write : pending.entrySet()) {
      if (write.getValue() == null) {
        tx.delete(namespace, write.getKey());
      } else {
        tx.put(namespace, write.getKey(), write.getValue());
      }
    }
    pending.clear();
  }

  private static void checkKey(byte[] key) {
    Check.argument(key != null && key.length <= RocksDbStateStore.keySizeBytesMax,
        "key must be present and at most keySizeBytesMax " + RocksDbStateStore.keySizeBytesMax + " bytes");
  }
}
