package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hpke;
import dev.veilraft.crypto.proto.SealedRequest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.bouncycastle.crypto.macs.SipHash;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * A replica's side of client sessions: opens session-form requests, remembering the keys each
 * session's HPKE context exports so that only the first request of a session (or one whose
 * session was evicted) pays the HPKE decapsulation. The cache is a memo of a pure function of
 * (epoch secret, cluster id, encapsulated key): a hit and a miss give the same bytes, so replicas
 * with different cache contents never diverge. Thread-safe (the apply thread and query threads
 * share it).
 *
 * <p>Anyone holding the group public key can start sessions, and anyone can post garbage, so the
 * cache defends its established sessions: keys are remembered only after a request of the session
 * opened (authenticated); a new session waits in a small probation area ({@link #PROBATION_MAX},
 * least recently used evicted) and enters the main cache ({@link #SESSIONS_MAX}) only when a second
 * request, under another counter, opens too. One-shot sessions (honest or not) churn only the
 * probation area. Map keys hash under a per-process random key and are {@link Comparable}, so
 * chosen encapsulated keys cannot pile into one bucket. Once {@link #forgetEpochsBefore} ran, keys
 * of those epochs are never stored again, even by a query thread that computed them earlier.
 *
 * <p>Every session's keys, once a request of it opened, also belong to their epoch's {@link
 * EpochSessions}, which {@link #forgetEpochsBefore} erases: the keys are zeroed wherever they are
 * still referenced (an unsealed answer in Ratis' retry cache keeps a response secret for up to its
 * expiry), and an answer not sealed by then is refused rather than sealed.
 */
public final class SessionKeyCache {
  /** Established sessions (opened at least twice) whose keys are remembered; ~250 bytes each. */
  public static final int SESSIONS_MAX = 4096;
  /** Sessions opened once, waiting for a second request before they may displace established ones. */
  public static final int PROBATION_MAX = 1024;
  /** SipHash-2-4's key. */
  private static final int HASH_KEY_BYTES = 16;

  /**
   * Per-process random key of the map keys' hash (SipHash-2-4, made for exactly this): an attacker
   * cannot choose colliding sessions. HMAC-SHA256 did the same before and was 8% of opening a
   * session request in a follower's profile.
   */
  private static final KeyParameter BUCKET_KEY = new KeyParameter(randomKey());

  private static byte[] randomKey() {
    byte[] key = new byte[HASH_KEY_BYTES];
    new SecureRandom().nextBytes(key);
    return key;
  }

  private static int bucketHash(byte[]... parts) {
    SipHash hash = new SipHash();
    hash.init(BUCKET_KEY);
    for (byte[] part : parts) {
      hash.update(part, 0, part.length);
    }
    long h = hash.doFinal();
    return (int) (h ^ (h >>> 32));
  }

  private record Entry(long epoch, byte[] keyId, byte[] clusterId, byte[] encapsulatedKey, int hash)
      implements Comparable<Entry> {
    static Entry of(long epoch, byte[] keyId, byte[] clusterId, byte[] encapsulatedKey) {
      int h = bucketHash(Hashes.u64(epoch), Hashes.u64(keyId.length), keyId, Hashes.u64(clusterId.length),
          clusterId, encapsulatedKey);
      return new Entry(epoch, keyId, clusterId, encapsulatedKey, h);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.epoch == epoch && Arrays.equals(e.keyId, keyId)
          && Arrays.equals(e.clusterId, clusterId) && Arrays.equals(e.encapsulatedKey, encapsulatedKey);
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public int compareTo(Entry o) {
      int c = Long.compare(epoch, o.epoch);
      c = c != 0 ? c : Arrays.compare(encapsulatedKey, o.encapsulatedKey);
      c = c != 0 ? c : Arrays.compare(keyId, o.keyId);
      return c != 0 ? c : Arrays.compare(clusterId, o.clusterId);
    }
  }

  /** A session opened once: its keys and the counter of that request (a replay of it does not promote). */
  private record Probation(SessionSealing.SessionKeys keys, long firstCounter) {}

  private final int capacity;
  private final int probationCapacity;
  private final Map<Entry, SessionSealing.SessionKeys> established;
  private final Map<Entry, Probation> probation;
  /** Sessions of epochs below this were forgotten (their secret is erased) and are never stored again. */
  private long forgottenBelowEpoch;
  /** Each epoch's sessions, to erase with it; an epoch enters with its first session and leaves when forgotten. */
  private final NavigableMap<Long, EpochSessions> epochs = new TreeMap<>();
  private long hits;
  private long misses;

  public SessionKeyCache() {
    this(SESSIONS_MAX, PROBATION_MAX);
  }

  SessionKeyCache(int capacity) {
    this(capacity, PROBATION_MAX);
  }

  SessionKeyCache(int capacity, int probationCapacity) {
    Check.argument(capacity >= 1, "session cache capacity must be >= 1, got " + capacity);
    Check.argument(probationCapacity >= 1, "session probation capacity must be >= 1, got " + probationCapacity);
    this.capacity = capacity;
    this.probationCapacity = probationCapacity;
    this.established = lru(() -> this.capacity);
    this.probation = lru(() -> this.probationCapacity);
  }

  private static <V> Map<Entry, V> lru(java.util.function.IntSupplier bound) {
    return new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<Entry, V> eldest) {
        return size() > bound.getAsInt();
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
    Entry entry = Entry.of(secret.epoch(), secret.keyId(), clusterId.clone(),
        request.getEncapsulatedKey().toByteArray());
    Known known = lookup(entry);
    SessionSealing.SessionKeys session = known == null ? null : known.keys();
    if (session == null) {
      // Outside the lock: the decapsulation is the expensive part, and two threads computing the
      // same keys at once get the same bytes.
      session = SessionSealing.export(Hpke.receiver(secret.groupKeyPair(), entry.encapsulatedKey(),
          SessionSealing.sessionInfo(clusterId, secret.epoch())));
    }
    byte[] ciphertext = request.getCiphertext().toByteArray();
    // An established session's events come again and again on the apply thread: its request key stays
    // expanded there. Probation, one-shot and junk sessions, and queries (many threads), never take a place.
    boolean keepKey = kind == SessionSealing.Kind.EVENT && known != null && known.established();
    byte[] event;
    try {
      event = SessionSealing.openRequest(session.requestKey(), clusterId, secret.epoch(), kind, counter, ciphertext,
          keepKey);
    } catch (CryptoException e) {
      if (kind == SessionSealing.Kind.QUERY && forgotten(entry.epoch())) {
        // An erasure zeroed the keys this query was opened with: say so rather than blame the query.
        throw new EpochSecretsErasedException(entry.epoch());
      }
      throw e;
    }
    // Only now, authenticated, may the session take a place in the cache, and keys computed for it
    // join their epoch's erasure.
    EpochSessions epochSessions = remember(entry, session, counter, known == null);
    // The response key is derived only if the answer is sealed: a follower, which answers nobody,
    // never derives it. The hash binds it to this ciphertext now (the ciphertext itself is not kept).
    return EventSealing.Opened.deriving(event,
        new SessionSealing.ResponseKeyLater(epochSessions, session.responseSecret(), kind, counter, ciphertext));
  }

  private synchronized boolean forgotten(long epoch) {
    return epoch < forgottenBelowEpoch;
  }

  /** A remembered session's keys, and whether it is established (opened under two counters) or on probation. */
  private record Known(SessionSealing.SessionKeys keys, boolean established) {}

  private synchronized Known lookup(Entry entry) {
    SessionSealing.SessionKeys keys = established.get(entry);
    Known known = keys == null ? null : new Known(keys, true);
    if (known == null) {
      Probation waiting = probation.get(entry);
      known = waiting == null ? null : new Known(waiting.keys(), false);
    }
    if (known != null) {
      hits++;
    } else {
      misses++;
    }
    return known;
  }

  /**
   * Remembers an authenticated session's keys (unless its epoch was forgotten) and returns its
   * epoch's erasure; {@code computed}: the keys were exported for this request, so they join that
   * erasure (zeroed at once if it already ran, before any answer could derive from them).
   */
  private synchronized EpochSessions remember(Entry entry, SessionSealing.SessionKeys session, long counter,
      boolean computed) {
    EpochSessions epochSessions = entry.epoch() < forgottenBelowEpoch ? EpochSessions.erased(entry.epoch())
        : epochs.computeIfAbsent(entry.epoch(), EpochSessions::new);
    if (computed) {
      epochSessions.adopt(session);
    }
    if (entry.epoch() < forgottenBelowEpoch || established.get(entry) != null) {
      return epochSessions;
    }
    Probation waiting = probation.get(entry);
    if (waiting == null) {
      probation.put(entry, new Probation(session, counter));
    } else if (waiting.firstCounter() != counter) {
      probation.remove(entry);
      established.put(entry, session);
    }
    return epochSessions;
  }

  /**
   * Forgets every session of epochs before {@code epoch} (their secret is being erased), for good:
   * zeroes their keys wherever they are still held ({@link EpochSessions#erase}; an answer not
   * sealed yet is then refused) and scrubs the request keys threads keep expanded ({@link
   * SessionSealing#forgetKeptKeys}).
   */
  public void forgetEpochsBefore(long epoch) {
    List<EpochSessions> erased;
    synchronized (this) {
      forgottenBelowEpoch = Math.max(forgottenBelowEpoch, epoch);
      established.keySet().removeIf(e -> e.epoch() < epoch);
      probation.keySet().removeIf(e -> e.epoch() < epoch);
      Map<Long, EpochSessions> before = epochs.headMap(epoch);
      erased = new ArrayList<>(before.values());
      before.clear();
    }
    // Outside the cache's lock: an erasure waits for derivations in progress, which need no cache.
    for (EpochSessions sessions : erased) {
      sessions.erase();
    }
    SessionSealing.forgetKeptKeys();
  }

  /** The erasure of {@code epoch}'s sessions, while the epoch has sessions and is not forgotten (tests). */
  synchronized EpochSessions epochSessions(long epoch) {
    return epochs.get(epoch);
  }

  /** Sessions remembered: established ones and those on probation. */
  public synchronized int size() {
    return established.size() + probation.size();
  }

  /** Established sessions (opened under two counters) only. */
  public synchronized int establishedSize() {
    return established.size();
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
    return "SessionKeyCache{sessions=" + established.size() + "/" + capacity + ", probation=" + probation.size() + "/"
        + probationCapacity + ", hits=" + hits + ", misses=" + misses + "}";
  }
}
