package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client's current {@link ClientSession}, re-keyed as needed: a new session when the cluster,
 * epoch or group key differs from the current one's, when its counters run out, or on request
 * ({@link #startNewSession}). Shared by the Java SDK and the node's app gateway so both re-key the
 * same way. Thread-safe.
 *
 * <p>Two threads can both see a session with one counter left; the loser's seal then finds it
 * exhausted. Likewise a seal can find the session it checked retired by a re-key in between (its
 * keys are then erased). Such a seal is sealed again in the current or a new session ({@link
 * #seal}): a caller sees "session exhausted" only if other threads re-keyed this client during each
 * of {@link #SEAL_ATTEMPTS_MAX} attempts.
 */
public final class ClientSessions {
  /** What is being sealed: an event for the log or a read-only query. */
  public enum Kind { EVENT, QUERY }

  private volatile ClientSession current;
  private final AtomicLong started = new AtomicLong();
  private final Starter starter;

  /** How a new session is made: {@link ClientSession#start}, or a test's stand-in for other threads' re-keys. */
  @FunctionalInterface
  interface Starter {
    ClientSession start(byte[] groupPublicKey, byte[] clusterId, long epoch) throws CryptoException;
  }

  public ClientSessions() {
    this(ClientSession::start);
  }

  ClientSessions(Starter starter) {
    this.starter = starter;
  }

  /** Seals one event or query in the session for this cluster, epoch and group key. */
  public EventSealing.ClientSealed seal(byte[] groupPublicKey, byte[] clusterId, long epoch, Kind kind,
      byte[] plaintext) throws CryptoException {
    return seal(sessionFor(groupPublicKey, clusterId, epoch), kind, plaintext, groupPublicKey, clusterId, epoch);
  }

  /** Seals in {@code checked}, a session found usable a moment ago; package-private for the race's test. */
  EventSealing.ClientSealed seal(ClientSession checked, Kind kind, byte[] plaintext, byte[] groupPublicKey,
      byte[] clusterId, long epoch) throws CryptoException {
    ClientSession s = checked;
    for (int attempt = 1; ; attempt++) {
      try {
        return sealIn(s, kind, plaintext);
      } catch (SessionExhaustedException e) {
        // Another thread took the last counter or re-keyed between our check and our seal: seal again in
        // the session now current (or a new one). Each retry means another re-key happened meanwhile.
        if (attempt == SEAL_ATTEMPTS_MAX) {
          throw e;
        }
        s = replaceIfCurrent(s, groupPublicKey, clusterId, epoch);
      }
    }
  }

  /** Seals tried in sessions that other threads exhausted or retired meanwhile before the failure reaches the caller. */
  static final int SEAL_ATTEMPTS_MAX = 8;

  private static EventSealing.ClientSealed sealIn(ClientSession s, Kind kind, byte[] plaintext)
      throws CryptoException {
    return kind == Kind.EVENT ? s.sealEvent(plaintext) : s.sealQuery(plaintext);
  }

  private ClientSession sessionFor(byte[] groupPublicKey, byte[] clusterId, long epoch) throws CryptoException {
    ClientSession s = current;
    if (s != null && s.isFor(clusterId, epoch, groupPublicKey) && !s.exhausted()) {
      return s;
    }
    synchronized (this) {
      s = current;
      if (s == null || !s.isFor(clusterId, epoch, groupPublicKey) || s.exhausted()) {
        s = start(groupPublicKey, clusterId, epoch);
      }
      return s;
    }
  }

  /** A new session in place of {@code stale}, unless another thread already replaced it. */
  private synchronized ClientSession replaceIfCurrent(ClientSession stale, byte[] groupPublicKey, byte[] clusterId,
      long epoch) throws CryptoException {
    ClientSession s = current;
    if (s != null && s != stale && s.isFor(clusterId, epoch, groupPublicKey) && !s.exhausted()) {
      return s;
    }
    return start(groupPublicKey, clusterId, epoch);
  }

  private ClientSession start(byte[] groupPublicKey, byte[] clusterId, long epoch) throws CryptoException {
    ClientSession s = starter.start(groupPublicKey, clusterId, epoch);
    replaceCurrent(s);
    started.incrementAndGet();
    return s;
  }

  /** Drops the current session: the next seal starts a new one (a client that wants shorter sessions). */
  public synchronized void startNewSession() {
    replaceCurrent(null);
  }

  /**
   * Drops the current session unless it is of {@code epoch}: after a rotation its keys would only
   * be refused (UNKNOWN_EPOCH), so they need not stay in memory until the next request.
   */
  public synchronized void retainOnly(long epoch) {
    ClientSession s = current;
    if (s != null && s.epoch() != epoch) {
      replaceCurrent(null);
    }
  }

  /**
   * Makes {@code next} current. A dropped session's request key stays expanded in every thread
   * that sealed with it ({@link SessionSealing#sealRequest}) until scrubbed, so it is retired
   * ({@link ClientSession#retire}): scrubbed, kept by no seal that still runs in it, and its raw
   * keys zeroed once the last such seal is done.
   */
  private synchronized void replaceCurrent(ClientSession next) {
    ClientSession old = current;
    current = next;
    if (old != null && old != next) {
      old.retire();
    }
  }

  /** The current session, or null before the first seal or after it was dropped. */
  public ClientSession current() {
    return current;
  }

  /** Sessions started so far (each a fresh HPKE context): a re-key shows up here. */
  public long sessionsStarted() {
    return started.get();
  }
}
