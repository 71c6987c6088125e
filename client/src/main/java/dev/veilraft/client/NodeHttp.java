package dev.veilraft.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.ApiError;
import java.io.IOException;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.Connection;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientConnectionFactory;
import org.eclipse.jetty.client.transport.HttpClientTransportDynamic;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.ClientConnectionFactoryOverHTTP2;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * HTTPS calls to a node's API with protobuf bodies. Errors come back as {@link ApiError} and
 * become {@link ClientException}s with the node's code. The TLS key a node presents is returned
 * with each answer so the caller can check it against the node's attested identity.
 *
 * <p>The transport is Jetty's HTTP client (HTTP/2 by ALPN, HTTP/1.1 when a node does not take
 * it). It replaced the JDK's {@code java.net.http} client, which took about 35 µs more of the
 * client's CPU per put in the cluster benchmark on the two-core benchmark machine (256-byte puts,
 * 64 and 256 in flight). Its threads are daemons and idle ones end; {@link #close} stops them (an
 * instance never closed keeps its selector and timeout threads).
 */
public final class NodeHttp implements AutoCloseable {
  public static final String PROTOBUF = "application/x-protobuf";
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** Which HTTP version to ask a node for. */
  public enum Protocol {
    /**
     * HTTP/2 offered by ALPN, HTTP/1.1 when the node does not take it: every request to a node
     * shares one TLS connection (streams), instead of one connection per request in flight.
     */
    HTTP_2,
    /** HTTP/1.1 only: one TLS connection per request in flight, each kept for the next request. */
    HTTP_1_1
  }

  /**
   * Asynchronous requests in flight at once; more wait in this client, in order, for one to end.
   * Over HTTP/2 every request to a node is a stream of one connection, limited by the node (256
   * streams on veilraft nodes); this keeps well below it, and at the cluster's default
   * pending-per-client bound, which a client cannot usefully exceed anyway.
   */
  public static final int ASYNC_REQUESTS_IN_FLIGHT_MAX = 128;
  /**
   * The largest answer body this client reads (a bound against a node that would make it buffer
   * without end); a larger answer fails the call with RESPONSE_TOO_LARGE. Far above what a node
   * sends: a bundle's answers stop at about 16 MiB plus one event's answer.
   */
  public static final int RESPONSE_BYTES_MAX = 64 << 20;
  /** Jetty's threads of one client (its selector and I/O); never the caller's code. */
  static final int THREADS_MAX = 8;
  private static final long THREAD_IDLE_SECONDS = 60;
  private static final AtomicInteger CLIENTS = new AtomicInteger();
  /** Set while this thread runs {@link #startWaiting}: a send that fails at once must not recurse into it. */
  private static final ThreadLocal<boolean[]> STARTING = ThreadLocal.withInitial(() -> new boolean[1]);

  private final MemberKeyTrustManager trust = new MemberKeyTrustManager();
  private final HttpClient http;
  /**
   * Completes the answers of asynchronous calls, so the caller's continuations (which may block,
   * even on another call of this client) never run on, and never hold, Jetty's threads: Jetty
   * may run a response callback on its selector thread, and a continuation blocking there would
   * stop every answer. A cached pool: a thread per answer being delivered, reused, without a cap
   * (a cap could deadlock continuations that wait for other answers); idle ones end after 60 s.
   */
  private final ThreadPoolExecutor callbacks;
  /**
   * Starts with one slot: until a first answer arrives there is no HTTP/2 connection yet, and the
   * client would open one TLS connection per concurrent request of a cold burst (the JDK client
   * did: 64 handshakes for 64 requests; Jetty's opens as many as requests wait). The first answer
   * (of any request) opens the other slots.
   */
  private final Semaphore inFlight = new Semaphore(1);
  private final AtomicBoolean connected = new AtomicBoolean();
  /** Requests waiting for a slot, oldest first. */
  private final ConcurrentLinkedQueue<Waiting> waiting = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  /** A request waiting for a slot: {@code start} sends it; {@code answer} is failed if the client closes first. */
  private record Waiting(Runnable start, CompletableFuture<byte[]> answer) {}

  /** A client that asks for HTTP/2 ({@link Protocol#HTTP_2}). */
  public NodeHttp() {
    this(Protocol.HTTP_2);
  }

