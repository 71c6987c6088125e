package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.Hkdf;
import dev.veilraft.crypto.Hpke;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session form of sealed requests: one HPKE context per (cluster, epoch) on the client, many
 * requests under keys exported from it, so HPKE's two X25519 operations are paid once per session
 * instead of once per request (and, on every replica, once per session thanks to
 * {@link SessionKeyCache}). Both directions live here so client and replica cannot drift apart;
 * DESIGN.md "Client sessions" gives the reasoning.
 *
 * <ul>
 *   <li>HPKE info = {@code "veilraft/session/v1" || cluster id || epoch}: a session context is
 *       never a single-shot event's or query's.</li>
 *   <li>Exported: the request key ({@code "veilraft/session/request/v1"}, 32 bytes) and the
 *       response secret ({@code "veilraft/session/response/v1"}, 32 bytes).</li>
 *   <li>Request: AES-256-GCM-SIV (RFC 8452) under the request key, nonce = {@code 0x000000 || kind
 *       || u64 counter}, AAD = {@code "veilraft/session/v1" || cluster id || epoch || kind || u64
 *       counter}. GCM-SIV because it is misuse resistant: were a counter ever used twice, an
 *       observer would learn only whether the two plaintexts are equal.</li>
 *   <li>Response key = HKDF-SHA256(response secret, info = {@code "veilraft/session/response-key/v1"
 *       || kind || u64 counter || SHA-256(request ciphertext)}): one key per distinct request, so
 *       the response's nonce from the log index ({@code EventSealing.sealResponse}) never repeats
 *       under one key with another plaintext.</li>
 * </ul>
 */
public final class SessionSealing {
  /** Requests per session: the counter runs from 1 to this; the client then sets up a new session. */
  public static final long COUNTER_MAX = (1L << 32) - 1;
  static final int KEY_BYTES = AesGcmSiv.KEY_BYTES;
  private static final int NONCE_BYTES = AesGcmSiv.NONCE_BYTES;
  private static final byte[] SESSION_LABEL = Hashes.utf8("veilraft/session/v1");
  private static final byte[] REQUEST_KEY_LABEL = Hashes.utf8("veilraft/session/request/v1");
  private static final byte[] RESPONSE_SECRET_LABEL = Hashes.utf8("veilraft/session/response/v1");
  private static final byte[] RESPONSE_KEY_LABEL = Hashes.utf8("veilraft/session/response-key/v1");

  /** What a request is: an event for the log or a read-only query. Bound into nonce, AAD and response key. */
  public enum Kind {
    EVENT((byte) 1),
    QUERY((byte) 2);

    final byte code;

    Kind(byte code) {
      this.code = code;
    }
  }

  /** The two secrets a session's HPKE context exports. */
  record SessionKeys(byte[] requestKey, byte[] responseSecret) {}

  private SessionSealing() {}

  /** HPKE info of a session: label || cluster id || epoch. */
  public static byte[] sessionInfo(byte[] clusterId, long epoch) {
    return Hashes.concat(SESSION_LABEL, clusterId, Hashes.u64(epoch));
  }

  static SessionKeys export(Hpke.Sender sender) {
    return new SessionKeys(sender.export(REQUEST_KEY_LABEL, KEY_BYTES),
        sender.export(RESPONSE_SECRET_LABEL, KEY_BYTES));
  }

  static SessionKeys export(Hpke.Receiver receiver) {
    return new SessionKeys(receiver.export(REQUEST_KEY_LABEL, KEY_BYTES),
        receiver.export(RESPONSE_SECRET_LABEL, KEY_BYTES));
  }

  /** Refuses a counter outside 1..{@link #COUNTER_MAX}, naming it. */
  static void checkCounter(long counter) throws CryptoException {
    if (counter < 1 || counter > COUNTER_MAX) {
      throw new CryptoException("session counter " + Long.toUnsignedString(counter) + " is outside 1.." + COUNTER_MAX);
    }
  }

  static byte[] requestNonce(Kind kind, long counter) {
    byte[] nonce = new byte[NONCE_BYTES];
    nonce[3] = kind.code;
    System.arraycopy(Hashes.u64(counter), 0, nonce, 4, 8);
    return nonce;
  }

  static byte[] requestAad(byte[] clusterId, long epoch, Kind kind, long counter) {
    return Hashes.concat(SESSION_LABEL, clusterId, Hashes.u64(epoch), new byte[] {kind.code}, Hashes.u64(counter));
  }

  /** The key of the response to one request: bound to its kind, counter and exact ciphertext. */
  static byte[] responseKey(byte[] responseSecret, Kind kind, long counter, byte[] requestCiphertext) {
    return responseKeyOfHash(responseSecret, kind, counter, Hashes.sha256(requestCiphertext));
  }

