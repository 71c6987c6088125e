package dev.veilraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.client.NodeHttp;
import dev.veilraft.crypto.NodeIdentity;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** HTTP/2 and HTTP/1.1 on the API's TLS port against real Jetty, with the SDK's transport. */
class ApiServerProtocolTest {
  /** Requests per test, and how many of them are in flight at once. */
  private static final int REQUESTS = 300;
  private static final int IN_FLIGHT = 32;

  private ApiServer server;
  private final ExecutorService later = Executors.newFixedThreadPool(2);

  @AfterEach
  void stop() {
    later.shutdownNow();
    if (server != null) {
      server.close();
    }
  }

  /**
   * An API whose POST /v1/echo answers from another thread, as a commit does, GET /v1/ping at once,
   * and POST /v1/never never.
   */
  private URI startEchoServer() throws Exception {
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    server.routeAsync("POST", "/v1/echo", (body, query) -> CompletableFuture.supplyAsync(() -> body, later));
    server.route("GET", "/v1/ping", (body, query) -> "pong".getBytes(StandardCharsets.UTF_8));
    server.routeAsync("POST", "/v1/never", (body, query) -> new CompletableFuture<>());
    server.start();
    return URI.create("https://127.0.0.1:" + server.port());
  }

  /** Posts {@link #REQUESTS} distinct bodies, {@code inFlight} at a time, and checks every echo. */
  private static void postMany(NodeHttp http, URI base, int inFlight) throws Exception {
    Semaphore slots = new Semaphore(inFlight);
    List<CompletableFuture<Boolean>> answers = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      slots.acquire();
      byte[] body = ("request " + i).getBytes(StandardCharsets.UTF_8);
      answers.add(http.postAsync(base.resolve("/v1/echo"), body).thenApply(echo -> java.util.Arrays.equals(echo, body))
          .whenComplete((ok, error) -> slots.release()));
    }
    for (CompletableFuture<Boolean> answer : answers) {
      assertThat(answer.get(30, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void sdkSpeaksHttp2AndSharesOneTlsConnectionAcrossConcurrentRequests() throws Exception {
    // Proves the SDK's default transport negotiates h2 by ALPN and sends 300 requests, 32 in flight, over one TLS handshake.
    URI base = startEchoServer();
    NodeHttp http = new NodeHttp();

    NodeHttp.Answer first = http.get(base.resolve("/v1/ping"));
    postMany(http, base, IN_FLIGHT);

    assertThat(first.version()).isEqualTo("HTTP/2");
    assertThat(new String(first.body(), StandardCharsets.UTF_8)).isEqualTo("pong");
    assertThat(server.tlsHandshakes()).isEqualTo(Map.of(ApiServer.PROTOCOL_H2, 1L));
  }

  @Test
  void aColdBurstOfConcurrentRequestsOpensOneConnection() throws Exception {
    // Proves a client whose first act is 32 concurrent posts still makes one TLS handshake (the JDK client alone would open one per request).
    URI base = startEchoServer();
    NodeHttp http = new NodeHttp();

    postMany(http, base, IN_FLIGHT);

    assertThat(server.tlsHandshakes()).isEqualTo(Map.of(ApiServer.PROTOCOL_H2, 1L));
  }

  @Test
  void answersDoNotStartAThreadEach() throws Exception {
    // Proves 300 asynchronous requests after a warm-up start far fewer than 300 threads in this JVM, on any core count (on 2 cores the JDK client alone starts one per answer).
    URI base = startEchoServer();
    NodeHttp http = new NodeHttp();
    postMany(http, base, IN_FLIGHT);
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long before = threads.getTotalStartedThreadCount();

    postMany(http, base, IN_FLIGHT);

    assertThat(threads.getTotalStartedThreadCount() - before).isLessThan(REQUESTS / 4);
  }

  @Test
  void http11ClientsStillWorkAndKeepTheirConnections() throws Exception {
    // Proves an HTTP/1.1-only client is answered over HTTP/1.1 and reuses its connections: handshakes stay near the requests in flight, far below the request count.
    URI base = startEchoServer();
    NodeHttp http = new NodeHttp(NodeHttp.Protocol.HTTP_1_1);

    NodeHttp.Answer first = http.get(base.resolve("/v1/ping"));
    postMany(http, base, IN_FLIGHT);

    assertThat(first.version()).isEqualTo("HTTP/1.1");
    Map<String, Long> handshakes = server.tlsHandshakes();
    assertThat(handshakes).containsOnlyKeys(ApiServer.PROTOCOL_HTTP_1_1);
    // A connection goes back to the pool just after its answer, so a few more than IN_FLIGHT may open.
    assertThat(handshakes.get(ApiServer.PROTOCOL_HTTP_1_1)).isBetween(1L, 2L * IN_FLIGHT);
  }

  @Test
  void anAsyncRouteGetsWholeBodiesOfAnySizeUpToTheLimitAndRefusesLargerOnes() throws Exception {
    // Proves the body read over HTTP/2 and HTTP/1.1: bodies from empty to exactly the limit (many frames) reach the
    // handler whole, and one byte more is refused with 413 BODY_TOO_LARGE.
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    server.routeAsync("POST", "/v1/fast", (body, query) -> CompletableFuture.completedFuture(body));
    server.start();
    URI fast = URI.create("https://127.0.0.1:" + server.port() + "/v1/fast");
    java.util.Random random = new java.util.Random(7);
    for (NodeHttp.Protocol protocol : NodeHttp.Protocol.values()) {
      NodeHttp http = new NodeHttp(protocol);
      try {
        for (int size : new int[] {0, 1, 16 * 1024 + 3, 200_000, ApiServer.BODY_BYTES_MAX}) {
          byte[] body = new byte[size];
          random.nextBytes(body);
          assertThat(http.postAsync(fast, body).get(30, TimeUnit.SECONDS)).as(protocol + ", " + size + " bytes")
              .isEqualTo(body);
        }
        assertThatThrownBy(() -> http.post(fast, new byte[ApiServer.BODY_BYTES_MAX + 1]))
            .isInstanceOfSatisfying(dev.veilraft.client.ClientException.class,
                e -> assertThat(e.code()).as(protocol.toString()).isEqualTo("BODY_TOO_LARGE"));
      } finally {
        http.close();
      }
    }
  }

  @Test
  void aBlockedRouteDoesNotHoldUpAnotherOnTheSameConnection() throws Exception {
    // Proves a route that waits holds a thread of the API's pool, not the thread that reads the connection: a request
    // posted after it on the same HTTP/2 connection is answered meanwhile.
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    server.route("POST", "/v1/slow", (body, query) -> {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "slow".getBytes(StandardCharsets.UTF_8);
    });
    server.routeAsync("POST", "/v1/fast", (body, query) -> CompletableFuture.completedFuture(body));
    server.start();
    URI base = URI.create("https://127.0.0.1:" + server.port());
    NodeHttp http = new NodeHttp();
    try {
      // The SDK sends its first request alone (until the h2 connection exists): open the connection first.
      assertThat(http.postAsync(base.resolve("/v1/fast"), new byte[] {0}).get(20, TimeUnit.SECONDS)).containsExactly(0);
      CompletableFuture<byte[]> slow = http.postAsync(base.resolve("/v1/slow"), new byte[] {1});
      byte[] fast = http.postAsync(base.resolve("/v1/fast"), "fast".getBytes(StandardCharsets.UTF_8))
          .get(20, TimeUnit.SECONDS);
      assertThat(new String(fast, StandardCharsets.UTF_8)).isEqualTo("fast");
      assertThat(slow).as("the blocking route still waits").isNotDone();
      release.countDown();
      assertThat(new String(slow.get(20, TimeUnit.SECONDS), StandardCharsets.UTF_8)).isEqualTo("slow");
      assertThat(server.tlsHandshakes()).isEqualTo(Map.of(ApiServer.PROTOCOL_H2, 1L));
    } finally {
      release.countDown();
      http.close();
    }
  }

  @Test
  void moreConcurrentRequestsThanOneConnectionsStreamsAllSucceed() throws Exception {
    // Proves a caller with more requests outstanding than the node's h2 stream limit gets every answer (the JDK client alone fails the excess with "too many concurrent streams"; NodeHttp queues it).
    URI base = startEchoServer();
    NodeHttp http = new NodeHttp();
    http.get(base.resolve("/v1/ping"));

    postMany(http, base, ApiServer.H2_STREAMS_PER_CONNECTION_MAX + 20);

    assertThat(server.tlsHandshakes().keySet()).contains(ApiServer.PROTOCOL_H2);
  }

  @Test
  void aPinnedClientRefusesANodeWhoseKeyIsNotPinned() throws Exception {
    // Proves the SDK's trust manager still decides under Jetty's TLS: before pinning any node key is taken (the
    // caller checks it against the attested description), after pinning only the pinned node ids are.
    URI base = startEchoServer();
    try (NodeHttp http = new NodeHttp()) {
      NodeHttp.Answer answer = http.get(base.resolve("/v1/ping"));
      assertThat(dev.veilraft.crypto.Certificates.nodeId(answer.tlsPeer())).isNotEmpty();
      try (NodeHttp pinned = new NodeHttp()) {
        pinned.pin(java.util.Set.of("00".repeat(16)));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> pinned.get(base.resolve("/v1/ping")))
            .isInstanceOf(dev.veilraft.client.ClientException.class).hasMessageContaining("not a verified member");
      }
    }
  }

  @Test
  void closingAClientStopsItsThreadsAndFailsItsCalls() throws Exception {
    // Proves close() fails the calls in flight and waiting for a slot, ends the threads the client started, and
    // that a call after it fails at once instead of hanging.
    URI base = startEchoServer();
    java.util.Set<Long> before = httpThreadIds();
    NodeHttp http = new NodeHttp();
    postMany(http, base, IN_FLIGHT);
    java.util.Set<Long> started = httpThreadIds();
    started.removeAll(before);
    assertThat(started).as("threads the client started").isNotEmpty();

    // Calls that never get an answer: 128 in flight, the rest waiting for a slot. Closing fails them all.
    List<CompletableFuture<byte[]>> unanswered = new ArrayList<>();
    for (int i = 0; i < NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX + 40; i++) {
      unanswered.add(http.postAsync(base.resolve("/v1/never"), new byte[] {(byte) i}));
    }
    http.close();
    for (CompletableFuture<byte[]> call : unanswered) {
      assertThat(call).failsWithin(java.time.Duration.ofSeconds(10));
    }
    assertThat(unanswered.get(unanswered.size() - 1)).failsWithin(java.time.Duration.ZERO)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withCauseInstanceOf(dev.veilraft.client.ClientException.class).withMessageContaining("CLOSED");
    assertThat(dev.veilraft.node.Await.until(() -> {
      java.util.Set<Long> alive = httpThreadIds();
      alive.retainAll(started);
      return alive.isEmpty();
    }, java.time.Duration.ofSeconds(10))).as("the client's threads ended").isTrue();
    CompletableFuture<byte[]> late = http.postAsync(base.resolve("/v1/echo"), new byte[] {1});
    assertThat(late).failsWithin(java.time.Duration.ofSeconds(10));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> http.get(base.resolve("/v1/ping")))
        .isInstanceOf(dev.veilraft.client.ClientException.class).hasMessageContaining("closed");
  }

  private static java.util.Set<Long> httpThreadIds() {
    java.util.Set<Long> ids = new java.util.HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("veilraft-http-") && t.isAlive()) {
        ids.add(t.getId());
      }
    }
    return ids;
  }

  @Test
  void webSocketsAreNeverCarriedOverHttp2() throws Exception {
    // Proves RFC 8441 extended CONNECT is off on the h2 side, so one connection cannot multiplex many relay sessions.
    startEchoServer();
    assertThat(server.webSocketsOverHttp2()).isFalse();
  }

  @Test
  void webSocketUpgradesStillWorkOverTls() throws Exception {
    // Proves a WebSocket client (HTTP/1.1 upgrade) connects over the TLS port that now also offers h2, and text flows both ways.
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()));
    server.routeWebSocket("/ws", sink -> new WebSockets.Connection() {
      @Override
      public void onText(String text) {
        sink.send("echo " + text);
      }

      @Override
      public void onClose() {}
    });
    server.start();
    SslContextFactory.Client tls = new SslContextFactory.Client();
    tls.setTrustAll(true);
    tls.setEndpointIdentificationAlgorithm(null);
    ClientConnector connector = new ClientConnector();
    connector.setSslContextFactory(tls);
    WebSocketClient client = new WebSocketClient(new HttpClient(new org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP(connector)));
    client.start();
    try {
      BlockingQueue<String> received = new LinkedBlockingQueue<>();
      Session session = client.connect(new ApiServerTest.Recorder(received, new CompletableFuture<>()), URI.create("wss://127.0.0.1:" + server.port() + "/ws")).get(10, TimeUnit.SECONDS);
      session.sendText("hi", Callback.NOOP);
      assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("echo hi");
      session.close();
    } finally {
      client.stop();
    }
    assertThat(server.tlsHandshakes()).containsKey(ApiServer.PROTOCOL_HTTP_1_1);
  }
}
