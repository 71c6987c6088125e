package dev.veilraft.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.ApiError;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;

/**
 * HTTPS calls to a node's API with protobuf bodies. Errors come back as {@link ApiError} and
 * become {@link ClientException}s with the node's code. The TLS key a node presents is returned
 * with each answer so the caller can check it against the node's attested identity.
 */
public final class NodeHttp {
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
   * Over HTTP/2 every request to a node is a stream of one connection, and the JDK client fails a
   * request beyond the node's stream limit ("too many concurrent streams", 256 on veilraft
   * nodes) instead of waiting; this keeps well below it, and at the cluster's default
   * pending-per-client bound, which a client cannot usefully exceed anyway.
   */
  public static final int ASYNC_REQUESTS_IN_FLIGHT_MAX = 128;

  /**
   * True where {@code HttpClient.sendAsync} would start a new thread for every answer: the JDK
   * client completes each asynchronous exchange on CompletableFuture's default executor, which is
   * a new thread per task when the common ForkJoinPool has fewer than two workers (machines with
   * two or fewer CPUs). Measured with JFR on the 2-core benchmark machine: one thread start per
   * request in the client. There this class makes blocking sends on its own reused threads.
   */
  static final boolean ASYNC_ANSWERS_START_THREADS = ForkJoinPool.getCommonPoolParallelism() < 2;
  /** How long an idle sending thread is kept (they are created as requests need them). */
  private static final long SENDING_THREAD_IDLE_SECONDS = 60;
  private static final AtomicInteger SENDING_THREADS = new AtomicInteger();

  private final MemberKeyTrustManager trust = new MemberKeyTrustManager();
  private final HttpClient http;
  /** Threads for blocking sends, at most one per slot; null unless {@link #ASYNC_ANSWERS_START_THREADS}. */
  private final ThreadPoolExecutor sendingThreads;
  /**
   * Starts with one slot: until a first answer arrives there is no HTTP/2 connection yet, and the
   * JDK client would open one TLS connection per concurrent request of a cold burst (measured: 64
   * handshakes for 64 requests). The first answer (of any request) opens the other slots.
   */
  private final Semaphore inFlight = new Semaphore(1);
  private final AtomicBoolean connected = new AtomicBoolean();
  /** Requests waiting for a slot, oldest first; each one starts its send. */
  private final ConcurrentLinkedQueue<Runnable> waiting = new ConcurrentLinkedQueue<>();

  /** A client that asks for HTTP/2 ({@link Protocol#HTTP_2}). */
  public NodeHttp() {
    this(Protocol.HTTP_2);
  }

  public NodeHttp(Protocol protocol) {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, new SecureRandom());
      this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(CONNECT_TIMEOUT)
          .version(protocol == Protocol.HTTP_1_1 ? HttpClient.Version.HTTP_1_1 : HttpClient.Version.HTTP_2).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS unavailable", e);
    }
    this.sendingThreads = ASYNC_ANSWERS_START_THREADS ? sendingThreads() : null;
  }

  /** Daemon threads, one per request in flight at most (the slots bound the tasks), idle ones end. */
  private static ThreadPoolExecutor sendingThreads() {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(ASYNC_REQUESTS_IN_FLIGHT_MAX, ASYNC_REQUESTS_IN_FLIGHT_MAX,
        SENDING_THREAD_IDLE_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), task -> {
          Thread thread = new Thread(task, "veilraft-http-" + SENDING_THREADS.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Sends without a thread per answer: see {@link #ASYNC_ANSWERS_START_THREADS}. */
  private CompletableFuture<HttpResponse<byte[]>> sendInBackground(HttpRequest request) {
    if (sendingThreads == null) {
      return http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    }
    return CompletableFuture.supplyAsync(() -> {
      try {
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        throw new CompletionException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CompletionException(new IOException("interrupted while calling " + request.uri(), e));
      }
    }, sendingThreads);
  }

  /** The HTTP version of a successful answer: "HTTP/2" or "HTTP/1.1". */
  public record Answer(byte[] body, X509Certificate tlsPeer, String version) {}

  /** From now on only accept TLS keys of these (attested) nodes. */
  public void pin(Set<String> nodeIds) {
    trust.pin(nodeIds);
  }


  public Answer get(URI uri) throws ClientException {
    return send(HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build());
  }

  public Answer post(URI uri, byte[] body) throws ClientException {
    return send(postRequest(uri, body));
  }

  public CompletableFuture<byte[]> postAsync(URI uri, byte[] body) {
    HttpRequest request = postRequest(uri, body);
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    waiting.add(() -> {
      CompletableFuture<HttpResponse<byte[]>> sent;
      try {
        sent = sendInBackground(request);
      } catch (RuntimeException e) {
        sent = CompletableFuture.failedFuture(e);
      }
      sent.whenComplete((response, error) -> {
        inFlight.release();
        if (error == null) {
          openAllSlots();
        }
        startWaiting();
        if (error != null) {
          answer.completeExceptionally(error instanceof CompletionException && error.getCause() != null
              ? error.getCause() : error);
          return;
        }
        try {
          answer.complete(body(response));
        } catch (ClientException e) {
          answer.completeExceptionally(e);
        }
      });
    });
    startWaiting();
    return answer;
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
   */
  private void startWaiting() {
    while (!waiting.isEmpty() && inFlight.tryAcquire()) {
      Runnable next = waiting.poll();
      if (next == null) {
        inFlight.release(); // another thread took it: check again
        continue;
      }
      next.run();
    }
  }

  private static HttpRequest postRequest(URI uri, byte[] body) {
    return HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Content-Type", PROTOBUF)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
  }

  private Answer send(HttpRequest request) throws ClientException {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ClientException("UNREACHABLE", request.uri() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("INTERRUPTED", "interrupted while calling " + request.uri(), e);
    }
    openAllSlots();
    startWaiting();
    return new Answer(body(response), peer(response),
        response.version() == HttpClient.Version.HTTP_2 ? "HTTP/2" : "HTTP/1.1");
  }

  private static X509Certificate peer(HttpResponse<?> response) throws ClientException {
    try {
      var session = response.sslSession().orElseThrow(() -> new ClientException("NO_TLS", "node did not answer over TLS"));
      return (X509Certificate) session.getPeerCertificates()[0];
    } catch (SSLPeerUnverifiedException e) {
      throw new ClientException("NO_TLS", "node presented no certificate");
    }
  }

  /** The body of a 200 response; any other status carries an ApiError. */
  static byte[] body(HttpResponse<byte[]> response) throws ClientException {
    if (response.statusCode() == 200) {
      return response.body();
    }
    try {
      ApiError error = ApiError.parseFrom(response.body());
      throw new ClientException(error.getCode().isEmpty() ? "HTTP_" + response.statusCode() : error.getCode(),
          error.getMessage());
    } catch (InvalidProtocolBufferException e) {
      throw new ClientException("HTTP_" + response.statusCode(), "node answered " + response.statusCode()
          + " without an error body");
    }
  }
}
