package dev.veilraft.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.veilraft.client.proto.ApiError;
import dev.veilraft.client.proto.EventAnswer;
import dev.veilraft.client.proto.EventBundle;
import dev.veilraft.client.proto.EventBundleAnswers;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EventBundler} against a real HTTP server (the JDK's, plain HTTP) that answers like a node:
 * an event alone gets its SealedResponse, a bundle one answer per event. Each test event carries
 * its number as session_counter, and the server echoes it as the answer's log_index.
 */
class EventBundlerTest {
  private static final long TIMEOUT_S = 30;

  private HttpServer server;
  private ExecutorService serverThreads;
  private URI node;
  /** Event 1's answer waits for it. */
  private final CountDownLatch firstAnswerMayGo = new CountDownLatch(1);
  /** Event {@value #HELD_LATER}'s answer waits for it. */
  private final CountDownLatch laterAnswerMayGo = new CountDownLatch(1);
  private static final int HELD_LATER = 101;
  private final AtomicInteger singles = new AtomicInteger();
  private final AtomicInteger bundleRequests = new AtomicInteger();
  private final List<Integer> bundleSizes = new ArrayList<>();
  /** How the server answers a bundle; by default every event answered, odd ones refused UNKNOWN_EPOCH. */
  private volatile Function<EventBundle, byte[]> bundleAnswer = EventBundlerTest::answerEach;
  private volatile boolean hasBundleRoute = true;
  /** When set, the server drops a bundle's connection without answering: a transport failure. */
  private volatile boolean dropBundles;

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    serverThreads = Executors.newFixedThreadPool(8);
    server.setExecutor(serverThreads);
    server.createContext(EventBundler.SINGLE_PATH, this::single);
    server.createContext(EventBundler.PATH, this::bundle);
    server.start();
    node = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stopServer() {
    firstAnswerMayGo.countDown();
    laterAnswerMayGo.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
  }

  private void single(HttpExchange exchange) throws IOException {
    if (!exchange.getRequestURI().getPath().equals(EventBundler.SINGLE_PATH)) {
      answer(exchange, 404, ApiError.newBuilder().setCode("NOT_FOUND").setMessage("no route").build().toByteArray());
      return;
    }
    SealedRequest event = SealedRequest.parseFrom(exchange.getRequestBody().readAllBytes());
    singles.incrementAndGet();
    CountDownLatch hold = event.getSessionCounter() == 1 ? firstAnswerMayGo
        : event.getSessionCounter() == HELD_LATER ? laterAnswerMayGo : null;
    if (hold != null) {
      try {
        // A held event keeps the only request slot until the test has queued the rest behind it.
        hold.await(TIMEOUT_S, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    answer(exchange, 200, response(event).toByteArray());
  }

  private void bundle(HttpExchange exchange) throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    bundleRequests.incrementAndGet();
    if (!hasBundleRoute) {
      // What a node older than bundles answers: its dispatcher's 404 for a path it has no route for.
      answer(exchange, 404, ApiError.newBuilder().setCode("NOT_FOUND").setMessage("no route " + EventBundler.PATH)
          .build().toByteArray());
      return;
    }
    if (dropBundles) {
      exchange.close(); // no status line: the client sees the connection end mid-exchange
      return;
    }
    EventBundle bundle = EventBundle.parseFrom(body);
    synchronized (bundleSizes) {
      bundleSizes.add(bundle.getEventsCount());
    }
    answer(exchange, 200, bundleAnswer.apply(bundle));
  }

  private static byte[] answerEach(EventBundle bundle) {
    EventBundleAnswers.Builder answers = EventBundleAnswers.newBuilder();
    for (SealedRequest event : bundle.getEventsList()) {
      answers.addAnswers(event.getSessionCounter() % 2 == 0
          ? EventAnswer.newBuilder().setSealedResponse(response(event))
          : EventAnswer.newBuilder().setError(ApiError.newBuilder().setCode("UNKNOWN_EPOCH")
              .setMessage("event " + event.getSessionCounter() + " is sealed to an old epoch")));
    }
    return answers.build().toByteArray();
  }

  private static SealedResponse response(SealedRequest event) {
    return SealedResponse.newBuilder().setEpoch(1).setLogIndex(event.getSessionCounter()).build();
  }

  private static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", NodeHttp.PROTOBUF);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
    exchange.close();
  }

  private static SealedRequest event(int number, int ciphertextBytes) {
    return SealedRequest.newBuilder().setEpoch(1).setSessionCounter(number)
        .setCiphertext(ByteString.copyFrom(new byte[ciphertextBytes])).build();
  }

  /** Posts event 1, which the server holds, then events 2..count behind it; then lets event 1's answer go. */
  private List<CompletableFuture<SealedResponse>> postBehindAHeldFirst(EventBundler bundler, int count, int bytes) {
    List<CompletableFuture<SealedResponse>> answers = new ArrayList<>();
    answers.add(bundler.post(event(1, bytes)));
    for (int i = 2; i <= count; i++) {
      answers.add(bundler.post(event(i, bytes)));
    }
    firstAnswerMayGo.countDown();
    return answers;
  }

  private static ClientException refusal(CompletableFuture<SealedResponse> answer) {
    ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
        () -> answer.get(TIMEOUT_S, TimeUnit.SECONDS));
    assertThat(failed.getCause()).isInstanceOf(ClientException.class);
    return (ClientException) failed.getCause();
  }

  @Test
  void eventsThatWaitForARequestSlotGoAsOneBundleAndEachGetsItsOwnAnswer() throws Exception {
    // Proves the adaptive bundling: with one request slot, the first event goes alone and the five that waited for
    // it go in one bundle; every event gets the answer for its own position, an answer or its own refusal.
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 6, 32);

    assertThat(answers.get(0).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(1);
    for (int i = 2; i <= 6; i++) {
      if (i % 2 == 0) {
        assertThat(answers.get(i - 1).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).as("event %d", i).isEqualTo(i);
      } else {
        ClientException refused = refusal(answers.get(i - 1));
        assertThat(refused.code()).isEqualTo("UNKNOWN_EPOCH");
        assertThat(refused.getMessage()).contains("event " + i + " ");
      }
    }
    assertThat(singles.get()).isEqualTo(1);
    assertThat(bundleSizes).containsExactly(5);
    assertThat(bundler.bundlesSent()).isEqualTo(1);
    assertThat(bundler.eventsBundled()).isEqualTo(5);
  }

  @Test
  void aLoneEventIsPostedAloneAndBundlesStopAtTheirByteBound() throws Exception {
    // Proves an event with a free slot never waits for company, and that waiting events whose sizes add up past
    // BYTES_MAX are split: three events of 100 KiB behind the held first go as a bundle of two, then one alone.
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 4, 100 * 1024);
    for (int i : new int[] {0, 1, 3}) {
      answers.get(i).get(TIMEOUT_S, TimeUnit.SECONDS);
    }
    assertThat(refusal(answers.get(2)).code()).isEqualTo("UNKNOWN_EPOCH");
    assertThat(bundleSizes).as("bundles").containsExactly(2);
    assertThat(singles.get()).as("the held first and the one that did not fit").isEqualTo(2);

    // Nothing in flight now: the next event goes at once, alone.
    assertThat(bundler.post(event(6, 32)).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(6);
    assertThat(singles.get()).isEqualTo(3);
    assertThat(bundleSizes).containsExactly(2);
  }

  @Test
  void aCallerWhoseCallbackWaitsForAnotherEventDoesNotHoldTheRequestSlot() throws Exception {
    // Proves an answer frees its request slot before its caller's code runs: with one slot, a callback that blocks
    // on another event's answer (as client.call inside thenAccept does) would otherwise wait for itself forever.
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 2, 32);
    CompletableFuture<Long> nested = answers.get(1).thenApply(
        response -> bundler.post(event(3, 32)).join().getLogIndex());
    assertThat(nested.get(TIMEOUT_S, TimeUnit.SECONDS)).isEqualTo(3);
  }

  @Test
  void aNodeWithoutTheBundleRouteGetsEveryEventAloneFromThenOn() throws Exception {
    // Proves the fallback for nodes older than bundles: the refused bundle's events are posted one by one and
    // answered, and later events are never bundled again.
    hasBundleRoute = false;
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 4, 32);
    for (int i = 0; i < answers.size(); i++) {
      assertThat(answers.get(i).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(i + 1);
    }
    assertThat(bundleRequests.get()).as("the one bundle the node refused").isEqualTo(1);
    assertThat(bundler.bundlesSent()).as("bundles answered").isZero();
    List<CompletableFuture<SealedResponse>> later = new ArrayList<>();
    for (int i = 10; i < 20; i++) {
      later.add(bundler.post(event(i, 32)));
    }
    for (CompletableFuture<SealedResponse> answer : later) {
      answer.get(TIMEOUT_S, TimeUnit.SECONDS);
    }
    assertThat(bundleRequests.get()).isEqualTo(1);
    assertThat(singles.get()).isEqualTo(14);
  }

  @Test
  void aBundleAnsweredWithTheWrongNumberOfAnswersFailsEachEventAsABadResponse() throws Exception {
    // Proves a node's (or a proxy's) answer that does not match the bundle is never matched to events by guess.
    bundleAnswer = bundle -> EventBundleAnswers.newBuilder().addAnswers(EventAnswer.newBuilder()
        .setSealedResponse(SealedResponse.newBuilder().setLogIndex(99))).build().toByteArray();
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 3, 32);
    answers.get(0).get(TIMEOUT_S, TimeUnit.SECONDS);
    for (int i = 1; i < 3; i++) {
      ClientException refused = refusal(answers.get(i));
      assertThat(refused.code()).isEqualTo("BAD_RESPONSE");
      assertThat(refused.getMessage()).contains("bundle of 2 events with 1 answers");
    }
  }

  @Test
  void aRequestSlotBoundOutsideOneToNodeHttpsBoundIsRefused() {
    assertThatThrownBy(() -> new EventBundler(new NodeHttp(), node, 0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("event requests in flight must lie in 1..128 (what NodeHttp keeps in flight), got 0");
    EventBundler bundler = new EventBundler(new NodeHttp(), node);
    assertThatThrownBy(() -> bundler.requestsInFlightMax(-1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("got -1");
    assertThatThrownBy(() -> bundler.requestsInFlightMax(NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 129");
  }

  @Test
  void raisingTheRequestBoundSendsWhatWaitsAtOnce() throws Exception {
    // Proves a higher bound takes effect for events already waiting: with one slot held by the first event, two
    // wait; raised to three slots, they go at once (together, as what waits always does) while the first is
    // still unanswered.
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    // NodeHttp itself sends one request at a time until its first answer; this one opens its slots.
    assertThat(bundler.post(event(6, 32)).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(6);
    CompletableFuture<SealedResponse> first = bundler.post(event(1, 32));
    CompletableFuture<SealedResponse> second = bundler.post(event(2, 32));
    CompletableFuture<SealedResponse> third = bundler.post(event(4, 32));
    bundler.requestsInFlightMax(3);
    assertThat(second.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(2);
    assertThat(third.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(4);
    assertThat(first).as("the first is still held by the server").isNotDone();
    firstAnswerMayGo.countDown();
    assertThat(first.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(1);
    assertThat(singles.get()).isEqualTo(2);
    assertThat(bundleSizes).containsExactly(2);
  }

  @Test
  void aBundleWhoseConnectionFailsFailsEachOfItsEventsAndFreesItsSlot() throws Exception {
    // Proves a transport failure of a bundle reaches every one of its callers (who retry on their own terms), is
    // not taken for a node without bundles, and gives back its request slot: later events still go.
    dropBundles = true;
    EventBundler bundler = new EventBundler(new NodeHttp(NodeHttp.Protocol.HTTP_1_1), node, 1);
    List<CompletableFuture<SealedResponse>> answers = postBehindAHeldFirst(bundler, 4, 32);
    assertThat(answers.get(0).get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(1);
    for (CompletableFuture<SealedResponse> answer : answers.subList(1, 4)) {
      ExecutionException failed = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
          () -> answer.get(TIMEOUT_S, TimeUnit.SECONDS));
      assertThat(failed.getCause()).isInstanceOf(java.io.IOException.class);
    }
    assertThat(bundleRequests.get()).isEqualTo(1);
    assertThat(bundler.bundlesSent()).isZero();

    // The slot came back and bundles are still on: held event HELD_LATER, then two behind it, go as one bundle.
    dropBundles = false;
    CompletableFuture<SealedResponse> held = bundler.post(event(HELD_LATER, 32));
    CompletableFuture<SealedResponse> behind1 = bundler.post(event(102, 32));
    CompletableFuture<SealedResponse> behind2 = bundler.post(event(104, 32));
    laterAnswerMayGo.countDown();
    assertThat(held.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(HELD_LATER);
    assertThat(behind1.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(102);
    assertThat(behind2.get(TIMEOUT_S, TimeUnit.SECONDS).getLogIndex()).isEqualTo(104);
    assertThat(bundleSizes).containsExactly(2);
    assertThat(bundler.bundlesSent()).isEqualTo(1);
  }
}
