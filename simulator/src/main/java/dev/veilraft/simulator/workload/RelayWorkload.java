package dev.veilraft.simulator.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.apps.nostr.NostrEvent;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Schnorr;
import dev.veilraft.simulator.check.RelayChecker;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.simulator.history.HistoryEvent;
import dev.veilraft.simulator.history.HistoryRecorder;
import dev.veilraft.simulator.history.Operation;
import dev.veilraft.simulator.workload.nostr.RelaySocket;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Nostr clients against the relay on every node ({@code /nostr}): publishers sign events
 * (BIP-340, the crypto module's Schnorr) of a few seeded authors, regular notes (kind 1) and
 * replaceable metadata (kind 0), and publish each through a random node, waiting for its
 * {@code OK}; one live subscriber per member holds a REQ open and records every event the relay
 * pushes. An event without an {@code OK} is {@code info} and its process retires. After the heal
 * the final phase asks every node for every published id and for each author's kind 0.
 */
public final class RelayWorkload implements Workload {
  public static final String NAME = "relay";
  /** Every event's content starts with this, so the disk scan finds any content stored in plaintext. */
  public static final String MARKER = "veilraft-sim-secret-";
  static final int AUTHORS = 3;
  /** Share of publishes that are replaceable kind 0 (the rest are kind 1 notes). */
  static final double REPLACEABLE_SHARE = 0.25;
  public static final Duration OK_TIMEOUT = Duration.ofSeconds(10);
  /** A final query not finished (EOSE) within this is retried. */
  static final Duration QUERY_TIMEOUT = Duration.ofSeconds(10);
  /** Ids per final query: below the relay's per-filter values and result limits. */
  static final int QUERY_IDS_MAX = 200;
  static final long thinkMsMax = 60;
  static final long retryPauseMs = 300;
  static final long stopWaitMs = OK_TIMEOUT.toMillis() + 5_000;
  private static final JsonNodeFactory J = JsonNodeFactory.instance;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicInteger nextProcess = new AtomicInteger();
  private final List<Thread> workers = new ArrayList<>();
  private final List<RelaySocket> live = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Every event id a publisher invoked. */
  private final java.util.Set<String> published = ConcurrentHashMap.newKeySet();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(RelaySocket.CONNECT_TIMEOUT).build();
  private final List<byte[]> authors = new ArrayList<>();
  private WorkloadContext context;
  private long startSeconds;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte[] plaintextMarker() {
    return Hashes.utf8(MARKER);
  }

  @Override
  public void start(WorkloadContext context) {
    this.context = context;
    this.startSeconds = System.currentTimeMillis() / 1000;
    for (int a = 0; a < AUTHORS; a++) {
      authors.add(Hashes.sha256(Hashes.utf8("veilraft-sim-author-" + context.seed() + "-" + a)));
    }
    for (int w = 0; w < context.concurrency(); w++) {
      Random random = new Random(context.seed() * 1_000_003L + w);
      start(new Thread(() -> runPublisher(random), "relay-publisher-" + w));
    }
    for (int slot = 0; slot < context.cluster().layout().members(); slot++) {
      int s = slot;
      start(new Thread(() -> runSubscriber(s), "relay-subscriber-" + SimLayout.name(slot)));
    }
  }

  private void start(Thread t) {
    t.setDaemon(true);
    workers.add(t);
    t.start();
  }

  @Override
  public void stop() throws InterruptedException {
    stopping.set(true);
    live.forEach(RelaySocket::close);
    for (Thread t : workers) {
      t.join(stopWaitMs);
    }
  }

  private int process() {
    return nextProcess.getAndIncrement();
  }

  /** A signed event of {@code author}; {@code aux} randomizes the signature (BIP-340 auxiliary randomness). */
  static NostrEvent event(byte[] author, int kind, long createdAt, String content, byte[] aux) {
    String pubkey = Hashes.hex(Schnorr.xOnlyPublicKey(author));
    NostrEvent unsigned = new NostrEvent("", pubkey, createdAt, kind, List.of(), content, "");
    String id = unsigned.computeId();
    String sig = Hashes.hex(Schnorr.sign(author, Hashes.unhex(id), aux));
    return new NostrEvent(id, pubkey, createdAt, kind, List.of(), content, sig);
  }

  private void runPublisher(Random random) {
    int members = context.cluster().layout().members();
    long counter = 0;
    while (!stopping.get()) {
      int slot = random.nextInt(members);
      int p = process();
      try (RelaySocket socket = RelaySocket.connect(http, context.cluster().insecurePlainHttp(slot))) {
        while (!stopping.get()) {
          int kind = random.nextDouble() < REPLACEABLE_SHARE ? 0 : 1;
          byte[] aux = new byte[Schnorr.AUX_RAND_BYTES];
          random.nextBytes(aux);
          NostrEvent e = event(authors.get(random.nextInt(AUTHORS)), kind, System.currentTimeMillis() / 1000,
              MARKER + context.seed() + "-" + p + "-" + (counter++), aux);
          if (!publish(p, slot, socket, e)) {
            break;
          }
          Thread.sleep(1 + (long) (random.nextDouble() * thinkMsMax));
        }
      } catch (IOException e) {
        // Node down or not serving: nothing was invoked; try another node.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      try {
        Thread.sleep(retryPauseMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Publishes one event and waits for its OK; false when the process must retire. */
  private boolean publish(int p, int slot, RelaySocket socket, NostrEvent e) throws InterruptedException {
    HistoryRecorder h = context.history();
    String node = SimLayout.name(slot);
    published.add(e.id());
    h.record(new HistoryEvent(p, HistoryEvent.Type.INVOKE, "publish", e.id(), summary(e), h.now(), node, null));
    try {
      socket.send("[\"EVENT\"," + e.toJson() + "]");
    } catch (IOException failure) {
      h.record(new HistoryEvent(p, HistoryEvent.Type.INFO, "publish", e.id(), null, h.now(), node,
          clip(failure.getMessage())));
      return false;
    }
    long deadline = System.nanoTime() + OK_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode m = socket.next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
      if (m == null) {
        break;
      }
      if (m == RelaySocket.CLOSED) {
        h.record(new HistoryEvent(p, HistoryEvent.Type.INFO, "publish", e.id(), null, h.now(), node,
            "connection closed before OK"));
        return false;
      }
      if ("OK".equals(m.path(0).asText()) && e.id().equals(m.path(1).asText())) {
        boolean accepted = m.path(2).asBoolean(false);
        h.record(new HistoryEvent(p, accepted ? HistoryEvent.Type.OK : HistoryEvent.Type.FAIL, "publish", e.id(),
            accepted ? J.objectNode().put("message", m.path(3).asText("")) : null, h.now(), node,
            accepted ? null : clip(m.path(3).asText(""))));
        return true;
      }
    }
    h.record(new HistoryEvent(p, HistoryEvent.Type.INFO, "publish", e.id(), null, h.now(), node,
        "TIMEOUT no OK within " + OK_TIMEOUT));
    return false;
  }

  private static ObjectNode summary(NostrEvent e) {
    return J.objectNode().put("kind", e.kind()).put("pubkey", e.pubkey()).put("created_at", e.createdAt());
  }

  /** A live subscription on one node: every pushed event is recorded ({@code deliver}); reconnects after a failure. */
  private void runSubscriber(int slot) {
    while (!stopping.get()) {
      int p = process();
      try (RelaySocket socket = RelaySocket.connect(http, context.cluster().insecurePlainHttp(slot))) {
        live.add(socket);
        ObjectNode filter = J.objectNode();
        filter.putArray("kinds").add(0).add(1);
        filter.put("since", startSeconds - 5);
        socket.send("[\"REQ\",\"live\"," + filter + "]");
        while (!stopping.get()) {
          JsonNode m = socket.next(Duration.ofSeconds(1));
          if (m == RelaySocket.CLOSED) {
            break;
          }
          if (m != null && "EVENT".equals(m.path(0).asText())) {
            deliver(p, slot, m.path(2));
          }
        }
        live.remove(socket);
      } catch (IOException e) {
        // The node is down: try again shortly.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      try {
        Thread.sleep(retryPauseMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void deliver(int p, int slot, JsonNode event) {
    HistoryRecorder h = context.history();
    String id = event.path("id").asText();
    long now = h.now();
    h.record(new HistoryEvent(p, HistoryEvent.Type.INVOKE, "deliver", id, null, now, SimLayout.name(slot), null));
    h.record(new HistoryEvent(p, HistoryEvent.Type.OK, "deliver", id, served(event), now, SimLayout.name(slot), null));
  }

  /** What the history keeps of a served event: kind, author, time and whether its id and signature verify. */
  private static ObjectNode served(JsonNode event) {
    String valid;
    try {
      NostrEvent e = NostrEvent.fromJson(event);
      valid = e.verify();
    } catch (NostrEvent.InvalidEventException e) {
      valid = e.getMessage();
    }
    ObjectNode node = J.objectNode().put("id", event.path("id").asText()).put("kind", event.path("kind").asInt(-1))
        .put("pubkey", event.path("pubkey").asText()).put("created_at", event.path("created_at").asLong(-1));
    return valid == null ? node.put("valid", true) : node.put("valid", false).put("why", clip(valid));
  }

  @Override
  public boolean finish(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    List<String> ids = new ArrayList<>(published);
    ids.sort(null);
    List<ObjectNode> filters = new ArrayList<>();
    for (int from = 0; from < ids.size(); from += QUERY_IDS_MAX) {
      ObjectNode f = J.objectNode();
      ArrayNode batch = f.putArray("ids");
      ids.subList(from, Math.min(ids.size(), from + QUERY_IDS_MAX)).forEach(batch::add);
      f.put("limit", QUERY_IDS_MAX);
      filters.add(f);
    }
    for (byte[] author : authors) {
      ObjectNode f = J.objectNode();
      f.putArray("authors").add(Hashes.hex(Schnorr.xOnlyPublicKey(author)));
      f.putArray("kinds").add(0);
      filters.add(f);
    }
    boolean all = true;
    for (int slot = 0; slot < context.cluster().layout().slots(); slot++) {
      if (!context.cluster().running(slot)) {
        continue;
      }
      for (ObjectNode filter : filters) {
        all &= finalQuery(slot, filter, deadline);
      }
    }
    return all;
  }

  /** One REQ until EOSE through {@code slot}, recorded as {@code final-req}; retried until {@code deadline}. */
  private boolean finalQuery(int slot, ObjectNode filter, long deadline) throws InterruptedException {
    HistoryRecorder h = context.history();
    String node = SimLayout.name(slot);
    while (System.nanoTime() < deadline) {
      int p = process();
      h.record(new HistoryEvent(p, HistoryEvent.Type.INVOKE, "final-req", null, filter, h.now(), node, null));
      String error;
      try (RelaySocket socket = RelaySocket.connect(http, context.cluster().insecurePlainHttp(slot))) {
        socket.send("[\"REQ\",\"final\"," + filter + "]");
        ArrayNode events = J.arrayNode();
        long until = System.nanoTime() + QUERY_TIMEOUT.toNanos();
        error = "no EOSE within " + QUERY_TIMEOUT;
        while (System.nanoTime() < until) {
          JsonNode m = socket.next(Duration.ofNanos(Math.max(1, until - System.nanoTime())));
          if (m == null || m == RelaySocket.CLOSED) {
            error = m == null ? error : "connection closed before EOSE";
            break;
          }
          String type = m.path(0).asText();
          if ("EVENT".equals(type)) {
            events.add(served(m.path(2)));
          } else if ("EOSE".equals(type)) {
            h.record(new HistoryEvent(p, HistoryEvent.Type.OK, "final-req", null, J.objectNode().set("events", events),
                h.now(), node, null));
            return true;
          } else if ("CLOSED".equals(type)) {
            error = "subscription closed: " + clip(m.path(2).asText());
            break;
          }
        }
      } catch (IOException e) {
        error = clip(e.getMessage());
      }
      h.record(new HistoryEvent(p, HistoryEvent.Type.FAIL, "final-req", null, null, h.now(), node, error));
      Thread.sleep(retryPauseMs);
    }
    return false;
  }

  @Override
  public boolean probe(int slot) throws InterruptedException {
    // A publish (a committed write) by an author of its own and a query for it, outside the history.
    byte[] author = Hashes.sha256(Hashes.utf8("veilraft-sim-probe-author"));
    NostrEvent e = event(author, 1, System.currentTimeMillis() / 1000, MARKER + "probe-" + System.nanoTime(),
        new byte[Schnorr.AUX_RAND_BYTES]);
    try (RelaySocket socket = RelaySocket.connect(http, context.cluster().insecurePlainHttp(slot))) {
      socket.send("[\"EVENT\"," + e.toJson() + "]");
      JsonNode ok = awaitType(socket, "OK");
      if (ok == null || !ok.path(2).asBoolean(false)) {
        return false;
      }
      socket.send("[\"REQ\",\"probe\",{\"ids\":[\"" + e.id() + "\"]}]");
      boolean seen = false;
      for (JsonNode m = socket.next(OK_TIMEOUT); m != null && m != RelaySocket.CLOSED; m = socket.next(OK_TIMEOUT)) {
        if ("EVENT".equals(m.path(0).asText())) {
          seen = true;
        } else if ("EOSE".equals(m.path(0).asText())) {
          return seen;
        }
      }
      return false;
    } catch (IOException failure) {
      return false;
    }
  }

  private static JsonNode awaitType(RelaySocket socket, String type) throws InterruptedException {
    for (JsonNode m = socket.next(OK_TIMEOUT); m != null && m != RelaySocket.CLOSED; m = socket.next(OK_TIMEOUT)) {
      if (type.equals(m.path(0).asText())) {
        return m;
      }
    }
    return null;
  }

  private static String clip(String s) {
    String line = s == null ? "" : s.replace('\n', ' ');
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }

  @Override
  public List<Verdict> check(List<Operation> operations) {
    return new RelayChecker().check(operations);
  }
}
