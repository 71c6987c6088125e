package dev.veilraft.state;

import java.util.Optional;

/** The changes of one log entry, committed atomically with its index. */
public interface StateTransaction {
  Optional<byte[]> get(String namespace, byte[] key) throws StateException;

  void put(String namespace, byte[] key, byte[] value);

  void delete(String namespace, byte[] key);

  /**
   * Writes every change and records {@code appliedIndex}, atomically. The index must be greater
   * than the store's current applied index.
   */
  void commit(long appliedIndex) throws StateException;
}
