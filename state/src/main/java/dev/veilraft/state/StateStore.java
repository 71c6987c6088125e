package dev.veilraft.state;

import java.util.List;
import java.util.Optional;

/**
 * A node's replicated application state. Every change belongs to one applied log entry and is
 * committed atomically with that entry's index, so a restart resumes after the last applied
 * entry and never applies an entry twice. Implementations keep nothing readable on disk.
 */
public interface StateStore extends AutoCloseable {
  /**
   * Namespaces that start with this prefix belong to one node, not to the replicated state (e.g.
   * its epoch secrets): a transaction that touches only them may be committed without a log entry
   * ({@link StateTransaction#commitNodeLocal}).
   */
  String NODE_LOCAL_PREFIX = "node/";

  /** Index of the last log entry whose effects are in the store; 0 when nothing was applied. */
  long appliedIndex();

  /**
   * An index at least as new as every entry whose effects a read that returned before this call
   * could have seen: {@link #appliedIndex}, or while an entry's changes are being written, that
   * entry's index. A reader that calls it after its reads learns which committed entries its
   * answer may already contain, and that every entry after it was not yet visible.
   */
  long readIndexBound();

  /** Reads committed state. */
  Optional<byte[]> get(String namespace, byte[] key) throws StateException;

  /**
   * Committed records of {@code namespace} whose keys are in [{@code fromInclusive},
   * {@code toExclusive}) in unsigned lexicographic key order, at most {@code limit} of them. A null
   * bound is open; equal bounds give an empty range. Fewer than {@code limit} records means the
   * range has no more: to page on, scan again from the last key followed by a 0x00 byte.
   * Thread-safe; sees one committed state (only whole entries).
   *
   * @throws IllegalArgumentException when the namespace is not valid, {@code limit} is outside
   *     1..{@code RocksDbStateStore.scanRecordsMax}, {@code fromInclusive} sorts after {@code
   *     toExclusive}, or the records would exceed {@code RocksDbStateStore.scanSizeBytesMax}
   * @throws StateException when a record does not authenticate or the store cannot be read
   */
  List<StateRecord> scan(String namespace, byte[] fromInclusive, byte[] toExclusive, int limit) throws StateException;

  /** Starts the changes of one log entry. Reads inside it see its own writes. Not thread-safe. */
  StateTransaction begin();

  /**
   * Streams every application record of one committed state to {@code sink} (plaintext: encrypt
   * it before it leaves the TEE) and returns that state's applied index.
   *
   * @throws StateException when a record does not authenticate or the store cannot be read
   * @throws java.io.IOException from the sink
   */
  long exportRecords(RecordSink sink) throws StateException, java.io.IOException;

  @Override
  void close();
}
