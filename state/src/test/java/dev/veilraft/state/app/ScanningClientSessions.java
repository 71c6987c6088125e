package dev.veilraft.state.app;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StateTransaction;
import com.google.protobuf.ByteString;
import dev.veilraft.state.proto.ClientSession;
import dev.veilraft.state.proto.KeptResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The exactly-once admission as it was before point lookups replaced the scan of acknowledged
 * results (commit 19fec53), frozen as the reference {@code ClientSessionsEquivalenceTest} compares
 * {@link ClientSessions} with; decisions and records must stay byte-identical to it. Session 31
 * moved small results into the session record (the same rule as {@link
 * ClientSessions#keepsInRecord}, restated here), and expiry records that hold the last use rounded
 * up to a minute ({@link ClientSessions#expiryStep}), and taught it that layout in the plainest way:
 * every event reads and writes the session record itself and moves the expiry record (a delete
 * and a put of the same key cancel out), every retry check reads {@code sys/session-results},
 * every acknowledgement scans it and every expiry scans the expiry records.
 * {@link ClientSessions} skips those reads when the session's counts say they would find nothing,
 * and writes each session once per entry; the equivalence test shows that changes nothing. Its
 * original documentation follows.
 *
 * <p>Exactly-once requests. Each client names itself (a random id) and numbers its requests; the
 * result of every request is kept until the client acknowledges it, so a retried request —
 * after a timeout, a leader change, a lost response — returns the recorded result instead of
 * being applied again. A client may have several requests in flight (up to
 * the cluster's pending-per-client bound unacknowledged), committed in any order. Sessions idle for
 * {@link #SESSION_IDLE_MS_MAX} of leader time are dropped, a few per entry, so expiry is part of
 * the deterministic apply: every replica drops the same sessions at the same index.
 *
 * <p>Records: {@code sys/sessions} client id → {@link ClientSession}; {@code sys/session-results}
 * {@link #resultKey} → result; {@code sys/session-expiry} {@link #expiryKey} → empty.
 */
final class ScanningClientSessions {
  static final String SESSIONS = "sys/sessions";
  static final String RESULTS = "sys/session-results";
  static final String EXPIRY = "sys/session-expiry";
  static final int CLIENT_ID_BYTES_MIN = 16;
  static final int CLIENT_ID_BYTES_MAX = 32;
  /**
   * Unacknowledged results kept per client by default: the bound on a client's requests in
   * flight. A cluster sets its own in the genesis (limits.pending_per_client_max).
   */
  static final int PENDING_PER_CLIENT_MAX = 128;
  /** The largest per-client bound a genesis may set: one entry scans at most this many results. */
  static final int PENDING_PER_CLIENT_LIMIT = 4_096;
  /** A session unused for this long (leader time) is forgotten with its results. */
  static final long SESSION_IDLE_MS_MAX = 60L * 60 * 1000;
  /** Sessions expired per entry at most, so one entry's work stays bounded. */
  static final int EXPIRIES_PER_ENTRY_MAX = 8;
  /** Sequences are below this, so a client's results all lie before {@code resultKey(id, SEQUENCE_END)}. */
  static final long SEQUENCE_END = Long.MAX_VALUE;


  private ScanningClientSessions() {}

  /** Checks the client's numbers and says whether the request is new, a retry or refused. */
  static ClientSessions.Decision admit(StateTransaction tx, byte[] clientId, long sequence, long acknowledged, long leaderTimeMs,
      int pendingMax) throws StateException {
    if (pendingMax < 1 || pendingMax > PENDING_PER_CLIENT_LIMIT) {
      throw new IllegalArgumentException("pending-per-client bound " + pendingMax + " is outside 1.."
          + PENDING_PER_CLIENT_LIMIT);
    }
    expireIdle(tx, leaderTimeMs);
    if (clientId.length < CLIENT_ID_BYTES_MIN || clientId.length > CLIENT_ID_BYTES_MAX) {
      return new ClientSessions.Refuse("client id is " + clientId.length + " bytes; expected " + CLIENT_ID_BYTES_MIN + " to "
          + CLIENT_ID_BYTES_MAX);
    }
    if (sequence < 1 || sequence >= SEQUENCE_END || acknowledged < 0 || acknowledged > sequence) {
      return new ClientSessions.Refuse("request sequence " + Long.toUnsignedString(sequence) + " must be 1.." + (SEQUENCE_END - 1)
          + " and not below the acknowledged sequence " + Long.toUnsignedString(acknowledged));
    }
    ClientSession session = load(tx, clientId).orElse(ClientSession.getDefaultInstance());
    if (acknowledged > session.getAcknowledged()) {
      session = forgetAcknowledged(tx, clientId, session, acknowledged);
    }
    if (sequence < session.getAcknowledged()) {
      return new ClientSessions.Refuse("request sequence " + sequence + " was acknowledged already (the client acknowledged all "
          + "below " + session.getAcknowledged() + "); its result is gone");
    }
    for (KeptResult kept : session.getResultsList()) {
      if (kept.getSequence() == sequence) {
        return new ClientSessions.Replay(parseResult(kept.getResult().toByteArray()));
      }
    }
    Optional<byte[]> recorded = tx.get(RESULTS, resultKey(clientId, sequence));
    if (recorded.isPresent()) {
      return new ClientSessions.Replay(parseResult(recorded.get()));
    }
    if (session.getPending() >= pendingMax) {
      return new ClientSessions.Refuse("PENDING_LIMIT: client has " + session.getPending() + " unacknowledged requests, the most "
          + "this cluster allows (limits.pending_per_client_max = " + pendingMax + "); acknowledge received "
          + "responses first");
    }
    return new ClientSessions.Apply(session);
  }

  /** Records the result of a request {@link #admit} let through. */
  static void record(StateTransaction tx, byte[] clientId, long sequence, ClientSessions.Apply admitted, EventResult result,
      long leaderTimeMs) throws StateException {
    ClientSession before = admitted.session();
    byte[] bytes = result.toByteArray();
    ClientSession.Builder after = before.toBuilder().setPending(before.getPending() + 1).setLastMs(leaderTimeMs);
    if (bytes.length <= 128 && before.getSerializedSize() + 30 + bytes.length <= 2 * 1024) {
      after.addResults(KeptResult.newBuilder().setSequence(sequence).setResult(ByteString.copyFrom(bytes)));
    } else {
      tx.put(RESULTS, resultKey(clientId, sequence), bytes);
    }
    if (before.getLastMs() != 0) {
      tx.delete(EXPIRY, expiryKey(ceilingMinute(before.getLastMs()), clientId));
    }
    tx.put(SESSIONS, clientId, after.build().toByteArray());
    tx.put(EXPIRY, expiryKey(ceilingMinute(leaderTimeMs), clientId), new byte[0]);
  }

  private static ClientSession forgetAcknowledged(StateTransaction tx, byte[] clientId, ClientSession session,
      long acknowledged) throws StateException {
    List<KeptResult> still = new ArrayList<>();
    for (KeptResult kept : session.getResultsList()) {
      if (kept.getSequence() >= acknowledged) {
        still.add(kept);
      }
    }
    int forgotten = session.getResultsCount() - still.size();
    for (StateRecord result : tx.scan(RESULTS, resultKey(clientId, session.getAcknowledged()),
        resultKey(clientId, acknowledged), PENDING_PER_CLIENT_LIMIT)) {
      tx.delete(RESULTS, result.key());
      forgotten++;
    }
    ClientSession updated = session.toBuilder().setAcknowledged(acknowledged)
        .setPending(Math.max(0, session.getPending() - forgotten)).clearResults().addAllResults(still).build();
    tx.put(SESSIONS, clientId, updated.toByteArray());
    return updated;
  }

  private static void expireIdle(StateTransaction tx, long leaderTimeMs) throws StateException {
    long cutoff = leaderTimeMs - SESSION_IDLE_MS_MAX;
    if (cutoff <= 0) {
      return;
    }
    for (StateRecord idle : tx.scan(EXPIRY, null, Hashes.u64(cutoff), EXPIRIES_PER_ENTRY_MAX)) {
      byte[] clientId = Arrays.copyOfRange(idle.key(), Long.BYTES + 1, idle.key().length);
      for (StateRecord result : tx.scan(RESULTS, resultKey(clientId, 0), resultKey(clientId, SEQUENCE_END),
          PENDING_PER_CLIENT_LIMIT)) {
        tx.delete(RESULTS, result.key());
      }
      tx.delete(SESSIONS, clientId);
      tx.delete(EXPIRY, idle.key());
    }
  }

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

  /** The last use rounded up to a whole minute, which the expiry record holds. */
  private static long ceilingMinute(long ms) {
    return ms > Long.MAX_VALUE - 60_000 ? Long.MAX_VALUE : Math.floorDiv(ms + 59_999, 60_000) * 60_000;
  }

  /** u64 last time ‖ u8 length ‖ client id: idle sessions come first in a scan. */
  static byte[] expiryKey(long lastMs, byte[] clientId) {
    return ByteBuffer.allocate(Long.BYTES + 1 + clientId.length).putLong(lastMs).put((byte) clientId.length)
        .put(clientId).array();
  }
}