  public NodeHttp(Protocol protocol) {
    SSLContext tls;
    try {
      tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, new SecureRandom());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS unavailable", e);
    }
    SslContextFactory.Client ssl = new SslContextFactory.Client();
    // Nodes present self-signed identity certificates. JSSE leaves the host name check to an
    // X509ExtendedTrustManager such as this one, which checks the node key (pinned to attested
    // members) instead, as it did under the JDK client.
    ssl.setSslContext(tls);
    String name = "veilraft-http-" + CLIENTS.incrementAndGet();
    QueuedThreadPool threads = new QueuedThreadPool(THREADS_MAX, 0, (int) TimeUnit.SECONDS.toMillis(THREAD_IDLE_SECONDS));
    threads.setName(name);
    threads.setDaemon(true);
    threads.setReservedThreads(0);
    threads.setMaxEvictCount(THREADS_MAX);
    AtomicInteger answerThreads = new AtomicInteger();
    callbacks = new ThreadPoolExecutor(0, Integer.MAX_VALUE, THREAD_IDLE_SECONDS, TimeUnit.SECONDS,
        new SynchronousQueue<>(), task -> {
          Thread thread = new Thread(task, name + "-answers-" + answerThreads.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    ScheduledExecutorScheduler timeouts = new ScheduledExecutorScheduler(name + "-timeouts", true);
    ClientConnector connector = new ClientConnector();
    connector.setSslContextFactory(ssl);
    connector.setConnectTimeout(CONNECT_TIMEOUT);
    connector.setSelectors(1);
    connector.setExecutor(threads);
    connector.setScheduler(timeouts);
    HttpClientTransportDynamic transport = protocol == Protocol.HTTP_1_1
        ? new HttpClientTransportDynamic(connector, HttpClientConnectionFactory.HTTP11)
        : new HttpClientTransportDynamic(connector, new ClientConnectionFactoryOverHTTP2.HTTP2(new HTTP2Client(connector)),
            HttpClientConnectionFactory.HTTP11);
    this.http = new HttpClient(transport);
    http.setExecutor(threads);
    http.setScheduler(timeouts);
    http.setFollowRedirects(false);
    // HTTP/1.1 needs a connection per request in flight; HTTP/2 uses one (see inFlight).
    http.setMaxConnectionsPerDestination(ASYNC_REQUESTS_IN_FLIGHT_MAX);
    try {
      http.start();
    } catch (Exception e) {
      callbacks.shutdown();
      throw new IllegalStateException("starting the HTTP client failed", e);
    }
  }

  /** The HTTP version of a successful answer: "HTTP/2" or "HTTP/1.1". */
  public record Answer(byte[] body, X509Certificate tlsPeer, String version) {}

  /** From now on only accept TLS keys of these (attested) nodes. */
  public void pin(Set<String> nodeIds) {
    trust.pin(nodeIds);
  }

  public Answer get(URI uri) throws ClientException {
    return send(request(uri).method(HttpMethod.GET));
  }

  public Answer post(URI uri, byte[] body) throws ClientException {
    return send(postRequest(uri, body));
  }

  /**
   * Posts {@code body}; the answer's body, or a {@link ClientException} with the node's error (or
   * CLOSED, RESPONSE_TOO_LARGE), or an {@link IOException} when the node could not be reached or
   * did not answer in time.
   */
  public CompletableFuture<byte[]> postAsync(URI uri, byte[] body) {
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    if (closed) {
      answer.completeExceptionally(closedFailure());
      return answer;
    }
    waiting.add(new Waiting(() -> {
      try {
        postRequest(uri, body).send(new BufferingResponseListener(RESPONSE_BYTES_MAX) {
          @Override
          public void onComplete(Result result) {
            inFlight.release();
            // A complete answer counts even if the upload failed (a node may answer early, e.g. 413).
            boolean answered = result.getResponseFailure() == null && result.getResponse().getStatus() > 0;
            if (answered) {
              openAllSlots();
            }
            startWaiting();
            if (answered) {
              try {
                complete(answer, body(result.getResponse().getStatus(), getContent()), null);
              } catch (ClientException e) {
                complete(answer, null, e);
              }
            } else {
              complete(answer, null, callFailure(uri, result.getFailure()));
            }
          }
        });
      } catch (RuntimeException e) {
        inFlight.release();
        startWaiting();
        complete(answer, null, closed ? closedFailure() : e);
      }
    }, answer));
    if (closed) {
      failWaiting();
    }
    startWaiting();
    return answer;
  }

  /**
   * Stops this client's threads. Calls in flight and calls waiting for a slot fail (IOException,
   * or CLOSED), and so does every later call (CLOSED).
   */
  @Override
  public void close() {
    closed = true;
    failWaiting();
    try {
      http.stop();
    } catch (Exception e) {
      throw new IllegalStateException("stopping the HTTP client failed", e);
    } finally {
      // Answers being delivered finish; one completed later runs on the thread that completes it.
      callbacks.shutdown();
    }
  }

  private void failWaiting() {
    for (Waiting w; (w = waiting.poll()) != null; ) {
      w.answer().completeExceptionally(closedFailure());
    }
  }

  private static ClientException closedFailure() {
    return new ClientException("CLOSED", "this client was closed");
  }

  /** Completes {@code answer} on {@link #callbacks} (on this thread once that pool is shut down). */
  private void complete(CompletableFuture<byte[]> answer, byte[] content, Throwable failure) {
    Runnable completion = failure == null ? () -> answer.complete(content) : () -> answer.completeExceptionally(failure);
    try {
      callbacks.execute(completion);
    } catch (RejectedExecutionException shutDown) {
      completion.run();
    }
  }

  /** After the first answer: the connection exists, so the other slots open (once). */
  private void openAllSlots() {
    if (connected.compareAndSet(false, true)) {
      inFlight.release(ASYNC_REQUESTS_IN_FLIGHT_MAX - 1);
    }
  }

  /**
   * Starts waiting requests while slots are free. Called after every enqueue and every release,
   * so a request enqueued while the last slot was being released is always started by one of them.
   * Not re-entered on one thread: a send that fails at once completes (and calls this) on the
   * sending thread, and the loop already running there goes on instead, so a long queue of
   * failing sends cannot grow the stack.
   */
  private void startWaiting() {
    boolean[] starting = STARTING.get();
    if (starting[0]) {
      return;
    }
    starting[0] = true;
    try {
      while (!waiting.isEmpty() && inFlight.tryAcquire()) {
        Waiting next = waiting.poll();
        if (next == null) {
          inFlight.release(); // another thread took it: check again
          continue;
        }
        next.start().run();
      }
    } finally {
      starting[0] = false;
    }
  }

  private Request request(URI uri) {
    return http.newRequest(uri).timeout(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
  }

  private Request postRequest(URI uri, byte[] body) {
    return request(uri).method(HttpMethod.POST).body(new BytesRequestContent(PROTOBUF, body));
  }

  /**
   * Why a call got no complete answer: CLOSED after {@link #close}, RESPONSE_TOO_LARGE when the
   * answer exceeded {@link #RESPONSE_BYTES_MAX} (Jetty's buffering listener aborts the response
   * with an IllegalArgumentException; neither is worth retrying), else an IOException (the node
   * unreachable, the call timed out or was cut: retryable, as under the JDK client).
   */
  private Throwable callFailure(URI uri, Throwable failure) {
    if (closed) {
      return closedFailure();
    }
    if (failure instanceof IllegalArgumentException tooLarge) {
      return new ClientException("RESPONSE_TOO_LARGE", uri + " answered more than " + RESPONSE_BYTES_MAX
          + " bytes: " + tooLarge.getMessage());
    }
    return failure instanceof IOException io ? io : new IOException(uri + ": " + failure, failure);
  }

  private Answer send(Request request) throws ClientException {
    if (closed) {
      throw closedFailure();
    }
    ContentResponse response;
    try {
      response = new CompletableResponseListener(request, RESPONSE_BYTES_MAX).send().get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (callFailure(request.getURI(), cause) instanceof ClientException known) {
        throw known;
      }
      throw new ClientException("UNREACHABLE", request.getURI() + ": " + (cause.getMessage() != null
          ? cause.getMessage() : cause.toString()), cause);
    } catch (InterruptedException e) {
      request.abort(e);
      Thread.currentThread().interrupt();
      throw new ClientException("INTERRUPTED", "interrupted while calling " + request.getURI(), e);
    }
    openAllSlots();
    startWaiting();
    return new Answer(body(response.getStatus(), response.getContent()), peer(response),
        response.getVersion() == HttpVersion.HTTP_2 ? "HTTP/2" : "HTTP/1.1");
  }

  private static X509Certificate peer(ContentResponse response) throws ClientException {
    Connection connection = response.getRequest().getConnection();
    EndPoint.SslSessionData tls = connection == null ? null : connection.getSslSessionData();
    if (tls == null) {
      throw new ClientException("NO_TLS", "node did not answer over TLS");
    }
    X509Certificate[] chain = tls.peerCertificates();
    if (chain == null || chain.length == 0) {
      throw new ClientException("NO_TLS", "node presented no certificate");
    }
    return chain[0];
  }

  /** The body of a 200 response; any other status carries an ApiError. */
  static byte[] body(int status, byte[] body) throws ClientException {
    if (status == 200) {
      return body;
    }
    try {
      ApiError error = ApiError.parseFrom(body);
      throw new ClientException(error.getCode().isEmpty() ? "HTTP_" + status : error.getCode(), error.getMessage());
    } catch (InvalidProtocolBufferException e) {
      throw new ClientException("HTTP_" + status, "node answered " + status + " without an error body");
    }
  }
}
