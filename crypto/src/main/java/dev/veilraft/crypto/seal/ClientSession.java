package dev.veilraft.crypto.seal;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hpke;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * A client's sealing session with one cluster in one epoch: one HPKE context set up when it is
 * made, then {@link #seal} per request with the next counter. The counter is the session's, not a
 * request's: every call takes a fresh one (a retry is sealed again under a new counter; exactly-once
 * rests on the event's client id and sequence inside), so no counter ever carries two plaintexts.
 * Thread-safe. Make a new session on a new epoch or when {@link #exhausted()}; {@link ClientSessions}
 * does both, and retries a seal that lost the race for the last counter.
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
  void retire() {
    retired = true;
    SessionSealing.forgetKeptKey(keys.requestKey());
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
