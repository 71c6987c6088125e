/**
 * Deterministic application state, kept encrypted at rest.
 *
 * <p>Invariants: every change belongs to one applied log entry and is written in one atomic
 * batch with that entry's index; the applied index only increases; no namespace, key or value is
 * readable in the store's files, and a value altered or moved on disk fails to authenticate.
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
 * </ol>
 */
package dev.veilraft.state;
