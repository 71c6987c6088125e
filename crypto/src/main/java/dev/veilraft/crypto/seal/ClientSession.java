package dev.veilraft.crypto.seal;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hpke;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A client's sealing session with one cluster in one epoch: one HPKE context set up when it is
 * made, then {@link #seal} per request with the next counter. The counter is the session's, not a
 * request's: every call takes a fresh one (a retry is sealed again under a new counter; exactly-once
 * rests on the event's client id and sequence inside), so no counter ever carries two plaintexts.
 * Thread-safe. Make a new session on a new epoch or when {@link #exhausted()}; {@link ClientSessions}
 * does both, and retries a seal that lost the race for the last counter or for the session itself.
 *
 * <p>Once retired, a session's raw request key and response secret are zeroed as soon as no seal
 * runs in it any more; a seal that starts after the retirement is refused (as exhausted), so it is
 * never sealed under a zeroed key.
 */
public final class ClientSession {
  private final byte[] clusterId;
  private final long epoch;
  private final byte[] groupPublicKey;
  private final ByteString encapsulatedKey;
  private final SessionSealing.SessionKeys keys;
  private final AtomicLong lastCounter = new AtomicLong();
  /** Set by {@link #retire}: seals still racing with it no longer keep the request key expanded. */
  private volatile boolean retired;
  private final BooleanSupplier keepKey = () -> !retired;
  /** Seals running in this session, plus {@link #RETIRED_MARK} once retired; the keys are zeroed when it is exactly that. */
  private final AtomicInteger users = new AtomicInteger();
  private static final int RETIRED_MARK = Integer.MIN_VALUE;

  private ClientSession(byte[] clusterId, long epoch, byte[] groupPublicKey, byte[] encapsulatedKey,
      SessionSealing.SessionKeys keys) {
    this.clusterId = clusterId.clone();
    this.epoch = epoch;
    this.groupPublicKey = groupPublicKey.clone();
    this.encapsulatedKey = ByteString.copyFrom(encapsulatedKey);
    this.keys = keys;
  }

  /** Sets up a session to the epoch's group public key (one HPKE encapsulation: two X25519). */
  public static ClientSession start(byte[] groupPublicKey, byte[] clusterId, long epoch) throws CryptoException {
    Hpke.Sender sender = Hpke.sender(groupPublicKey, SessionSealing.sessionInfo(clusterId, epoch));
    return new ClientSession(clusterId, epoch, groupPublicKey, sender.encapsulatedKey(), SessionSealing.export(sender));
  }

  public long epoch() {
    return epoch;
  }

  /** True when this session was set up for exactly this cluster, epoch and group key. */
  public boolean isFor(byte[] clusterId, long epoch, byte[] groupPublicKey) {
    return this.epoch == epoch && Arrays.equals(this.clusterId, clusterId)
        && Arrays.equals(this.groupPublicKey, groupPublicKey);
  }

  /**
   * The session is no longer used ({@link ClientSessions} dropped or replaced it): scrubs its
   * request key from every thread that keeps it expanded. A seal still running in it keeps the key
   * no more: it checks this flag under the same monitor the scrub takes.
   */
  synchronized void retire() {
    if (retired) {
      return;
    }
    retired = true;
    // Scrub before marking: once marked, the last seal out may zero the raw key, and the scrub finds
    // the threads' kept copies by comparing with that key.
    SessionSealing.forgetKeptKey(keys.requestKey());
    if (users.getAndAdd(RETIRED_MARK) == 0) {
      zeroKeys();
    }
  }

  /** Counts a seal in, unless the session is retired. */
  boolean enter() {
    while (true) {
      int u = users.get();
      if (u < 0) {
        return false;
      }
      if (users.compareAndSet(u, u + 1)) {
        return true;
      }
    }
  }

  /** Counts a seal out; the last one out of a retired session zeroes its keys. */
  void exit() {
    if (users.decrementAndGet() == RETIRED_MARK) {
      zeroKeys();
    }
  }

  private void zeroKeys() {
    Arrays.fill(keys.requestKey(), (byte) 0);
    Arrays.fill(keys.responseSecret(), (byte) 0);
  }

  /** For tests: whether the raw keys are zeroed. */
  boolean keysZeroed() {
    byte[] zeros = new byte[keys.requestKey().length];
    return Arrays.equals(keys.requestKey(), zeros) && Arrays.equals(keys.responseSecret(), zeros);
  }

  /** True once every counter is used: {@link #seal} would refuse. */
  public boolean exhausted() {
    return lastCounter.get() >= SessionSealing.COUNTER_MAX;
  }

  /** Seals one event (for the log) under the next counter. */
  public EventSealing.ClientSealed sealEvent(byte[] event) throws CryptoException {
    return seal(SessionSealing.Kind.EVENT, event);
  }

  /** Seals one read-only query under the next counter. */
  public EventSealing.ClientSealed sealQuery(byte[] query) throws CryptoException {
    return seal(SessionSealing.Kind.QUERY, query);
  }

  private EventSealing.ClientSealed seal(SessionSealing.Kind kind, byte[] plaintext) throws CryptoException {
    if (!enter()) {
      throw new SessionExhaustedException("session retired: it was dropped or replaced and its keys are erased;"
          + " seal in the current session");
    }
    try {
      return sealEntered(kind, plaintext);
    } finally {
      exit();
    }
  }

  /** Seals with the session already entered ({@link #enter}); package-private for the retirement race's test. */
  EventSealing.ClientSealed sealEntered(SessionSealing.Kind kind, byte[] plaintext) throws CryptoException {
    long counter = lastCounter.incrementAndGet();
    if (counter > SessionSealing.COUNTER_MAX) {
      lastCounter.set(SessionSealing.COUNTER_MAX);
      throw new SessionExhaustedException("session exhausted: all " + SessionSealing.COUNTER_MAX
          + " counters are used; start a new session");
    }
    byte[] ciphertext = SessionSealing.sealRequest(keys.requestKey(), keepKey, clusterId, epoch, kind, counter,
        plaintext);
    SealedRequest request = SealedRequest.newBuilder()
        .setClusterId(ByteString.copyFrom(clusterId))
        .setEpoch(epoch)
        .setEncapsulatedKey(encapsulatedKey)
        .setCiphertext(ByteString.copyFrom(ciphertext))
        .setSessionCounter(counter)
        .build();
    return new EventSealing.ClientSealed(request,
        SessionSealing.responseKey(keys.responseSecret(), kind, counter, ciphertext));
  }

  /** For tests of counter exhaustion only: the next seal uses counter {@code last + 1}. */
  void skipToCounterForTest(long last) {
    lastCounter.set(last);
  }

  @Override
  public String toString() {
    return "ClientSession{epoch=" + epoch + ", counter=" + lastCounter.get() + "}";
  }
}
