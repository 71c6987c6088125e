package dev.veilraft.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;

import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.crypto.proto.SealedResponse;
import dev.veilraft.crypto.seal.ClientSessions;
import dev.veilraft.crypto.seal.QueryResponseSealing;
import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The Java SDK: verifies a cluster against the client's own policy, seals each request to the
 * epoch's group key, posts it to a node and opens the sealed response. Thread-safe.
 *
 * <p>Requests are sealed in a client session ({@code ClientSession}: one HPKE context per cluster
 * and epoch, then a symmetric seal per request), re-keyed when the epoch changes or the session's
 * counters run out. {@link #sealEachRequestSeparately()} switches to one HPKE context per request
 * (the single-shot form), which clusters that predate sessions need.
 */
public final class VeilraftClient implements AutoCloseable {
  /** Attempts per request, the first included; every retry reuses the request's sequence number. */
  public static final int ATTEMPTS_MAX = 6;
  /**
   * Backoff before the first retry; it doubles for each later one (100 ms to 1.6 s, about 3 s in
   * all), which covers a leader election after a crash.
   */
  static final long RETRY_BACKOFF_MS = 100;
  static final int CLIENT_ID_BYTES = 16;
  /** Node answers after which a request may or may not have been applied. */
  /**
   * Answers after which sending the same request again is safe: it was not applied (NODE_BUSY:
   * the node's queue was full, nothing proposed; GROUP_ANSWERS_FULL: committed behind answers too
   * large for one entry, not applied) or may not have been (then exactly-once answers a retry).
   */
  private static final Set<String> RETRYABLE_CODES = Set.of("UNKNOWN_EPOCH", "COMMIT_FAILED", "NOT_READY",
      "UNREACHABLE", "NODE_BUSY", "GROUP_ANSWERS_FULL");
  private final URI baseUri;
  private final Policy policy;
  private final EvidenceVerifier verifier;
  private final Clock clock;
  private final byte[] expectedClusterId;
  private final NodeHttp http = new NodeHttp();
  /** Events go through it: several in flight share one HTTP request ({@link EventBundler}). */
  private final EventBundler events;
  private final SecureRandom random = new SecureRandom();
  private volatile ClusterDescriptions.Verified cluster;
  /** This client's identity for exactly-once requests: random, never reused by another client. */
  private final byte[] clientId = new byte[CLIENT_ID_BYTES];
  /** This client's exactly-once sequence numbers and which of them still wait for a response. */
  private final Sequences sequences = new Sequences();
  /** The sealing session of the current cluster description's epoch, re-keyed as needed. */
  private final ClientSessions sessions = new ClientSessions();
  private final AtomicLong epochRefusals = new AtomicLong();
  /** Held while the description is fetched, so concurrent refusals of an old epoch wait for one fetch. */
  private final Object refreshing = new Object();
  private final AtomicLong refreshes = new AtomicLong();
  private volatile boolean singleShot;

  private VeilraftClient(URI baseUri, Policy policy, EvidenceVerifier verifier, Clock clock, byte[] expectedClusterId) {
    this.baseUri = baseUri;
    this.policy = policy;
    this.verifier = verifier;
    this.clock = clock;
    this.expectedClusterId = expectedClusterId == null ? null : expectedClusterId.clone();
    this.events = new EventBundler(http, baseUri);
    random.nextBytes(clientId);
  }

  /**
   * Connects to a node (https://host:port) and verifies the cluster it describes against the
   * client's own policy. {@code expectedClusterId} may be null to accept any cluster that passes.
   */
  public static VeilraftClient connect(URI baseUri, Policy policy, EvidenceVerifier verifier, Clock clock,
      byte[] expectedClusterId) throws ClientException {
    VeilraftClient client = new VeilraftClient(baseUri, policy, verifier, clock, expectedClusterId);
    try {
      client.refresh();
    } catch (ClientException | RuntimeException e) {
      client.close();
      throw e;
    }
    return client;
  }

  /** Stops this client's HTTP threads; calls in flight fail. */
  @Override
  public void close() {
    http.close();
  }

  /** Fetches and verifies the cluster description again (after a key rotation). */
  public ClusterDescriptions.Verified refresh() throws ClientException {
    synchronized (refreshing) {
      refreshes.incrementAndGet();
      return fetchAndVerify();
    }
  }

  /**
   * After a request sealed to {@code sealedEpoch} was refused for its epoch: fetches the
   * description unless the client already moved to another epoch since (another refused request
   * fetched it). So the events of a bundle refused together after a key rotation cost one fetch
   * and verification, not one each; a fetch that still showed the old epoch is simply repeated by
   * the next refusal.
   */
  private void refreshAfterEpochRefusal(long sealedEpoch) throws ClientException {
    synchronized (refreshing) {
      if (cluster.body().getEpoch() != sealedEpoch) {
        return;
      }
      refresh();
    }
  }

  /** Times this client fetched and verified the cluster description (connecting included). */
  public long descriptionRefreshes() {
    return refreshes.get();
  }

  private ClusterDescriptions.Verified fetchAndVerify() throws ClientException {
    byte[] nonce = new byte[32];
    random.nextBytes(nonce);
    NodeHttp.Answer answer = http.get(baseUri.resolve("/v1/cluster?nonce=" + Hashes.hex(nonce)));
    ClusterDescriptions.Verified verified = ClusterDescriptions.verify(answer.body(), nonce, answer.tlsPeer(),
        expectedClusterId, policy, verifier, clock.instant());
    http.pin(verified.members().keySet());
    cluster = verified;
    return verified;
  }

  public ClusterDescriptions.Verified cluster() {
    return cluster;
  }

  /**
   * Seals every later request with its own HPKE context (two X25519 per request here, one per
   * request on every member) instead of in a session: for clusters whose nodes predate sessions.
   */
  public VeilraftClient sealEachRequestSeparately() {
    singleShot = true;
    return this;
  }

  /**
   * Sets how many event requests this client keeps unanswered at once (default {@value
   * EventBundler#REQUESTS_IN_FLIGHT_MAX}, at most {@link NodeHttp#ASYNC_REQUESTS_IN_FLIGHT_MAX});
   * events beyond wait and go together, as one bundle, when an answer frees a request. More
   * requests let each event go sooner when a few wait; fewer put more events into each request,
   * which costs the client and the node less CPU per event (measured: 4 did more puts per second
   * than 2 or 16 at 256 in flight, bench/README.md).
   */
  public VeilraftClient eventRequestsInFlightMax(int max) {
    events.requestsInFlightMax(max);
    return this;
  }

  private enum Kind { EVENT, QUERY }

  /** Seals one event or query to the epoch of {@code c}: in this client's session, or single-shot. */
  private EventSealing.ClientSealed seal(ClusterDescriptions.Verified c, Kind kind, byte[] plaintext)
      throws CryptoException {
    byte[] groupKey = c.body().getGroupPublicKey().toByteArray();
    long epoch = c.body().getEpoch();
    if (singleShot) {
      return kind == Kind.EVENT ? EventSealing.sealRequest(groupKey, c.clusterId(), epoch, plaintext)
          : EventSealing.sealQuery(groupKey, c.clusterId(), epoch, plaintext);
    }
    // A new session on a new epoch, group key or when the counters run out (also when another
    // thread took the last counter first): see ClientSessions.
    return sessions.seal(groupKey, c.clusterId(), epoch,
        kind == Kind.EVENT ? ClientSessions.Kind.EVENT : ClientSessions.Kind.QUERY, plaintext);
  }

  /**
   * Starts a new sealing session for the next request (a fresh HPKE context): for a client that
   * wants its requests spread over more, shorter sessions than one per epoch.
   */
  public void newSession() {
    sessions.startNewSession();
  }

  /** Sealing sessions this client started so far: each key rotation it noticed adds one. */
  public long sessionsStarted() {
    return sessions.sessionsStarted();
  }

  /** Requests a node refused because they were sealed to a replaced epoch (each then re-keyed and retried). */
  public long epochRefusals() {
    return epochRefusals.get();
  }

  /** Sends one request to an app and returns its response bytes. */
  public byte[] call(String app, byte[] request) throws ClientException {
    return join(callAsync(app, request));
  }

  /**
   * Sends one request, exactly once: it carries this client's id and a fresh sequence number, and
   * a retry (after a lost connection, a commit that failed over to a new leader, or a key
   * rotation since we looked) reuses them, so the cluster applies it at most once and answers a
   * retry with the recorded result. Up to {@link #ATTEMPTS_MAX} attempts, with short backoff.
   */
  public CompletableFuture<byte[]> callAsync(String app, byte[] request) {
    long sequence = sequences.take(1);
    return attempts(() -> sendEvent(app, request, sequence), 1)
        .whenComplete((response, error) -> sequences.done(sequence));
  }

  /** Sends several requests to an app in one sealed request and one log entry; see {@link #callBatchAsync}. */
  public List<EventResult> callBatch(String app, List<byte[]> requests) throws ClientException {
    try {
      return callBatchAsync(app, requests).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof ClientException ce) {
        throw ce;
      }
      throw new ClientException("FAILED", String.valueOf(e.getCause()), e.getCause());
    }
  }

  /**
   * Sends several requests in one batch: one sealing, one log entry, applied in order. Each
   * request keeps its own sequence number, so a retried batch is applied at most once per
   * request, and gets its own result (OK with the response, or REJECTED with the reason). The
   * cluster bounds the batch (limits.batch_events_max) and its size (limits.event_bytes_max).
   */
  public CompletableFuture<List<EventResult>> callBatchAsync(String app, List<byte[]> requests) {
    if (requests.isEmpty()) {
      return CompletableFuture.completedFuture(List.of());
    }
    long first = sequences.take(requests.size());
    return attempts(() -> sendBatch(app, requests, first), 1).thenApply(result -> {
      if (result.getBatchResultsCount() != requests.size()) {
        throw new CompletionException(new ClientException("BAD_RESPONSE", "batch of " + requests.size()
            + " requests answered with " + result.getBatchResultsCount() + " results"));
      }
      return result.getBatchResultsList();
    }).whenComplete((r, error) -> {
      for (int i = 0; i < requests.size(); i++) {
        sequences.done(first + i);
      }
    });
  }

  private CompletableFuture<EventResult> sendBatch(String app, List<byte[]> requests, long first) {
    ClusterDescriptions.Verified c = cluster;
    EventSealing.ClientSealed sealed;
    try {
      long acknowledged = sequences.acknowledgedFor(first);
      Event.Builder batch = Event.newBuilder();
      for (int i = 0; i < requests.size(); i++) {
        batch.addBatch(Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(requests.get(i)))
            .setClientId(ByteString.copyFrom(clientId)).setSequence(first + i).setAcknowledged(acknowledged));
      }
      sealed = seal(c, Kind.EVENT, batch.build().toByteArray());
    } catch (CryptoException e) {
      return CompletableFuture.failedFuture(new ClientException("SEAL_FAILED", e.getMessage(), e));
    }
    return exchangeEvent(sealed);
  }

  /** A linearizable read: reflects every write acknowledged before it. Sends no log entry. */
  public byte[] query(String app, byte[] request) throws ClientException {
    return join(queryAsync(app, request, false));
  }

  /**
   * A read-only query to the app. Linearizable unless {@code stale}: a stale read is answered by
   * the node from what it has applied, possibly missing recent writes, without asking the leader.
   */
  public CompletableFuture<byte[]> queryAsync(String app, byte[] request, boolean stale) {
    return attempts(() -> sendQuery(app, request, stale), 1);
  }

  private static byte[] join(CompletableFuture<byte[]> future) throws ClientException {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof ClientException ce) {
        throw ce;
      }
      throw new ClientException("FAILED", String.valueOf(e.getCause()), e.getCause());
    }
  }

  private <T> CompletableFuture<T> attempts(Supplier<CompletableFuture<T>> send, int attempt) {
    // The epoch the request is sealed to: send reads the same description right away.
    long sealedEpoch = cluster.body().getEpoch();
    return send.get().handle((response, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(response);
      }
      Throwable cause = error instanceof CompletionException ? error.getCause() : error;
      if (attempt >= ATTEMPTS_MAX || !retryable(cause)) {
        return CompletableFuture.<T>failedFuture(cause);
      }
      if (cause instanceof ClientException ce && ce.code().equals("UNKNOWN_EPOCH")) {
        epochRefusals.incrementAndGet();
        try {
          refreshAfterEpochRefusal(sealedEpoch);
        } catch (ClientException refreshFailed) {
          return CompletableFuture.<T>failedFuture(refreshFailed);
        }
      }
      Executor later = CompletableFuture.delayedExecutor(RETRY_BACKOFF_MS << (attempt - 1), TimeUnit.MILLISECONDS);
      return CompletableFuture.supplyAsync(() -> attempt, later).thenCompose(a -> attempts(send, a + 1));
    }).thenCompose(f -> f);
  }

  /** Failures after which the request may or may not have been applied, so it is sent again. */
  static boolean retryable(Throwable cause) {
    if (cause instanceof IOException) {
      return true;
    }
    return cause instanceof ClientException ce && RETRYABLE_CODES.contains(ce.code());
  }

  private CompletableFuture<byte[]> sendEvent(String app, byte[] request, long sequence) {
    ClusterDescriptions.Verified c = cluster;
    EventSealing.ClientSealed sealed;
    try {
      // Every sequence below the oldest one still in flight has its response: the cluster may forget them.
      long acknowledged = sequences.acknowledgedFor(sequence);
      byte[] event = Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request))
          .setClientId(ByteString.copyFrom(clientId)).setSequence(sequence).setAcknowledged(acknowledged)
          .build().toByteArray();
      sealed = seal(c, Kind.EVENT, event);
    } catch (CryptoException e) {
      return CompletableFuture.failedFuture(new ClientException("SEAL_FAILED", e.getMessage(), e));
    }
    return exchangeEvent(sealed).thenApply(result -> result.getResponse().toByteArray());
  }

  private CompletableFuture<byte[]> sendQuery(String app, byte[] request, boolean stale) {
    ClusterDescriptions.Verified c = cluster;
    EventSealing.ClientSealed sealed;
    try {
      byte[] query = Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request)).build().toByteArray();
      sealed = seal(c, Kind.QUERY, query);
    } catch (CryptoException e) {
      return CompletableFuture.failedFuture(new ClientException("SEAL_FAILED", e.getMessage(), e));
    }
    return exchangeQuery(stale ? "/v1/queries?consistency=stale" : "/v1/queries", sealed);
  }

  /** Posts a sealed query and opens its AES-GCM-SIV answer ({@link QueryResponseSealing}); a refusal fails with REJECTED. */
  private CompletableFuture<byte[]> exchangeQuery(String path, EventSealing.ClientSealed sealed) {
    return http.postAsync(baseUri.resolve(path), sealed.request().toByteArray()).thenApply(body -> {
      try {
        return opened(QueryResponseSealing.open(sealed.responseKey(), SealedResponse.parseFrom(body)))
            .getResponse().toByteArray();
      } catch (InvalidProtocolBufferException | CryptoException e) {
        throw badResponse(e);
      }
    });
  }

  /** Posts a sealed event (bundled with others in flight) and opens its AES-GCM answer, keyed by its log index. */
  private CompletableFuture<EventResult> exchangeEvent(EventSealing.ClientSealed sealed) {
    return events.post(sealed.request()).thenApply(response -> {
      try {
        return opened(EventSealing.openResponse(sealed.responseKey(), response));
      } catch (InvalidProtocolBufferException | CryptoException e) {
        throw badResponse(e);
      }
    });
  }

  private static EventResult opened(byte[] plaintext) throws InvalidProtocolBufferException {
    EventResult result = EventResult.parseFrom(plaintext);
    if (result.getStatus() != EventResult.Status.OK) {
      throw new CompletionException(new ClientException("REJECTED", result.getError()));
    }
    return result;
  }

  private static CompletionException badResponse(Exception e) {
    return new CompletionException(new ClientException("BAD_RESPONSE", "response does not open: " + e.getMessage(), e));
  }

  /** Event requests that carried several events at once, and the events they carried (see {@link EventBundler}). */
  public long eventBundlesSent() {
    return events.bundlesSent();
  }

  public long eventsBundled() {
    return events.eventsBundled();
  }

  @Override
  public String toString() {
    return "VeilraftClient{" + baseUri + ", cluster=" + (cluster == null ? "?" : Hashes.shortHex(cluster.clusterId(), 8)) + "}";
  }
}
