package dev.veilraft.apps.nostr;

import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.CommittedListener;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Nostr relay front end (NIP-01, NIP-09, NIP-11, NIP-42), independent of the
 * transport: the node opens a {@link RelayConnection} per WebSocket, serves {@link
 * #informationDocument} for NIP-11, and registers this relay as the nostr app's {@link
 * CommittedListener}. Events are committed through {@link AppGateway#submit} and answered with the
 * replicated result; stored events come from this node's replica ({@link AppGateway#query},
 * not linearizable); live events come from {@link #committed}, which every node sees for every
 * event, whichever node it was published through.
 *
 * <p>The caller's duties: call {@link #committed} after the entry's writes are visible to queries
 * (so a REQ registered after the call finds the event stored); size the transport's frame limit
 * above {@link RelaySettings.Limits#messageBytesMax}; call {@link RelayConnection#onClose} when a
 * connection ends; {@link #close} at shutdown.
 */
public final class NostrRelay implements CommittedListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NostrRelay.class);
  /** WebSocket close code when the node has its most connections: 1013, try again later. */
  static final int TRY_AGAIN_LATER_CODE = 1013;
  static final int CHALLENGE_BYTES = 16;

  private final AppGateway gateway;
  private final RelaySettings settings;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Set<RelayConnection> connections = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connectionCount = new AtomicInteger();
  private final ThreadPoolExecutor fanout;
  private final ThreadPoolExecutor senders;
  /** Set when a committed event could not be queued: live subscriptions missed it and must be told. */
  private final AtomicBoolean lagged = new AtomicBoolean();
  /** The index of the last committed nostr request this relay was told of. */
  private volatile long lastCommitted;

  public NostrRelay(AppGateway gateway, RelaySettings settings, Clock clock) {
    this.gateway = gateway;
    this.settings = settings;
    this.clock = clock;
    RelaySettings.Limits limits = settings.limits();
    this.fanout = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(limits.fanoutQueueMax()), daemon("nostr-fanout"));
    // Each connection has at most one drain task queued, so the queue holds at most connectionsMax.
    this.senders = new ThreadPoolExecutor(limits.senderThreads(), limits.senderThreads(), 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(limits.connectionsMax() + 1), daemon("nostr-sender"));
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Opens a connection for a new WebSocket and sends it the NIP-42 challenge. When the node has
   * {@link RelaySettings.Limits#connectionsMax} connections the sink is closed with 1013 at once.
   */
  public RelayConnection open(RelaySink sink) {
    byte[] challenge = new byte[CHALLENGE_BYTES];
    random.nextBytes(challenge);
    RelayConnection connection = new RelayConnection(this, sink, NostrJson.hex(challenge));
    if (connectionCount.incrementAndGet() > settings.limits().connectionsMax()) {
      connectionCount.decrementAndGet();
      connection.onClose();
      try {
        sink.close(TRY_AGAIN_LATER_CODE, "try again later: this relay has its most connections ("
            + settings.limits().connectionsMax() + ")");
      } catch (RuntimeException e) {
        // The transport is gone already.
      }
      return connection;
    }
    connections.add(connection);
    connection.greet();
    return connection;
  }

  void forget(RelayConnection connection) {
    if (connections.remove(connection)) {
      connectionCount.decrementAndGet();
    }
  }

  /**
   * A request the nostr app applied on this node's replica: broadcasts the event it accepted to
   * matching live subscriptions. Returns at once; the matching runs on the fan-out thread. When its
   * queue is full the event is not dropped silently: every live subscription is then CLOSED.
   */
  @Override
  public void committed(long index, byte[] request, byte[] response) {
    lastCommitted = index;
    try {
      fanout.execute(() -> broadcast(index, response));
    } catch (RejectedExecutionException e) {
      lagged.set(true);
    }
  }

  /**
   * This node's replica installed a snapshot: the events it covers reached no live subscription,
   * so once the fan-out has sent what came before, every subscription is CLOSED (NIP-01 clients
   * subscribe again with {@code since}). Subscriptions made afterwards start from {@code index}.
   */
  @Override
  public void installed(long index) {
    lastCommitted = index;
    try {
      fanout.execute(() -> {
        log.info("nostr relay: this node installed a snapshot at index {}; closing live subscriptions", index);
        for (RelayConnection connection : connections) {
          connection.closeSubscriptions(SNAPSHOT_CLOSE_MESSAGE);
        }
      });
    } catch (RejectedExecutionException e) {
      lagged.set(true);
    }
  }

  /** CLOSED message of every subscription when the node's replica jumps ahead by a snapshot. */
  static final String SNAPSHOT_CLOSE_MESSAGE =
      "error: this relay's node caught up by a snapshot and missed live events; subscribe again with since";

  private void broadcast(long index, byte[] response) {
    try {
      RelayWire.PublishResult result = RelayWire.PublishResult.decode(response);
      if (result.eventJson() != null) {
        NostrEvent event = NostrEvent.fromJson(NostrJson.read(result.eventJson()));
        for (RelayConnection connection : connections) {
          connection.deliver(index, event, result.eventJson());
        }
      }
    } catch (RuntimeException | NostrJson.NostrJsonException | NostrEvent.InvalidEventException e) {
      // Responses come from the app itself; one that does not decode is a bug, named without its content.
      log.error("nostr relay could not broadcast a committed event: {}", e.getClass().getName());
    }
    if (lagged.getAndSet(false)) {
      log.warn("nostr relay fan-out queue overflowed ({} events); closing live subscriptions",
          settings.limits().fanoutQueueMax());
      for (RelayConnection connection : connections) {
        connection.closeSubscriptions("error: the relay fell behind on live events; subscribe again with since");
      }
    }
  }

  /**
   * The log index of the last committed request this relay was told of ({@link #committed}); a
   * subscription made now sends live only events committed after it.
   */
  long lastCommitted() {
    return lastCommitted;
  }

  /**
   * Waits until the fan-out thread has matched every event committed before this call. The
   * fan-out runs behind commits; tests that count what a connection received call this first.
   *
   * @return false when {@code timeout} passed first
   */
  boolean awaitFanOut(java.time.Duration timeout) throws InterruptedException {
    CompletableFuture<Void> drained = new CompletableFuture<>();
    try {
      fanout.execute(() -> drained.complete(null));
    } catch (RejectedExecutionException e) {
      return false;
    }
    try {
      drained.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The NIP-11 relay information document, served for {@code Accept: application/nostr+json}. */
  public byte[] informationDocument() {
    return RelayInformation.document(settings);
  }

  /** Connections open now. */
  public int connectionCount() {
    return connectionCount.get();
  }

  @Override
  public void close() {
    for (RelayConnection connection : List.copyOf(connections)) {
      connection.close(Outbox.FAILURE_CODE, "error: the relay is shutting down");
    }
    fanout.shutdownNow();
    senders.shutdownNow();
  }

  CompletableFuture<byte[]> submit(byte[] request) {
    try {
      return gateway.submit(NostrRelayApp.NAME, request);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  CompletableFuture<AppGateway.QueryAnswer> query(byte[] request) {
    try {
      return gateway.query(NostrRelayApp.NAME, request, false);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  RelaySettings settings() {
    return settings;
  }

  Clock clock() {
    return clock;
  }

  ExecutorService senders() {
    return senders;
  }
}