  /** {@link #responseKey} from the SHA-256 of the request's ciphertext. */
  static byte[] responseKeyOfHash(byte[] responseSecret, Kind kind, long counter, byte[] requestCiphertextHash) {
    byte[] info = Hashes.concat(RESPONSE_KEY_LABEL, new byte[] {kind.code}, Hashes.u64(counter),
        requestCiphertextHash);
    return Hkdf.sha256(responseSecret, new byte[0], info, KEY_BYTES);
  }

  /**
   * {@link #responseKey} of one request, derived on the first {@link #get} and kept. Small, since a
   * follower's Ratis retry cache holds one per unsealed answer for its expiry: the session's
   * response secret (shared) and its epoch's {@link EpochSessions}, the kind, the counter and the
   * ciphertext's SHA-256 as four longs. Once the epoch's secrets are erased, a key not derived yet
   * never will be: {@link #get} throws {@link EpochSecretsErasedException}.
   */
  static final class ResponseKeyLater implements Supplier<byte[]> {
    private EpochSessions epochSessions;
    private byte[] responseSecret;
    private final Kind kind;
    private final long counter;
    private final long hash0;
    private final long hash1;
    private final long hash2;
    private final long hash3;
    private byte[] key;

    ResponseKeyLater(EpochSessions epochSessions, byte[] responseSecret, Kind kind, long counter,
        byte[] requestCiphertext) {
      byte[] hash = Hashes.sha256(requestCiphertext);
      this.epochSessions = epochSessions;
      this.responseSecret = responseSecret;
      this.kind = kind;
      this.counter = counter;
      this.hash0 = (long) BE_LONG.get(hash, 0);
      this.hash1 = (long) BE_LONG.get(hash, 8);
      this.hash2 = (long) BE_LONG.get(hash, 16);
      this.hash3 = (long) BE_LONG.get(hash, 24);
    }

    @Override
    public synchronized byte[] get() {
      if (key == null) {
        byte[] hash = new byte[32];
        BE_LONG.set(hash, 0, hash0);
        BE_LONG.set(hash, 8, hash1);
        BE_LONG.set(hash, 16, hash2);
        BE_LONG.set(hash, 24, hash3);
        key = epochSessions.derive(responseSecret, secret -> responseKeyOfHash(secret, kind, counter, hash));
        responseSecret = null;
        epochSessions = null;
      }
      return key;
    }
  }

  private static final VarHandle BE_LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  /**
   * Seals a session request; while {@code keepKey} says so (asked under this thread's AES monitor,
   * which {@link #forgetKeptKey} also takes), this thread keeps the request key expanded for the
   * session's next requests ({@link ClientSession#retire} scrubs it).
   */
  static byte[] sealRequest(byte[] requestKey, BooleanSupplier keepKey, byte[] clusterId, long epoch, Kind kind,
      long counter, byte[] plaintext) {
    try {
      return gcmSiv(true, requestKey, keepKey, requestNonce(kind, counter), requestAad(clusterId, epoch, kind, counter),
          plaintext);
    } catch (InvalidCipherTextException e) {
      throw new IllegalStateException("AES-GCM-SIV encryption failed", e);
    }
  }

  /**
   * Opens a session request; {@code keepKey}: this thread keeps the request key expanded for the
   * session's next requests (an established session's events on a replica's apply thread).
   */
  static byte[] openRequest(byte[] requestKey, byte[] clusterId, long epoch, Kind kind, long counter,
      byte[] ciphertext, boolean keepKey) throws CryptoException {
    try {
      return gcmSiv(false, requestKey, keepKey, requestNonce(kind, counter),
          requestAad(clusterId, epoch, kind, counter), ciphertext);
    } catch (JdkAesBlockCipher.Unavailable e) {
      // This JVM cannot run AES: a local failure, which must not read as a verdict on the request.
      throw e;
    } catch (InvalidCipherTextException | RuntimeException e) {
      throw new CryptoException("session request does not open (altered, another session, counter or kind)");
    }
  }

  private static final BooleanSupplier KEEP = () -> true;
  private static final BooleanSupplier DO_NOT_KEEP = () -> false;

