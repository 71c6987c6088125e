package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hpke;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A replica's side of client sessions: opens session-form requests, remembering the keys each
 * session's HPKE context exports so that only the first request of a session (or one whose
 * session was evicted) pays the HPKE decapsulation. The cache is a memo of a pure function of
 * (epoch secret, cluster id, encapsulated key): a hit and a miss give the same bytes, so replicas
 * with different cache contents never diverge. Bounded ({@link #SESSIONS_MAX}, least recently used
 * evicted). Thread-safe (the apply thread and query threads share it).
 */
public final class SessionKeyCache {
  /** Sessions whose keys are remembered; ~200 bytes each. */
  public static final int SESSIONS_MAX = 4096;

  private record Entry(long epoch, byte[] keyId, byte[] clusterId, byte[] encapsulatedKey) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.epoch == epoch && Arrays.equals(e.keyId, keyId)
          && Arrays.equals(e.clusterId, clusterId) && Arrays.equals(e.encapsulatedKey, encapsulatedKey);
    }

    @Override
    public int hashCode() {
      return Long.hashCode(epoch) * 31 + Arrays.hashCode(encapsulatedKey);
    }
  }

  private final int capacity;
  private final Map<Entry, SessionSealing.SessionKeys> keys;
  private long hits;
  private long misses;

  public SessionKeyCache() {
    this(SESSIONS_MAX);
  }

  SessionKeyCache(int capacity) {
    dev.veilraft.crypto.Check.argument(capacity >= 1, "session cache capacity must be >= 1, got " + capacity);
    this.capacity = capacity;
    this.keys = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Entry, SessionSealing.SessionKeys> eldest) {
        return size() > SessionKeyCache.this.capacity;
      }
    };
  }

  /** Opens a session-form event with the epoch's group key. */
  public EventSealing.Opened openEvent(EpochSecret secret, byte[] clusterId, SealedRequest request)
      throws CryptoException {
    return open(secret, clusterId, request, SessionSealing.Kind.EVENT);
  }

  /** Opens a session-form query with the epoch's group key. */
  public EventSealing.Opened openQuery(EpochSecret secret, byte[] clusterId, SealedRequest request)
      throws CryptoException {
    return open(secret, clusterId, request, SessionSealing.Kind.QUERY);
  }

  private EventSealing.Opened open(EpochSecret secret, byte[] clusterId, SealedRequest request,
      SessionSealing.Kind kind) throws CryptoException {
    long counter = request.getSessionCounter();
    SessionSealing.checkCounter(counter);
    if (request.getEpoch() != secret.epoch()) {
      throw new CryptoException("session request is for epoch " + request.getEpoch() + ", the key is epoch "
          + secret.epoch());
    }
    SessionSealing.SessionKeys session = sessionKeys(secret, clusterId, request.getEncapsulatedKey().toByteArray());
    byte[] ciphertext = request.getCiphertext().toByteArray();
    byte[] event = SessionSealing.openRequest(session.requestKey(), clusterId, secret.epoch(), kind, counter,
        ciphertext);
    return new EventSealing.Opened(event, SessionSealing.responseKey(session.responseSecret(), kind, counter,
        ciphertext));
  }

  private SessionSealing.SessionKeys sessionKeys(EpochSecret secret, byte[] clusterId, byte[] encapsulatedKey)
      throws CryptoException {
    Entry entry = new Entry(secret.epoch(), secret.keyId(), clusterId.clone(), encapsulatedKey);
    synchronized (this) {
      SessionSealing.SessionKeys known = keys.get(entry);
      if (known != null) {
        hits++;
        return known;
      }
      misses++;
    }
    // Outside the lock: the decapsulation is the expensive part, and two threads computing the
    // same keys at once get the same bytes.
    SessionSealing.SessionKeys computed = SessionSealing.export(Hpke.receiver(secret.groupKeyPair(), encapsulatedKey,
        SessionSealing.sessionInfo(clusterId, secret.epoch())));
    synchronized (this) {
      keys.put(entry, computed);
    }
    return computed;
  }

  /** Forgets every session of epochs before {@code epoch} (their secret is being erased). */
  public synchronized void forgetEpochsBefore(long epoch) {
    keys.keySet().removeIf(e -> e.epoch < epoch);
  }

  public synchronized int size() {
    return keys.size();
  }

  /** Requests whose session keys were remembered / had to be computed, since this cache was made. */
  public synchronized long hits() {
    return hits;
  }

  public synchronized long misses() {
    return misses;
  }

  @Override
  public synchronized String toString() {
    return "SessionKeyCache{sessions=" + keys.size() + "/" + capacity + ", hits=" + hits + ", misses=" + misses + "}";
  }
}
