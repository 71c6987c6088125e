package dev.veilraft.simulator.check;

import dev.veilraft.simulator.check.MembershipObserver.Observation;
import dev.veilraft.simulator.check.MembershipObserver.Removal;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The membership invariants over a run's observations:
 * <ol>
 *   <li>only admitted nodes ever appear in a member list or a Raft configuration: never an
 *       attacker's id, never an id the run did not create;</li>
 *   <li>a removed member, once a node's view dropped it, never appears in that view again;</li>
 *   <li>each node's key epoch never goes back while its applied index grows (a restart that
 *       replays from an empty store starts a new incarnation), and one epoch number has one key
 *       id across all nodes;</li>
 *   <li>a removed node never holds the secret of its removal epoch or a later one (in-JVM mode, which sees
 *       each node's keyring).</li>
 * </ol>
 */
public final class MembershipChecker {
  public static final String NAME = "membership";

  private final List<Observation> observations;
  private final Set<String> legitimate;
  private final Set<String> attackers;
  private final Map<String, Removal> removals;

  public MembershipChecker(List<Observation> observations, Set<String> legitimate, Set<String> attackers,
      Map<String, Removal> removals) {
    this.observations = observations.stream().sorted(Comparator.comparingLong(Observation::timeNs)).toList();
    this.legitimate = legitimate;
    this.attackers = attackers;
    this.removals = removals;
  }

  public Verdict check() {
    Map<String, Long> lastEpoch = new HashMap<>();
    Map<String, Long> lastApplied = new HashMap<>();
    Map<Long, String> keyIds = new HashMap<>();
    Set<String> goneFrom = new HashSet<>();
    Set<String> observers = new TreeSet<>();
    for (Observation o : observations) {
      String observer = o.status().nodeId();
      observers.add(observer);
      Removal own = removals.get(observer);
      if (own != null && o.timeNs() > own.timeNs()) {
        // Its view may well have applied the epoch that removed it (the entry reached it before it left the
        // group); what it must not have is that epoch's secret. Only modes that see the keyring can tell.
        long held = o.status().heldEpochs().stream().mapToLong(Long::longValue).max().orElse(0);
        if (held >= own.epoch()) {
          return fail(o, "removed node " + shortId(observer) + " holds the secret of epoch " + held
              + ", but it was removed before epoch " + own.epoch() + " was created");
        }
        continue;
      }
      Set<String> seen = new TreeSet<>(o.status().members());
      seen.addAll(o.status().raftConfiguration().keySet());
      for (String id : seen) {
        String where = (o.status().members().contains(id) ? "member list" : "Raft configuration");
        if (attackers.contains(id)) {
          return fail(o, "attacker " + shortId(id) + " is in the " + where);
        }
        if (!legitimate.contains(id)) {
          return fail(o, "unknown node " + shortId(id) + " is in the " + where);
        }
        Removal r = removals.get(id);
        if (r != null && o.timeNs() > r.timeNs() && goneFrom.contains(observer + "/" + id)) {
          return fail(o, "removed node " + shortId(id) + " is back in the " + where);
        }
      }
      for (Removal r : removals.values()) {
        if (o.timeNs() > r.timeNs() && !seen.contains(r.nodeId())) {
          goneFrom.add(observer + "/" + r.nodeId());
        }
      }
      long applied = o.status().appliedIndex();
      Long previousApplied = lastApplied.put(observer, applied);
      Long previousEpoch = lastEpoch.get(observer);
      if (previousApplied != null && applied >= previousApplied && previousEpoch != null
          && o.status().epoch() < previousEpoch) {
        return fail(o, "key epoch went back from " + previousEpoch + " to " + o.status().epoch());
      }
      lastEpoch.put(observer, o.status().epoch());
      if (!o.status().keyIdHex().isEmpty() && o.status().epoch() > 0) {
        String known = keyIds.putIfAbsent(o.status().epoch(), o.status().keyIdHex());
        if (known != null && !known.equals(o.status().keyIdHex())) {
          return fail(o, "epoch " + o.status().epoch() + " has key id " + o.status().keyIdHex().substring(0, 16)
              + "…, another node has " + known.substring(0, 16) + "…");
        }
      }
    }
    return Verdict.pass(NAME, Verdict.Kind.SAFETY, String.format(Locale.ROOT,
        "%d observations of %d nodes: only admitted members, %d attackers never in, %d removed never back, epochs "
            + "never went back (highest %d)", observations.size(), observers.size(), attackers.size(), removals.size(),
        lastEpoch.values().stream().mapToLong(Long::longValue).max().orElse(0)));
  }

  private static Verdict fail(Observation o, String what) {
    return Verdict.fail(NAME, Verdict.Kind.SAFETY, String.format(Locale.ROOT, "n%d at %.3f s: %s", o.slot() + 1,
        o.timeNs() / 1e9, what));
  }

  static String shortId(String id) {
    return id.length() > 12 ? id.substring(0, 12) : id;
  }
}
