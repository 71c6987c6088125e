package dev.veilraft.state;

import java.util.Optional;

/**
 * A node's replicated application state. Every change belongs to one applied log entry and is
 * committed atomically with that entry's index, so a restart resumes after the last applied
 * entry and never applies an entry twice. Implementations keep nothing readable on disk.
 */
public interface StateStore extends AutoCloseable {
  /** Index of the last log entry whose effects are in the store; 0 when nothing was applied. */
  long appliedIndex();

  /** Reads committed state. */
  Optional<byte[]> get(String namespace, byte[] key) throws StateException;

  /** Starts the changes of one log entry. Reads inside it see its own writes. Not thread-safe. */
  StateTransaction begin();

  @Override
  void close();
}
