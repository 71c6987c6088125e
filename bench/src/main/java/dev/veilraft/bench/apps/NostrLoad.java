package dev.veilraft.bench.apps;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.apps.nostr.NostrEvent;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Schnorr;
import dev.veilraft.crypto.secp256k1.Secp256k1;
import dev.veilraft.node.Await;
import java.io.IOException;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * The relay across nodes: one subscriber on node {@code subscriberNode} holds a REQ for kind 1
 * events with this run's {@code t} tag; {@code conc} publishers on node {@code publisherNode},
 * each with its own key and connection, publish signed kind-1 events carrying that tag, each
 * sending the next as soon as the relay's OK for the last arrives. OK latency is EVENT sent to
 * OK received on the publisher's node; fan-out latency is EVENT sent on the publisher's node to
 * the event received on the subscriber's (one JVM, one clock). Every event accepted in the
 * window must reach the subscriber: any missing one, OK false, CLOSED or closed socket fails the run.
 */
final class NostrLoad {
  static final Duration OK_TIMEOUT = Duration.ofSeconds(60);
  /** How long after the window the subscriber may take to receive the last accepted events. */
  static final Duration FANOUT_DRAIN_TIMEOUT = Duration.ofSeconds(60);
  private static final String SUBSCRIPTION = "bench";
  private static final int KIND_TEXT_NOTE = 1;
  private static final int FAILURES_SHOWN_MAX = 5;
  private static final HexFormat HEX = HexFormat.of();

  /** The measured part of a run. */
  record Result(long accepted, double seconds, Histogram ok, Histogram fanout, long fanoutMissing,
      List<String> failures) {
    double acceptedPerSecond() {
      return accepted / seconds;
    }
  }

  private final AppsCluster cluster;
  private final HttpClient http;
  private final int concurrency;
  private final int publisherNode;
  private final int subscriberNode;
  private final byte[] seed = new byte[32];
  private final String tag;
  /** Send time of every event published, by id; read by the subscriber. */
  private final Map<String, Long> sentNanos = new ConcurrentHashMap<>();
  private final Set<String> fannedOut = ConcurrentHashMap.newKeySet();
  private final Set<String> acceptedInWindow = ConcurrentHashMap.newKeySet();
  private final Histogram fanout = Window.histogram();
  private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean failed = new AtomicBoolean();
  private final CountDownLatch eose = new CountDownLatch(1);
  private volatile Window window;

  NostrLoad(AppsCluster cluster, HttpClient http, int concurrency, int publisherNode, int subscriberNode) {
    this.cluster = cluster;
    this.http = http;
    this.concurrency = concurrency;
    this.publisherNode = publisherNode;
    this.subscriberNode = subscriberNode;
    new SecureRandom().nextBytes(seed);
    this.tag = "veilraft-bench-" + HEX.formatHex(seed, 0, 8);
  }

