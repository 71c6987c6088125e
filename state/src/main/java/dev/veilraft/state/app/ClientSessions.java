package dev.veilraft.state.app;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.proto.ClientSession;
import dev.veilraft.state.proto.KeptResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Exactly-once requests. Each client names itself (a random id) and numbers its requests; the
 * result of every request is kept until the client acknowledges it, so a retried request —
 * after a timeout, a leader change, a lost response — returns the recorded result instead of
 * being applied again. A client may have several requests in flight (up to
 * the cluster's pending-per-client bound unacknowledged), committed in any order. Sessions idle for
 * {@link #SESSION_IDLE_MS_MAX} of leader time are dropped, a few per entry, so expiry is part of
 * the deterministic apply: every replica drops the same sessions at the same index.
 *
 * <p>Records: {@code sys/sessions} client id → {@link ClientSession}, which also keeps the
 * client's small results; {@code sys/session-results} {@link #resultKey} → a result kept alone;
 * {@code sys/session-expiry} {@link #expiryKey} → empty.
 *
 * <p>A result of at most {@link #INLINE_RESULT_BYTES_MAX} is kept in the session record, as long as
 * the record stays within {@link #SESSION_BYTES_MAX}; any other is kept alone. A pipelining client's
 * entry then writes its session record once (the events of an entry share a decoded copy,
 * {@link StateTransaction#attachment}, written when the entry commits) instead of one record per
 * result and one delete per acknowledged result: about two records fewer per grouped put, on every
 * member. The session's {@code pending} counts both kinds, so the results kept alone are {@code
 * pending} minus those in the record; while there are none, neither a retry check nor an
 * acknowledgement reads {@code sys/session-results}.
 *
 * <p>Results kept alone are indexed ({@link StateTransaction#index}) once a session has one: a new
 * request's retry check then misses from memory rather than RocksDB. The index holds one key (about
 * 90 bytes) per result kept alone. The expiry records are indexed too (the expiry scan), one key
 * per session.
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
  /**
   * A session unused for this long (leader time) is forgotten with its results, at the latest
   * {@link #EXPIRY_STEP_MS} later.
   */
  public static final long SESSION_IDLE_MS_MAX = 60L * 60 * 1000;
  /**
   * A session's expiry record holds its last use rounded up to a multiple of this ({@link
   * #expiryStep}), so it moves once per step of leader time, not with every entry that serves the
   * client, and no session expires before it was idle for {@link #SESSION_IDLE_MS_MAX}.
   */
  static final long EXPIRY_STEP_MS = 60_000;
  /** Sessions expired per entry at most, so one entry's work stays bounded. */
  static final int EXPIRIES_PER_ENTRY_MAX = 8;
  /**
   * A serialized result up to this size may be kept in its session's record. A larger one (a kv
   * put's answer that carries the replaced value, say) would make the record, which every entry
   * serving the client rewrites whole, cost more than the two records it saves.
   */
  static final int INLINE_RESULT_BYTES_MAX = 128;
  /**
   * A session record takes no more results once it would grow past this size. It may exceed it
   * by a few bytes: those a larger acknowledged sequence takes, and up to 13 when a result goes
   * alone while {@code pending} and {@code last_ms} grow. An entry rewrites the records of the
   * clients it serves, so this bounds what one client costs an entry beyond its own events.
   */
  static final int SESSION_BYTES_MAX = 2 * 1024;
  /**
   * What recording a result adds to a session record beyond the result's bytes, at most (29,
   * rounded up): the kept result's framing (16 bytes: tag and length of the entry, the sequence
   * below 2^63 in up to 9, tag and length of the result, up to 2 each) and the growth of {@code
   * pending} and {@code last_ms} (13).
   */
  static final int KEPT_RESULT_OVERHEAD_BYTES_MAX = 30;
  /**
   * An acknowledgement that moves at most this many sequences forgets the results kept alone by
   * one point lookup each; a longer move scans the range. A pipelining client moves it by about
   * one per request, and a lookup (one keyed read) costs about what a scan of one result does
   * without the scan's merge of the transaction's changes with the ordered key index.
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
    EntrySessions entry = tx.attachment(EntrySessions.class, EntrySessions::new);
    expireIdle(tx, entry, leaderTimeMs);
    if (clientId.length < CLIENT_ID_BYTES_MIN || clientId.length > CLIENT_ID_BYTES_MAX) {
      return new Refuse("client id is " + clientId.length + " bytes; expected " + CLIENT_ID_BYTES_MIN + " to "
          + CLIENT_ID_BYTES_MAX);
    }
    if (sequence < 1 || sequence >= SEQUENCE_END || acknowledged < 0 || acknowledged > sequence) {
      return new Refuse("request sequence " + Long.toUnsignedString(sequence) + " must be 1.." + (SEQUENCE_END - 1)
          + " and not below the acknowledged sequence " + Long.toUnsignedString(acknowledged));
    }
    ClientSession session = entry.load(tx, clientId);
    if (acknowledged > session.getAcknowledged()) {
      session = forgetAcknowledged(tx, clientId, session, acknowledged);
      entry.save(clientId, session);
    }
    if (sequence < session.getAcknowledged()) {
      return new Refuse("request sequence " + sequence + " was acknowledged already (the client acknowledged all "
          + "below " + session.getAcknowledged() + "); its result is gone");
    }
    Optional<EventResult> recorded = recorded(tx, clientId, session, sequence);
    if (recorded.isPresent()) {
      return new Replay(recorded.get());
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
    EntrySessions entry = tx.attachment(EntrySessions.class, EntrySessions::new);
    ClientSession before = admitted.session();
    byte[] bytes = result.toByteArray();
    ClientSession.Builder after = before.toBuilder().setPending(before.getPending() + 1).setLastMs(leaderTimeMs);
    if (keepsInRecord(before, bytes)) {
      after.addResults(KeptResult.newBuilder().setSequence(sequence).setResult(ByteString.copyFrom(bytes)));
    } else {
      tx.put(RESULTS, resultKey(clientId, sequence), bytes);
    }
    entry.save(clientId, after.build());
    long step = expiryStep(leaderTimeMs);
    boolean filed = before.getLastMs() != 0;
    long filedStep = filed ? expiryStep(before.getLastMs()) : 0;
    if (!filed || filedStep != step) {
      if (filed) {
        tx.delete(EXPIRY, expiryKey(filedStep, clientId));
      }
      tx.put(EXPIRY, expiryKey(step, clientId), new byte[0]);
      if (step < entry.expiryClearBelowMs) {
        entry.expiryClearBelowMs = Long.MIN_VALUE;
      }
    }
  }

  /**
   * The time a session last used at {@code lastMs} is filed under for expiry: {@code lastMs}
   * rounded up to a multiple of {@link #EXPIRY_STEP_MS} (saturating near the end of time).
   */
  static long expiryStep(long lastMs) {
    if (lastMs > Long.MAX_VALUE - EXPIRY_STEP_MS) {
      return Long.MAX_VALUE;
    }
    return Math.floorDiv(lastMs + EXPIRY_STEP_MS - 1, EXPIRY_STEP_MS) * EXPIRY_STEP_MS;
  }

  /** Whether {@code result} is kept in the record of {@code session}, which does not hold it yet. */
  static boolean keepsInRecord(ClientSession session, byte[] result) {
    return result.length <= INLINE_RESULT_BYTES_MAX
        && session.getSerializedSize() + KEPT_RESULT_OVERHEAD_BYTES_MAX + result.length <= SESSION_BYTES_MAX;
  }

  /** The recorded result of {@code sequence}: in the session's record, or kept alone if it has any there. */
  private static Optional<EventResult> recorded(StateTransaction tx, byte[] clientId, ClientSession session,
      long sequence) throws StateException {
    for (KeptResult kept : session.getResultsList()) {
      if (kept.getSequence() == sequence) {
        return Optional.of(parseResult(kept.getResult().toByteArray()));
      }
    }
    if (keptAlone(session) <= 0) {
      return Optional.empty();
    }
    // A new request's result is not there: the results' key index answers that without a disk read.
    tx.index(RESULTS);
    Optional<byte[]> alone = tx.get(RESULTS, resultKey(clientId, sequence));
    return alone.isPresent() ? Optional.of(parseResult(alone.get())) : Optional.empty();
  }

  /** How many of the session's results are kept alone, each in its own record. */
  private static int keptAlone(ClientSession session) {
    return session.getPending() - session.getResultsCount();
  }

  /**
   * Forgets the client's results in [{@code session.acknowledged}, {@code acknowledged}): those in
   * the session's record, and those kept alone if it has any. A client that pipelines moves its
   * acknowledgement a few sequences per request, so each sequence of a range of at most {@link
   * #FORGET_LOOKUPS_MAX} is looked up (the result under that key or nothing; O(1) each) rather than
   * scanned; only a longer jump scans the range (bounded by {@link #PENDING_PER_CLIENT_LIMIT}). Both
   * delete exactly the results that exist in the range, so the entry's changes, and the state
   * digest, are the same whichever way is taken.
   */
  private static ClientSession forgetAcknowledged(StateTransaction tx, byte[] clientId, ClientSession session,
      long acknowledged) throws StateException {
    List<KeptResult> kept = session.getResultsList();
    List<KeptResult> still = new ArrayList<>(kept.size());
    for (KeptResult result : kept) {
      if (result.getSequence() >= acknowledged) {
        still.add(result);
      }
    }
    int forgotten = kept.size() - still.size();
    if (keptAlone(session) > 0) {
      long from = session.getAcknowledged();
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
    }
    ClientSession.Builder updated = session.toBuilder().setAcknowledged(acknowledged)
        .setPending(Math.max(0, session.getPending() - forgotten));
    if (still.size() != kept.size()) {
      updated.clearResults().addAllResults(still);
    }
    return updated.build();
  }

  /**
   * Drops up to {@link #EXPIRIES_PER_ENTRY_MAX} sessions idle since before {@code leaderTimeMs -
   * SESSION_IDLE_MS_MAX}. Runs for every event, but an entry's events share its leader time, so
   * once a scan in this transaction found fewer than the bound (every idle session below the
   * cutoff is then gone) the later events of the same entry skip it: see {@link
   * EntrySessions#expiryClearBelowMs}.
   */
  private static void expireIdle(StateTransaction tx, EntrySessions entry, long leaderTimeMs)
      throws StateException {
    long cutoff = leaderTimeMs - SESSION_IDLE_MS_MAX;
    if (cutoff <= 0 || cutoff <= entry.expiryClearBelowMs) {
      return;
    }
    List<StateRecord> idle = tx.scan(EXPIRY, null, Hashes.u64(cutoff), EXPIRIES_PER_ENTRY_MAX);
    for (StateRecord expired : idle) {
      byte[] clientId = Arrays.copyOfRange(expired.key(), Long.BYTES + 1, expired.key().length);
      for (StateRecord result : tx.scan(RESULTS, resultKey(clientId, 0), resultKey(clientId, SEQUENCE_END),
          PENDING_PER_CLIENT_LIMIT)) {
        tx.delete(RESULTS, result.key());
      }
      entry.expire(tx, clientId);
      tx.delete(EXPIRY, expired.key());
    }
    entry.expiryClearBelowMs = idle.size() < EXPIRIES_PER_ENTRY_MAX ? cutoff : Long.MIN_VALUE;
  }

  /**
   * What one entry's transaction knows of sessions: the sessions its events read, decoded once and
   * kept as they change, each written once when the entry commits; and how far the expiry records
   * are known to be clear. Every decision is the one reading the records each time would give, so
   * replicas agree whatever they had decoded.
   */
  private static final class EntrySessions implements StateTransaction.Attachment {
    /** Read or written this entry, by client id; an absent session is the default instance. */
    private final Map<ByteString, ClientSession> sessions = new HashMap<>();
    private final Set<ByteString> changed = new HashSet<>();
    /**
     * No expiry record of this transaction (committed or written by it) lies below this, because an
     * expiry scan up to it found fewer than {@link #EXPIRIES_PER_ENTRY_MAX} and deleted them all. It
     * stays true while the entry lasts: only {@link #record} adds expiry records, at the step of the
     * entry's leader time, above every cutoff of that entry (a lower one resets this). A scan up to a
     * cutoff at or below it would find nothing, so skipping it writes and decides what scanning
     * would. {@code Long.MIN_VALUE}: nothing known.
     */
    long expiryClearBelowMs = Long.MIN_VALUE;

    ClientSession load(StateTransaction tx, byte[] clientId) throws StateException {
      ByteString id = ByteString.copyFrom(clientId);
      ClientSession known = sessions.get(id);
      if (known != null) {
        return known;
      }
      Optional<byte[]> stored = tx.get(SESSIONS, clientId);
      ClientSession session = stored.isEmpty() ? ClientSession.getDefaultInstance() : parseSession(stored.get());
      sessions.put(id, session);
      return session;
    }

    void save(byte[] clientId, ClientSession session) {
      ByteString id = ByteString.copyFrom(clientId);
      sessions.put(id, session);
      changed.add(id);
    }

    void expire(StateTransaction tx, byte[] clientId) {
      ByteString id = ByteString.copyFrom(clientId);
      sessions.put(id, ClientSession.getDefaultInstance());
      changed.remove(id);
      tx.delete(SESSIONS, clientId);
    }

    @Override
    public void beforeCommit(StateTransaction tx) {
      for (ByteString id : changed) {
        tx.put(SESSIONS, id.toByteArray(), sessions.get(id).toByteArray());
      }
    }
  }

  private static ClientSession parseSession(byte[] bytes) throws StateException {
    try {
      return ClientSession.parseFrom(bytes);
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

  /** u64 {@link #expiryStep} of the last use ‖ u8 length ‖ client id: idle sessions come first in a scan. */
  static byte[] expiryKey(long step, byte[] clientId) {
    return ByteBuffer.allocate(Long.BYTES + 1 + clientId.length).putLong(step).put((byte) clientId.length)
        .put(clientId).array();
  }
}
