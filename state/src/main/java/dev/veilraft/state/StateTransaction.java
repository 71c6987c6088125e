package dev.veilraft.state;

import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

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
   * This transaction's one attachment of {@code type}, made by {@code create} on the first call:
   * what a writer keeps for the whole entry (records it decoded, what it already knows) so that
   * records many events of the entry change are decoded once and written once. {@link #commit} and
   * {@link #commitNodeLocal} first run every attachment's {@link Attachment#beforeCommit}, in the
   * order they were made; that is where an attachment writes what it kept. They run once, even if
   * the commit then fails and is tried again, and no attachment may be made or used after they ran
   * (IllegalStateException). Like the rest of the transaction, for one thread.
   */
  <T extends Attachment> T attachment(Class<T> type, Supplier<T> create);

  /** Entry-long state of a writer; see {@link #attachment}. */
  interface Attachment {
    /**
     * Writes what this attachment kept into {@code tx}, which it may also read; runs once, when the
     * transaction commits, before any change is written.
     *
     * @throws StateException the store failed; the commit fails with it
     */
    void beforeCommit(StateTransaction tx) throws StateException;
  }

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
