package dev.veilraft.simulator.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.simulator.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Judges a relay workload's history:
 * <ul>
 *   <li>{@code relay-published-only}: every event a node served (live {@code deliver}, or a
 *       {@code final-req}) is one a client published, with the same kind, author and time, and
 *       its id and signature verify;
 *   <li>{@code relay-durable}: after the heal, every node serves every regular event acknowledged
 *       with {@code OK true}, and for every replaceable event so acknowledged, that event or a
 *       newer one of the same author and kind;
 *   <li>{@code relay-replaceable}: a node serves at most one kind-0 event per author, and every
 *       node serves the same one.
 * </ul>
 * Replaceable order is NIP-01's: the later {@code created_at} wins, a tie goes to the lower id.
 */
public final class RelayChecker {
  public static final String PUBLISHED_ONLY = "relay-published-only";
  public static final String DURABLE = "relay-durable";
  public static final String REPLACEABLE = "relay-replaceable";
  static final int REPLACEABLE_KIND = 0;

  /** An event as the history describes it. */
  record Event(String id, int kind, String pubkey, long createdAt) {
    static Event of(String id, JsonNode n) {
      return new Event(id, n.path("kind").asInt(-1), n.path("pubkey").asText(), n.path("created_at").asLong(-1));
    }

    /** NIP-01: whether this replaceable event supersedes (or is) {@code other}. */
    boolean atLeast(Event other) {
      return createdAt > other.createdAt || (createdAt == other.createdAt && id.compareTo(other.id) <= 0);
    }
  }

  public List<Verdict> check(List<Operation> ops) {
    Map<String, Event> published = new HashMap<>();
    List<Event> acked = new ArrayList<>();
    Map<String, Map<String, Event>> finalByNode = new LinkedHashMap<>();
    int delivered = 0;
    String forged = null;
    for (Operation op : ops) {
      switch (op.f()) {
        case "publish" -> {
          Event e = Event.of(op.key(), op.argument());
          published.put(e.id(), e);
          if (op.ok()) {
            acked.add(e);
          }
        }
        case "deliver" -> {
          if (op.ok()) {
            delivered++;
            forged = forged != null ? forged : judge(op.result(), published, "delivered live by " + op.node());
          }
        }
        case "final-req" -> {
          if (op.ok()) {
            Map<String, Event> served = finalByNode.computeIfAbsent(op.node(), n -> new LinkedHashMap<>());
            for (JsonNode s : op.result().path("events")) {
              forged = forged != null ? forged : judge(s, published, "served by " + op.node() + " after the heal");
              served.put(s.path("id").asText(), Event.of(s.path("id").asText(), s));
            }
          }
        }
        default -> { }
      }
    }
    Verdict publishedOnly = forged != null ? Verdict.fail(PUBLISHED_ONLY, Verdict.Kind.SAFETY, forged)
        : Verdict.pass(PUBLISHED_ONLY, Verdict.Kind.SAFETY, delivered + " live deliveries and "
            + finalByNode.values().stream().mapToInt(Map::size).sum() + " final answers, all published and signed");
    return List.of(publishedOnly, durable(acked, finalByNode), replaceable(finalByNode));
  }

  /** Null when a served event is one that was published (same fields) and verifies; else what is wrong. */
  private static String judge(JsonNode served, Map<String, Event> published, String where) {
    String id = served.path("id").asText();
    if (!served.path("valid").asBoolean(false)) {
      return "event " + id + " " + where + " does not verify: " + served.path("why").asText();
    }
    Event p = published.get(id);
    if (p == null) {
      return "event " + id + " " + where + " was never published";
    }
    if (!p.equals(Event.of(id, served))) {
      return "event " + id + " " + where + " differs from what was published: " + served;
    }
    return null;
  }

  private static Verdict durable(List<Event> acked, Map<String, Map<String, Event>> finalByNode) {
    if (finalByNode.isEmpty()) {
      return Verdict.fail(DURABLE, Verdict.Kind.SAFETY, "no node answered the final queries");
    }
    for (Map.Entry<String, Map<String, Event>> node : finalByNode.entrySet()) {
      Map<String, Event> served = node.getValue();
      for (Event e : acked) {
        if (e.kind() != REPLACEABLE_KIND) {
          if (!served.containsKey(e.id())) {
            return Verdict.fail(DURABLE, Verdict.Kind.SAFETY, "event " + e.id() + " (kind " + e.kind()
                + ") was acknowledged OK but " + node.getKey() + " does not serve it");
          }
          continue;
        }
        boolean covered = served.values().stream().anyMatch(s -> s.kind() == REPLACEABLE_KIND
            && s.pubkey().equals(e.pubkey()) && s.atLeast(e));
        if (!covered) {
          return Verdict.fail(DURABLE, Verdict.Kind.SAFETY, "replaceable event " + e.id() + " (created_at "
              + e.createdAt() + ") was acknowledged OK but " + node.getKey() + " serves neither it nor a newer one");
        }
      }
    }
    return Verdict.pass(DURABLE, Verdict.Kind.SAFETY, acked.size() + " acknowledged events served (or superseded) by "
        + "all " + finalByNode.size() + " running nodes");
  }

  private static Verdict replaceable(Map<String, Map<String, Event>> finalByNode) {
    Map<String, Set<String>> chosen = null;
    String chosenBy = null;
    for (Map.Entry<String, Map<String, Event>> node : finalByNode.entrySet()) {
      Map<String, Set<String>> byAuthor = new HashMap<>();
      for (Event e : node.getValue().values()) {
        if (e.kind() == REPLACEABLE_KIND) {
          byAuthor.computeIfAbsent(e.pubkey(), k -> new TreeSet<>()).add(e.id());
        }
      }
      for (Map.Entry<String, Set<String>> a : byAuthor.entrySet()) {
        if (a.getValue().size() > 1) {
          return Verdict.fail(REPLACEABLE, Verdict.Kind.SAFETY, node.getKey() + " serves " + a.getValue().size()
              + " kind-0 events of author " + a.getKey() + ": " + a.getValue());
        }
      }
      if (chosen == null) {
        chosen = byAuthor;
        chosenBy = node.getKey();
      } else if (!chosen.equals(byAuthor)) {
        return Verdict.fail(REPLACEABLE, Verdict.Kind.SAFETY, "nodes keep different replaceable events: "
            + chosenBy + " " + chosen + ", " + node.getKey() + " " + byAuthor);
      }
    }
    return Verdict.pass(REPLACEABLE, Verdict.Kind.SAFETY, "one kind-0 event per author, the same on every node ("
        + (chosen == null ? 0 : chosen.size()) + " authors)");
  }
}
