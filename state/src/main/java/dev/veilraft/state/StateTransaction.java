package dev.veilraft.state;

import java.util.List;
import java.util.Optional;

/** The changes of one log entry, committed atomically with its index. */
public interface StateTransaction {
  Optional<byte[]> get(String namespace, byte[] key) throws StateException;

  /**
   * As {@link StateStore#scan}, with the same arguments, limits and errors, but seeing this
   * transaction's own writes and deletes first, so an entry that writes then scans sees what it
   * wrote and not what it deleted.
   */
  List<StateRecord> scan(String namespace, byte[] fromInclusive, byte[] toExclusive, int limit) throws StateException;

  void put(String namespace, byte[] key, byte[] value);

  /**
   * Keeps the keys of {@code namespace} indexed in memory from now on, as its first scan does
   * (building the index reads every key of the namespace once; later calls cost a lookup). Reads
   * of keys the namespace does not hold are then answered from the index, without a disk read, and
   * so are the digest updates of records written under new keys. Answers are the same either way.
   * For namespaces whose point reads mostly miss and whose keys stay few: the index keeps every key
   * in memory for as long as the store is open.
   *
   * @throws StateException when the namespace's records cannot be read
   */
  void index(String namespace) throws StateException;

  void delete(String namespace, byte[] key);

  /**
   * Writes every change and records {@code appliedIndex}, atomically. The index must be greater
   * than the store's current applied index.
   */
  void commit(long appliedIndex) throws StateException;

  /**
   * Writes every change atomically without recording an index: for records of node-local
   * namespaces ({@value StateStore#NODE_LOCAL_PREFIX}…) that belong to no log entry, such as an
   * epoch secret this node erases once a snapshot covers its entries. May run between entries,
   * never concurrently with an entry's commit on the same thread.
   *
   * @throws IllegalArgumentException when a change touches a replicated namespace (those are
   *     committed with the entry that made them)
   */
  void commitNodeLocal() throws StateException;
}
