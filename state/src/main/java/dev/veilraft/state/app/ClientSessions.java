package dev.veilraft.state.app;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.proto.ClientSession;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Exactly-once requests. Each client names itself (a random id) and numbers its requests; the
 * result of every request is kept until the client acknowledges it, so a retried request —
 * after a timeout, a leader change, a lost response — returns the recorded result instead of
 * being applied again. A client may have several requests in flight (up to
 * the cluster's pending-per-client bound unacknowledged), committed in any order. Sessions idle for
 * {@link #SESSION_IDLE_MS_MAX} of leader time are dropped, a few per entry, so expiry is part of
 * the deterministic apply: every replica drops the same sessions at the same index.
 *
 * <p>Records: {@code sys/sessions} client id → {@link ClientSession}; {@code sys/session-results}
 * {@link #resultKey} → result; {@code sys/session-expiry} {@link #expiryKey} → empty.
 *
 * <p>Every new request looks up a result that is not there (is it a retry?), so the results are
 * kept indexed ({@link StateTransaction#index}): the index answers that miss from memory instead
 * of RocksDB (about an eighth of applying a grouped put on a follower, measured in session 24),
 * and the result's write then needs no read of a record it replaces. The index holds one key
 * (about 90 bytes) per unacknowledged result: at most {@code limits.pending_per_client_max} per
 * client, and a session idle for {@link #SESSION_IDLE_MS_MAX} goes with its results. The expiry
 * records are indexed too (the expiry scan), one key per session.
 */
final class ClientSessions {
  static final String SESSIONS = "sys/sessions";
  static final String RESULTS = "sys/session-results";
  static final String EXPIRY = "sys/session-expiry";
  public static final int CLIENT_ID_BYTES_MIN = 16;
  public static final int CLIENT_ID_BYTES_MAX = 32;
  /**
   * Unacknowledged results kept per client by default: the bound on a client's requests in
   * flight. A cluster sets its own in the genesis (limits.pending_per_client_max).
   */
  public static final int PENDING_PER_CLIENT_MAX = 128;
  /** The largest per-client bound a genesis may set: one entry scans at most this many results. */
  public static final int PENDING_PER_CLIENT_LIMIT = 4_096;
  /** A session unused for this long (leader time) is forgotten with its results. */
  public static final long SESSION_IDLE_MS_MAX = 60L * 60 * 1000;
  /** Sessions expired per entry at most, so one entry's work stays bounded. */
  static final int EXPIRIES_PER_ENTRY_MAX = 8;
  /**
   * An acknowledgement that moves at most this many sequences forgets their results by one point
   * lookup each; a longer move scans the range. A pipelining client moves it by about one per
   * request, and a lookup (one keyed read) costs about what a scan of one result does without the
   * scan's merge of the transaction's changes with the ordered key index.
   */
  static final int FORGET_LOOKUPS_MAX = 32;
  /** Sequences are below this, so a client's results all lie before {@code resultKey(id, SEQUENCE_END)}. */
  static final long SEQUENCE_END = Long.MAX_VALUE;

  /** What to do with a request. */
  sealed interface Decision permits Apply, Replay, Refuse {}

  /** A new request: apply it, then {@link #record} its result. */
  record Apply(ClientSession session) implements Decision {}

  /** A retry of a request applied before: answer with its recorded result. */
  record Replay(EventResult result) implements Decision {}

  /** A request the session cannot take. */
  record Refuse(String reason) implements Decision {}

  private ClientSessions() {}

  /** Checks the client's numbers and says whether the request is new, a retry or refused. */
  static Decision admit(StateTransaction tx, byte[] clientId, long sequence, long acknowledged, long leaderTimeMs,
      int pendingMax) throws StateException {
    if (pendingMax < 1 || pendingMax > PENDING_PER_CLIENT_LIMIT) {
      throw new IllegalArgumentException("pending-per-client bound " + pendingMax + " is outside 1.."
          + PENDING_PER_CLIENT_LIMIT);
    }
    expireIdle(tx, leaderTimeMs);
    if (clientId.length < CLIENT_ID_BYTES_MIN || clientId.length > CLIENT_ID_BYTES_MAX) {
      return new Refuse("client id is " + clientId.length + " bytes; expected " + CLIENT_ID_BYTES_MIN + " to "
          + CLIENT_ID_BYTES_MAX);
    }
    if (sequence < 1 || sequence >= SEQUENCE_END || acknowledged < 0 || acknowledged > sequence) {
      return new Refuse("request sequence " + Long.toUnsignedString(sequence) + " must be 1.." + (SEQUENCE_END - 1)
          + " and not below the acknowledged sequence " + Long.toUnsignedString(acknowledged));
    }
    ClientSession session = load(tx, clientId).orElse(ClientSession.getDefaultInstance());
    if (acknowledged > session.getAcknowledged()) {
      session = forgetAcknowledged(tx, clientId, session, acknowledged);
    }
    if (sequence < session.getAcknowledged()) {
      return new Refuse("request sequence " + sequence + " was acknowledged already (the client acknowledged all "
          + "below " + session.getAcknowledged() + "); its result is gone");
    }
    // A new request's result is not there: the results' key index answers that without a disk read.
    tx.index(RESULTS);
    Optional<byte[]> recorded = tx.get(RESULTS, resultKey(clientId, sequence));
    if (recorded.isPresent()) {
      return new Replay(parseResult(recorded.get()));
    }
    if (session.getPending() >= pendingMax) {
      return new Refuse("PENDING_LIMIT: client has " + session.getPending() + " unacknowledged requests, the most "
          + "this cluster allows (limits.pending_per_client_max = " + pendingMax + "); acknowledge received "
          + "responses first");
    }
    return new Apply(session);
  }

  /** Records the result of a request {@link #admit} let through. */
  static void record(StateTransaction tx, byte[] clientId, long sequence, Apply admitted, EventResult result,
      long leaderTimeMs) throws StateException {
    tx.put(RESULTS, resultKey(clientId, sequence), result.toByteArray());
    ClientSession before = admitted.session();
    if (before.getLastMs() != 0) {
      tx.delete(EXPIRY, expiryKey(before.getLastMs(), clientId));
    }
    ClientSession after = before.toBuilder().setPending(before.getPending() + 1).setLastMs(leaderTimeMs).build();
    tx.put(SESSIONS, clientId, after.toByteArray());
    tx.put(EXPIRY, expiryKey(leaderTimeMs, clientId), new byte[0]);
    ExpiryClear clear = EXPIRY_CLEAR.get();
    if (clear != null && leaderTimeMs < clear.cutoffMs()) {
      EXPIRY_CLEAR.remove();
    }
  }

  /**
   * Deletes the client's results in [{@code session.acknowledged}, {@code acknowledged}): a client
   * that pipelines moves its acknowledgement a few sequences per request, so each sequence of a
   * range of at most {@link #FORGET_LOOKUPS_MAX} is looked up (the result under that key or
   * nothing; O(1) each) rather than scanned; only a longer jump scans the range (bounded by
   * {@link #PENDING_PER_CLIENT_LIMIT} as before). Both delete exactly the results that exist in the
   * range, so the entry's changes, and the state digest, are the same whichever way is taken.
   */
  private static ClientSession forgetAcknowledged(StateTransaction tx, byte[] clientId, ClientSession session,
      long acknowledged) throws StateException {
    long from = session.getAcknowledged();
    int forgotten = 0;
    if (acknowledged - from <= FORGET_LOOKUPS_MAX) {
      for (long sequence = from; sequence < acknowledged; sequence++) {
        byte[] key = resultKey(clientId, sequence);
        if (tx.get(RESULTS, key).isPresent()) {
          tx.delete(RESULTS, key);
          forgotten++;
        }
      }
    } else {
      for (StateRecord result : tx.scan(RESULTS, resultKey(clientId, from), resultKey(clientId, acknowledged),
          PENDING_PER_CLIENT_LIMIT)) {
        tx.delete(RESULTS, result.key());
        forgotten++;
      }
    }
    ClientSession updated = session.toBuilder().setAcknowledged(acknowledged)
        .setPending(Math.max(0, session.getPending() - forgotten)).build();
    tx.put(SESSIONS, clientId, updated.toByteArray());
    return updated;
  }

  /**
   * Drops up to {@link #EXPIRIES_PER_ENTRY_MAX} sessions idle since before {@code leaderTimeMs -
   * SESSION_IDLE_MS_MAX}. Runs for every event, but an entry's events share its leader time, so
   * once a scan in this transaction found fewer than the bound (every idle session below the
   * cutoff is then gone) the later events of the same entry skip it: see {@link ExpiryClear}.
   */
  private static void expireIdle(StateTransaction tx, long leaderTimeMs) throws StateException {
    long cutoff = leaderTimeMs - SESSION_IDLE_MS_MAX;
    if (cutoff <= 0) {
      return;
    }
    ExpiryClear clear = EXPIRY_CLEAR.get();
    if (clear != null && clear.covers(tx, cutoff)) {
      return;
    }
    List<StateRecord> idle = tx.scan(EXPIRY, null, Hashes.u64(cutoff), EXPIRIES_PER_ENTRY_MAX);
    for (StateRecord expired : idle) {
      byte[] clientId = Arrays.copyOfRange(expired.key(), Long.BYTES + 1, expired.key().length);
      for (StateRecord result : tx.scan(RESULTS, resultKey(clientId, 0), resultKey(clientId, SEQUENCE_END),
          PENDING_PER_CLIENT_LIMIT)) {
        tx.delete(RESULTS, result.key());
      }
      tx.delete(SESSIONS, clientId);
      tx.delete(EXPIRY, expired.key());
    }
    if (idle.size() < EXPIRIES_PER_ENTRY_MAX) {
      EXPIRY_CLEAR.set(new ExpiryClear(new WeakReference<>(tx), cutoff));
    } else {
      EXPIRY_CLEAR.remove();
    }
  }

  /**
   * What this thread knows of one transaction: none of its expiry records (committed or written
   * by it) lies below {@code cutoffMs}, because an expiry scan up to that cutoff found fewer than
   * {@link #EXPIRIES_PER_ENTRY_MAX} and deleted them all. It stays true while the transaction
   * lives: only {@link #record} adds expiry records, at the entry's leader time (above every
   * cutoff of that entry; a lower one clears this knowledge). A scan up to any cutoff at or below
   * it would find nothing, so skipping it writes and decides exactly what scanning would, on
   * every replica. The transaction is held weakly and compared by identity: a new transaction, or
   * a transaction of another replica on this thread, never matches (so a stale one costs a scan,
   * never a skipped expiry).
   */
  private record ExpiryClear(WeakReference<StateTransaction> tx, long cutoffMs) {
    boolean covers(StateTransaction current, long cutoff) {
      return tx.get() == current && cutoff <= cutoffMs;
    }
  }

  /** Per thread, since each replica applies its entries (and uses its transaction) on one thread. */
  private static final ThreadLocal<ExpiryClear> EXPIRY_CLEAR = new ThreadLocal<>();

  private static Optional<ClientSession> load(StateTransaction tx, byte[] clientId) throws StateException {
    Optional<byte[]> stored = tx.get(SESSIONS, clientId);
    if (stored.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(ClientSession.parseFrom(stored.get()));
    } catch (InvalidProtocolBufferException e) {
      throw new StateException("client session record does not parse (state corrupted): " + e.getMessage(), e);
    }
  }

  private static EventResult parseResult(byte[] bytes) throws StateException {
    try {
      return EventResult.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new StateException("recorded request result does not parse (state corrupted): " + e.getMessage(), e);
    }
  }

  /**
   * u8 length ‖ client id ‖ u64 sequence: a client's results are contiguous and in sequence order,
   * and the length keeps one client's range from covering another id that extends it.
   */
  static byte[] resultKey(byte[] clientId, long sequence) {
    return ByteBuffer.allocate(1 + clientId.length + Long.BYTES).put((byte) clientId.length).put(clientId)
        .putLong(sequence).array();
  }

  /** u64 last time ‖ u8 length ‖ client id: idle sessions come first in a scan. */
  static byte[] expiryKey(long lastMs, byte[] clientId) {
    return ByteBuffer.allocate(Long.BYTES + 1 + clientId.length).putLong(lastMs).put((byte) clientId.length)
        .put(clientId).array();
  }
}
