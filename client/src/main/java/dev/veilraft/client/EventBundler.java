package dev.veilraft.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.EventAnswer;
import dev.veilraft.client.proto.EventBundle;
import dev.veilraft.client.proto.EventBundleAnswers;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Posts a client's sealed events to one node, several in one HTTP request when several wait, with
 * no timer: while fewer than {@code requestsInFlightMax} event requests of this client are
 * unanswered, an event is posted at once, alone, to {@value #SINGLE_PATH} (so a client with one
 * request at a time behaves exactly as without bundling); otherwise it waits, and each answer
 * sends what waits, oldest first, up to {@value #EVENTS_MAX} events and {@value #BYTES_MAX} bytes,
 * as one {@link EventBundle} to {@value #PATH}. Bundles therefore grow with the load and nothing
 * waits for a clock: the node's {@code EventGrouper} does the same with log entries.
 *
 * <p>A bundle is not a batch: each event keeps its own sealing, sequence number, log position and
 * answer, and the node checks and proposes each one as if it had come alone; a bundle only shares
 * one HTTP/2 stream, its headers and its TLS records (measured on the 2-core benchmark machine:
 * the HTTPS exchange cost the client and the node more CPU per event than sealing and applying it).
 * A failed bundle request fails each of its events with that failure, and each is then retried on
 * its own terms by the caller. A node that has no bundle route (older than this client) answers
 * 404; its events are then posted one by one, each in its own request with no bound here but
 * {@link NodeHttp}'s (as before bundles), and so is everything this client sends after (a
 * client that meets such a node once, say during a rolling upgrade, stays on single posts; a new
 * client bundles again).
 * Thread-safe.
 */
public final class EventBundler {
  /** The node's route for bundles. */
  public static final String PATH = "/v1/events/bundle";
  /** The node's route for one event. */
  public static final String SINGLE_PATH = "/v1/events";
  /** Events one bundle may hold: a node refuses more ({@code BUNDLE_TOO_LARGE}). */
  public static final int EVENTS_MAX = 64;
  /**
   * Sealed bytes a bundle carries at most: half a node's request body limit (512 KiB), so a bundle
   * of events near limits.event_bytes_max is never refused for its size. A larger event goes alone.
   */
  public static final int BYTES_MAX = 256 * 1024;
  /**
   * Event requests a client keeps unanswered at once: enough that requests reach the node while
   * one is answered (the node groups what arrives meanwhile into its next entry), few enough that
   * under load each request carries most of what waits.
   */
  public static final int REQUESTS_IN_FLIGHT_MAX = 4;

  /** A node without the bundle route answers 404 NOT_FOUND; a proxy in front of it, a bare 404. */
  private static final java.util.Set<String> NO_ROUTE_CODES = java.util.Set.of("NOT_FOUND", "HTTP_404");

  /** An event waiting to be posted, with its caller's future. */
  private record Waiting(SealedRequest event, int bytes, CompletableFuture<SealedResponse> answer) {}

  private final NodeHttp http;
  private final URI single;
  private final URI bundle;
  /** Guarded by this. */
  private int requestsInFlightMax;
  /** Guarded by this. */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** Event requests posted and not answered yet; guarded by this. */
  private int inFlight;
  /** Set once the node answered that it has no bundle route. */
  private volatile boolean bundlesUnsupported;
  private final AtomicLong bundlesSent = new AtomicLong();
  private final AtomicLong eventsBundled = new AtomicLong();

  public EventBundler(NodeHttp http, URI node) {
    this(http, node, REQUESTS_IN_FLIGHT_MAX);
  }

  EventBundler(NodeHttp http, URI node, int requestsInFlightMax) {
    this.http = http;
    this.single = node.resolve(SINGLE_PATH);
    this.bundle = node.resolve(PATH);
    this.requestsInFlightMax = checkRequestsInFlightMax(requestsInFlightMax);
  }

  private static int checkRequestsInFlightMax(int max) {
    if (max < 1 || max > NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX) {
      throw new IllegalArgumentException("event requests in flight must lie in 1.."
          + NodeHttp.ASYNC_REQUESTS_IN_FLIGHT_MAX + " (what NodeHttp keeps in flight), got " + max);
    }
    return max;
  }

  /**
   * Sets how many event requests may be unanswered at once from now on (the default is {@value
   * #REQUESTS_IN_FLIGHT_MAX}, at most {@link NodeHttp#ASYNC_REQUESTS_IN_FLIGHT_MAX}). Requests
   * already posted stay; a higher bound sends what waits at once, a lower one holds new requests
   * until fewer are in flight. It does not apply once the node answered that it has no bundle route.
   */
  public void requestsInFlightMax(int max) {
    synchronized (this) {
      requestsInFlightMax = checkRequestsInFlightMax(max);
    }
    sendWaiting();
  }

  /**
   * Posts one sealed event; completes with its sealed response, or fails with the node's refusal
   * of that event ({@link ClientException} with the node's code) or the failure of its request.
   */
  public CompletableFuture<SealedResponse> post(SealedRequest event) {
    CompletableFuture<SealedResponse> answer = new CompletableFuture<>();
    synchronized (this) {
      waiting.add(new Waiting(event, event.getSerializedSize(), answer));
    }
    sendWaiting();
    return answer;
  }

  /** Bundles the node answered so far (requests of two or more events; a bundle refused whole is not counted). */
  public long bundlesSent() {
    return bundlesSent.get();
  }

  /** Events the node answered inside bundles so far. */
  public long eventsBundled() {
    return eventsBundled.get();
  }

  /**
   * Posts what waits while request slots are free: each slot takes the oldest events that fit one
   * request. When an answer arrives its slot is freed and what waits is sent BEFORE the answer's
   * callers are completed: completing them runs their code (opening answers, a refresh after an
   * old-epoch refusal, the application's own callbacks, which may even block on another call), and
   * a slot held meanwhile could starve, or with blocking callbacks deadlock, every other event.
   */
  private void sendWaiting() {
    while (true) {
      List<Waiting> next;
      synchronized (this) {
        // Without bundles (a node that has no route for them) events go one per request, as
        // before bundles: only NodeHttp's own in-flight bound and queue hold them back.
        if (waiting.isEmpty() || (!bundlesUnsupported && inFlight >= requestsInFlightMax)) {
          return;
        }
        next = takeNext();
        inFlight++;
      }
      CompletableFuture<Runnable> sent;
      try {
        sent = next.size() == 1 ? sendAlone(next.get(0)) : sendBundle(next);
      } catch (RuntimeException e) {
        sent = CompletableFuture.completedFuture(() -> failAll(next, e));
      }
      sent.whenComplete((completeCallers, error) -> {
        synchronized (this) {
          inFlight--;
        }
        sendWaiting();
        if (error != null) {
          failAll(next, error); // only if an answer handler below threw
        } else {
          completeCallers.run();
        }
      });
    }
  }

  /** Called holding this: the oldest waiting events, up to one bundle's limits (one when bundles are off). */
  private List<Waiting> takeNext() {
    List<Waiting> next = new ArrayList<>();
    long bytes = 0;
    while (!waiting.isEmpty() && next.size() < (bundlesUnsupported ? 1 : EVENTS_MAX)) {
      Waiting first = waiting.peek();
      if (!next.isEmpty() && bytes + first.bytes() > BYTES_MAX) {
        break;
      }
      next.add(waiting.poll());
      bytes += first.bytes();
    }
    return next;
  }

  /** Posts one event to {@value #SINGLE_PATH}; the answer is what completes its caller. */
  private CompletableFuture<Runnable> sendAlone(Waiting event) {
    return http.postAsync(single, event.event().toByteArray()).handle((body, error) -> {
      if (error != null) {
        return () -> event.answer().completeExceptionally(error);
      }
      try {
        SealedResponse response = SealedResponse.parseFrom(body);
        return () -> event.answer().complete(response);
      } catch (InvalidProtocolBufferException e) {
        return () -> event.answer().completeExceptionally(new ClientException("BAD_RESPONSE",
            "node's answer to an event is not a SealedResponse protobuf: " + e.getMessage(), e));
      }
    });
  }

  /** Posts events as one bundle; the answer is what completes their callers, each with its own answer. */
  private CompletableFuture<Runnable> sendBundle(List<Waiting> events) {
    EventBundle.Builder request = EventBundle.newBuilder();
    events.forEach(event -> request.addEvents(event.event()));
    return http.postAsync(bundle, request.build().toByteArray()).handle((body, error) -> {
      if (error != null) {
        if (error instanceof ClientException refused && NO_ROUTE_CODES.contains(refused.code())) {
          // A node without the route: these go first again, one by one in the request slots, and so
          // does everything after them.
          synchronized (this) {
            bundlesUnsupported = true;
            for (int i = events.size() - 1; i >= 0; i--) {
              waiting.addFirst(events.get(i));
            }
          }
          return () -> {};
        }
        return () -> failAll(events, error);
      }
      EventBundleAnswers answers;
      try {
        answers = EventBundleAnswers.parseFrom(body);
      } catch (InvalidProtocolBufferException e) {
        return () -> failAll(events, new ClientException("BAD_RESPONSE", "node's answer to a bundle of "
            + events.size() + " events is not an EventBundleAnswers protobuf: " + e.getMessage(), e));
      }
      if (answers.getAnswersCount() != events.size()) {
        return () -> failAll(events, new ClientException("BAD_RESPONSE", "node answered a bundle of "
            + events.size() + " events with " + answers.getAnswersCount() + " answers"));
      }
      bundlesSent.incrementAndGet();
      eventsBundled.addAndGet(events.size());
      return () -> {
        for (int i = 0; i < events.size(); i++) {
          complete(events.get(i).answer(), answers.getAnswers(i));
        }
      };
    });
  }

  private static void complete(CompletableFuture<SealedResponse> caller, EventAnswer answer) {
    switch (answer.getAnswerCase()) {
      case SEALED_RESPONSE -> caller.complete(answer.getSealedResponse());
      case ERROR -> caller.completeExceptionally(new ClientException(answer.getError().getCode().isEmpty()
          ? "REFUSED" : answer.getError().getCode(), answer.getError().getMessage()));
      default -> caller.completeExceptionally(new ClientException("BAD_RESPONSE",
          "node answered an event of a bundle with neither a sealed response nor an error"));
    }
  }

  private static void failAll(List<Waiting> events, Throwable failure) {
    events.forEach(event -> event.answer().completeExceptionally(failure));
  }
}
