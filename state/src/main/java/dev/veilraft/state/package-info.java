/**
 * Deterministic application state, kept encrypted at rest.
 *
 * <p>Invariants: every change belongs to one applied log entry and is written in one atomic
 * batch with that entry's index; the applied index only increases; no namespace, key or value is
 * readable in the store's files, and a value altered or moved on disk fails to authenticate;
 * scans return keys in unsigned byte order and see exactly the committed state (plus, inside a
 * transaction, its own writes).
 *
 * <p>The caller's duties:
 *
 * <ol>
 *   <li>Unseal the node's 32-byte storage secret and pass it to {@link
 *       dev.veilraft.state.RocksDbStateStore#open}; keep it out of logs.
 *   <li>Apply committed entries in log order on one thread: {@code begin()}, the application's
 *       reads and writes, then {@code commit(entryIndex)}.
 *   <li>After a restart, re-apply the log entries after {@code appliedIndex()}: writes are not
 *       synced, so the store may come back at an earlier index than it reached.
 *   <li>Treat a {@link dev.veilraft.state.StateException} from apply as a local fault (stop
 *       applying, restore from a snapshot), never as a refusal of the request.
 *   <li>For a snapshot, encrypt what {@link dev.veilraft.state.RocksDbStateStore#exportRecords}
 *       streams before it leaves the TEE (it is plaintext); on the receiving node, authenticate
 *       the file, {@link dev.veilraft.state.RocksDbStateStore#importRecords} into an empty
 *       directory, then swap directories and fsync their parent.
 *   <li>Budget memory for scan indexes: each scanned namespace keeps all its keys in memory
 *       (about 56 bytes plus the key per key; see {@code indexedKeyCount()}).
 * </ol>
 */
package dev.veilraft.state;