  Result run(Window window) throws IOException, InterruptedException {
    this.window = window;
    try (NostrSocket subscriber = NostrSocket.connect(http, cluster.relayUrl(subscriberNode), this::onSubscriberMessage)) {
      subscriber.send("[\"REQ\",\"" + SUBSCRIPTION + "\",{\"kinds\":[" + KIND_TEXT_NOTE + "],\"#t\":[\"" + tag + "\"]}]");
      if (!eose.await(OK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IOException("the subscriber on node " + subscriberNode + " got no EOSE within " + OK_TIMEOUT
            + (subscriber.closedBecause() == null ? "" : ": " + subscriber.closedBecause()));
      }
      List<Publisher> publishers = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      for (int i = 0; i < concurrency; i++) {
        Publisher publisher = new Publisher(i);
        publishers.add(publisher);
        Thread thread = new Thread(publisher::loop, "nostr-publisher-" + i);
        thread.start();
        threads.add(thread);
      }
      for (Thread thread : threads) {
        thread.join();
      }
      Await.until(() -> fannedOut.containsAll(acceptedInWindow) || subscriber.closedBecause() != null,
          FANOUT_DRAIN_TIMEOUT);
      if (subscriber.closedBecause() != null) {
        fail("subscriber: " + subscriber.closedBecause());
      }
      Histogram ok = Window.histogram();
      long accepted = 0;
      for (Publisher publisher : publishers) {
        ok.add(publisher.ok);
        accepted += publisher.accepted;
      }
      long missing = acceptedInWindow.stream().filter(id -> !fannedOut.contains(id)).count();
      if (missing > 0) {
        fail(missing + " accepted events never reached the subscriber on node " + subscriberNode + " within "
            + FANOUT_DRAIN_TIMEOUT);
      }
      Histogram fanoutCopy;
      synchronized (fanout) {
        fanoutCopy = fanout.copy();
      }
      return new Result(accepted, window.seconds(), ok, fanoutCopy, missing, List.copyOf(failures));
    }
  }

  /** Runs on the subscriber's WebSocket thread: live events are timed as they arrive. */
  private void onSubscriberMessage(String message) {
    long received = System.nanoTime();
    try {
      JsonNode array = BenchWallet.JSON.readTree(message);
      String type = array.path(0).asText();
      switch (type) {
        case "EVENT" -> {
          String id = array.path(2).path("id").asText();
          Long sent = sentNanos.get(id);
          if (sent != null && fannedOut.add(id) && window.counts(sent)) {
            synchronized (fanout) {
              Window.record(fanout, received - sent);
            }
          }
        }
        case "EOSE" -> eose.countDown();
        case "CLOSED", "NOTICE" -> fail("subscriber got " + clip(message));
        default -> { } // AUTH: the subscription needs none for kind 1.
      }
    } catch (IOException e) {
      fail("subscriber got unreadable JSON: " + clip(message));
    }
  }

  private final class Publisher {
    final byte[] secret;
    final String pubkey;
    final BlockingQueue<String> inbox = new LinkedBlockingQueue<>();
    final Histogram ok = Window.histogram();
    final byte[] auxRand = new byte[Schnorr.AUX_RAND_BYTES];
    final SecureRandom random = new SecureRandom();
    long accepted;
    long sequence;

    Publisher(int index) {
      secret = Secp256k1.deriveScalar(seed, "bench/nostr", Hashes.u64(index));
      pubkey = HEX.formatHex(Schnorr.xOnlyPublicKey(secret));
    }

    void loop() {
      try (NostrSocket socket = NostrSocket.connect(http, cluster.relayUrl(publisherNode), inbox::add)) {
        while (!window.over() && !failed.get()) {
          publishOnce(socket);
        }
      } catch (IOException | RuntimeException e) {
        fail("publisher " + pubkey.substring(0, 8) + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("publisher " + pubkey.substring(0, 8) + ": interrupted");
      }
    }

    void publishOnce(NostrSocket socket) throws IOException, InterruptedException {
      NostrEvent event = sign(List.of(List.of("t", tag)), "veilraft bench note " + sequence++);
      String message = "[\"EVENT\"," + event.toJson() + "]";
      long started = System.nanoTime();
      sentNanos.put(event.id(), started);
      socket.send(message);
      JsonNode answer = awaitOk(socket, event.id());
      long completed = System.nanoTime();
      if (!answer.path(2).asBoolean(false)) {
        throw new IOException("event refused: " + clip(answer.toString()));
      }
      if (window.counts(completed)) {
        Window.record(ok, completed - started);
        accepted++;
      }
      if (window.counts(started)) {
        acceptedInWindow.add(event.id());
      }
    }

    JsonNode awaitOk(NostrSocket socket, String id) throws IOException, InterruptedException {
      long deadline = System.nanoTime() + OK_TIMEOUT.toNanos();
      while (true) {
        String message = inbox.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (message == null) {
          throw new IOException("no OK for event " + id.substring(0, 8) + " within " + OK_TIMEOUT
              + (socket.closedBecause() == null ? "" : ": " + socket.closedBecause()));
        }
        JsonNode array = BenchWallet.JSON.readTree(message);
        String type = array.path(0).asText();
        if ("OK".equals(type) && id.equals(array.path(1).asText())) {
          return array;
        }
        if ("NOTICE".equals(type) || "OK".equals(type)) {
          throw new IOException("relay answered " + clip(message));
        }
      }
    }

    NostrEvent sign(List<List<String>> tags, String content) {
      long createdAt = Instant.now().getEpochSecond();
      String id = new NostrEvent("", pubkey, createdAt, KIND_TEXT_NOTE, tags, content, "").computeId();
      random.nextBytes(auxRand);
      String sig = HEX.formatHex(Schnorr.sign(secret, HEX.parseHex(id), auxRand));
      return new NostrEvent(id, pubkey, createdAt, KIND_TEXT_NOTE, tags, content, sig);
    }
  }

  private void fail(String failure) {
    failed.set(true);
    if (failures.size() < FAILURES_SHOWN_MAX) {
      failures.add(failure);
    }
  }

  private static String clip(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }
}
