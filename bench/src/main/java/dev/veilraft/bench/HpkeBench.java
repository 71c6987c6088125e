package dev.veilraft.bench;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.proto.SealedResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.NamedParameterSpec;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.crypto.KeyAgreement;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-event public-key cost: a client sealing an event to the epoch's group key (HPKE base
 * mode, X25519, HKDF-SHA256, AES-256-GCM, through Bouncy Castle: two X25519 operations), a member
 * opening it (one X25519), and the sealed response both ways (AES-GCM only). For comparison, one
 * X25519 agreement through the JDK's own provider (SunEC), which the crypto module could use instead.
 * Run: {@code java -jar bench/target/benchmarks.jar HpkeBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class HpkeBench {
  @Param({"256", "16384"})
  public int size;

  private final byte[] clusterId = new byte[32];
  private EpochSecret secret;
  private byte[] groupPublicKey;
  private byte[] event;
  private EventSealing.ClientSealed sealed;
  /** Response keys cycled by {@link #memberSealResponse}, one per answer as in apply. */
  private final byte[][] responseKeys = new byte[1024][32];
  private long responseIndex;
  /** The answer sealed under each of {@link #responseKeys}, for {@link #clientOpenResponse}. */
  private final SealedResponse[] responses = new SealedResponse[responseKeys.length];
  private long openIndex;
  private dev.veilraft.crypto.seal.ClientSession session;
  private dev.veilraft.crypto.seal.SessionKeyCache sessionKeys;
  private EventSealing.ClientSealed sessionSealed;
  private KeyPair jdkMine;
  private KeyPair jdkTheirs;

  @Setup
  public void setUp() throws Exception {
    byte[] s = new byte[EpochSecret.BYTES];
    new Random(1).nextBytes(s);
    secret = EpochSecret.restore(1, s);
    groupPublicKey = secret.groupPublicKey();
    event = new byte[size];
    new Random(size).nextBytes(event);
    sealed = EventSealing.sealRequest(groupPublicKey, clusterId, 1, event);
    Random keys = new Random(32);
    for (int i = 0; i < responseKeys.length; i++) {
      keys.nextBytes(responseKeys[i]);
      responses[i] = EventSealing.sealResponse(responseKeys[i], 1, i + 1, event);
    }
    session = dev.veilraft.crypto.seal.ClientSession.start(groupPublicKey, clusterId, 1);
    sessionKeys = new dev.veilraft.crypto.seal.SessionKeyCache();
    // Two requests under two counters: the session is established in the cache, as after a client's second request.
    sessionKeys.openEvent(secret, clusterId, session.sealEvent(event).request());
    sessionSealed = session.sealEvent(event);
    sessionKeys.openEvent(secret, clusterId, sessionSealed.request());
    KeyPairGenerator x25519 = KeyPairGenerator.getInstance("XDH");
    x25519.initialize(NamedParameterSpec.X25519);
    jdkMine = x25519.generateKeyPair();
    jdkTheirs = x25519.generateKeyPair();
  }

  @Benchmark
  public EventSealing.ClientSealed clientSealRequest() throws CryptoException {
    return EventSealing.sealRequest(groupPublicKey, clusterId, 1, event);
  }

  @Benchmark
  public EventSealing.Opened memberOpenRequest() throws CryptoException {
    return EventSealing.openRequest(secret, clusterId, sealed.request());
  }

  /** A client sealing one request in its session (AES-256-GCM-SIV and the response key's HKDF). */
  @Benchmark
  public EventSealing.ClientSealed clientSealSessionRequest() throws CryptoException {
    return session.sealEvent(event);
  }

  /** A member opening a session request of an established session (a cache hit; its request key kept expanded). */
  @Benchmark
  public EventSealing.Opened memberOpenSessionRequest() throws CryptoException {
    return sessionKeys.openEvent(secret, clusterId, sessionSealed.request());
  }

  /**
   * A member sealing an event's answer (AES-256-GCM), as apply does: every answer under its own
   * request's response key and at its own log index. Sealing twice under one (key, nonce) would
   * make the JDK refuse the reuse (and the fallback, a fresh {@code Cipher}, is not what apply
   * pays); one key throughout would skip the key expansion apply pays per answer.
   */
  @Benchmark
  public SealedResponse memberSealResponse() {
    responseIndex++;
    return EventSealing.sealResponse(responseKeys[(int) (responseIndex % responseKeys.length)], 1, responseIndex,
        event);
  }

  /** A client opening an answer, each under its own request's response key (so each pays the key expansion). */
  @Benchmark
  public byte[] clientOpenResponse() throws CryptoException {
    int i = (int) (openIndex++ % responseKeys.length);
    return EventSealing.openResponse(responseKeys[i], responses[i]);
  }

  @Benchmark
  public byte[] jdkX25519Agreement() throws Exception {
    KeyAgreement agreement = KeyAgreement.getInstance("XDH");
    agreement.init(jdkMine.getPrivate());
    agreement.doPhase(jdkTheirs.getPublic(), true);
    return agreement.generateSecret();
  }
}