  /** Every thread's AES, held weakly: a thread's ends with it. */
  private static final java.util.Set<JdkAesBlockCipher> ADAPTERS = java.util.Collections.synchronizedSet(
      java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
  /**
   * AES-GCM-SIV on the JDK's AES, one per thread (neither is thread-safe; creating one costs
   * microseconds), its AES also in {@link #ADAPTERS} so that {@link #forgetKeptKeys} reaches every
   * thread's kept keys.
   */
  private static final ThreadLocal<AesGcmSiv> GCM_SIV = ThreadLocal.withInitial(() -> {
    JdkAesBlockCipher aes = new JdkAesBlockCipher();
    ADAPTERS.add(aes);
    return new AesGcmSiv(aes);
  });

  /** This thread's AES under GCM-SIV, for tests. */
  static JdkAesBlockCipher thisThreadsAes() {
    return GCM_SIV.get().aes();
  }

  private static final Logger LOG = LoggerFactory.getLogger(SessionSealing.class);
  /** A native failure is logged once: the messages it affects run in Java, and say nothing more each. */
  private static final AtomicBoolean NATIVE_FAILURE_LOGGED = new AtomicBoolean();

  /**
   * Where this JVM runs AES-GCM-SIV: {@code native} (Conscrypt's BoringSSL) or {@code java}. The
   * first call decides it (and logs which and why): a node asks at start.
   */
  public static String gcmSivImplementation() {
    return NativeGcmSiv.available() ? "native" : "java";
  }

  /** Whether this thread runs GCM-SIV in Java even where it could run natively: tests of the Java path only. */
  private static final ThreadLocal<Boolean> JAVA_ON_THIS_THREAD = ThreadLocal.withInitial(() -> false);

  /** Runs this thread's GCM-SIV in Java ({@code true}) or, where available, natively: for tests of the Java path. */
  static void javaOnThisThreadForTest(boolean java) {
    JAVA_ON_THIS_THREAD.set(java);
  }

  /**
   * Scrubs every session key any thread keeps expanded ({@link JdkAesBlockCipher#forgetKept}): called
   * when an epoch's secrets are erased. Keys of the current epoch are kept again at their sessions'
   * next requests. (The native cipher keeps no key past a message.)
   */
  public static void forgetKeptKeys() {
    List<JdkAesBlockCipher> all;
    synchronized (ADAPTERS) {
      all = new ArrayList<>(ADAPTERS);
    }
    for (JdkAesBlockCipher aes : all) {
      synchronized (aes) {
        aes.forgetKept();
      }
    }
  }

  /**
   * Scrubs {@code key} from every thread that keeps it expanded: a client session that is no
   * longer used ({@link ClientSession#retire}). Other kept keys stay.
   */
  static void forgetKeptKey(byte[] key) {
    List<JdkAesBlockCipher> all;
    synchronized (ADAPTERS) {
      all = new ArrayList<>(ADAPTERS);
    }
    for (JdkAesBlockCipher aes : all) {
      synchronized (aes) {
        aes.forget(key);
      }
    }
  }

  /** AES-256-GCM-SIV under a key used for one message (or a few): not kept expanded. */
  static byte[] gcmSiv(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input)
      throws InvalidCipherTextException {
    return gcmSiv(encrypt, key, false, nonce, aad, input);
  }

  /**
   * AES-256-GCM-SIV; {@code sessionKey}: the key seals many messages (a session's request key), so
   * this thread keeps it expanded ({@link JdkAesBlockCipher#keep}).
   */
  static byte[] gcmSiv(boolean encrypt, byte[] key, boolean sessionKey, byte[] nonce, byte[] aad, byte[] input)
      throws InvalidCipherTextException {
    return gcmSiv(encrypt, key, sessionKey ? KEEP : DO_NOT_KEEP, nonce, aad, input);
  }

  /**
   * AES-256-GCM-SIV: natively where Conscrypt loads ({@link NativeGcmSiv}, which keeps no key past
   * the message), else in Java, keeping {@code key} expanded on this thread when {@code keepKey},
   * asked under its AES monitor, says so.
   */
  private static byte[] gcmSiv(boolean encrypt, byte[] key, BooleanSupplier keepKey, byte[] nonce, byte[] aad,
      byte[] input) throws InvalidCipherTextException {
    if (NativeGcmSiv.available() && !JAVA_ON_THIS_THREAD.get()) {
      NativeGcmSiv cipher = NativeGcmSiv.get();
      try {
        return encrypt ? cipher.seal(key, nonce, aad, input) : cipher.open(key, nonce, aad, input);
      } catch (NativeGcmSiv.Failed e) {
        // This JVM's failure, not the message's: the Java implementation gives the same bytes or refusal, so
        // a replica whose native cipher fails still judges the message as every other replica does.
        if (NATIVE_FAILURE_LOGGED.compareAndSet(false, true)) {
          LOG.warn("native AES-GCM-SIV failed ({}); such messages run in Java", String.valueOf(e.getCause()));
        }
      }
    }
    AesGcmSiv cipher = GCM_SIV.get();
    JdkAesBlockCipher aes = cipher.aes();
    synchronized (aes) {
      if (keepKey.getAsBoolean()) {
        aes.keep(key);
      }
      return encrypt ? cipher.seal(key, nonce, aad, input) : cipher.open(key, nonce, aad, input);
    }
  }
}
