package dev.veilraft.node;

import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.crypto.attestation.RejectReason;
import dev.veilraft.membership.JoinReason;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.Removals;
import dev.veilraft.membership.Roles;
import dev.veilraft.membership.proto.MemberRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The node's Prometheus metrics (Micrometer): what an operator alerts on. Membership gauges read
 * the replicated view at scrape time, so they cost nothing between scrapes. Public information
 * only: counts, indices, durations and member ids, never a key, an event or a request path with
 * data in it. Every tag has a bounded set of values: route patterns, enum names, status classes,
 * and member ids (bounded by the membership; gauges of removed members are removed).
 */
public final class NodeMetrics {
  /** Tag value for a join rejection whose code is not one of the known reason enums. */
  static final String REASON_OTHER = "OTHER";
  /** Histogram buckets of request and apply latency: few, so the exposition stays small. */
  private static final Duration[] LATENCY_BUCKETS = Stream.of(1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 10_000)
      .map(Duration::ofMillis).toArray(Duration[]::new);
  private static final Duration[] APPLY_BUCKETS = Stream.of(50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 50_000,
      250_000).map(micros -> Duration.ofNanos(micros * 1_000L)).toArray(Duration[]::new);
  /** Join rejection codes that may become a tag: the names of the two reason enums. */
  private static final Set<String> JOIN_REASONS = Stream.concat(
      EnumSet.allOf(RejectReason.class).stream().map(Enum::name),
      EnumSet.allOf(JoinReason.class).stream().map(Enum::name)).collect(Collectors.toUnmodifiableSet());

  private static final Set<String> HTTP_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final VeilraftNode node;
  private final Timer apply;
  /** Attestation-age gauges by member id; synchronized with the view at every scrape. */
  private final Map<String, Meter.Id> attestationAges = new HashMap<>();
  /** The request timers registered so far, by tags (the registry would find them too, at a cost per request). */
  private final Map<RequestTags, Timer> requestTimers = new java.util.concurrent.ConcurrentHashMap<>();

  NodeMetrics(VeilraftNode node) {
    this.node = node;
    gauge("veilraft_applied_index", "Log index this replica has applied", n -> n.replica().appliedIndex());
    gauge("veilraft_commit_index", "Highest log index this node knows to be committed (-1 before Raft runs)",
        n -> n.consensus() == null ? -1 : n.consensus().commitIndex());
    gauge("veilraft_epoch", "Current key epoch", n -> view(n).epoch());
    gauge("veilraft_epoch_age_seconds", "Seconds since the current key epoch was created (leader time)",
        n -> view(n).epoch() == 0 ? 0 : seconds(n.clock().millis() - view(n).epochCreatedMs()));
    gauge("veilraft_members", "Admitted members", n -> view(n).initialized() ? view(n).members().size() : 0);
    gauge("veilraft_voters", "Members with a Raft vote", n -> view(n).initialized() ? view(n).voters().size() : 0);
    gauge("veilraft_beacon_sequence", "Latest re-attestation beacon", n -> view(n).beacon().getSequence());
    gauge("veilraft_pending_removals", "Members awaiting removal", n -> view(n).pendingRemovals().size());
    gauge("veilraft_blocked_evictions",
        "Pending removals held because executing them would break quorum (operators must act)",
        n -> view(n).initialized() ? view(n).pendingRemovals().stream().filter(p -> Removals.blocked(view(n), p)).count()
            : 0);
    gauge("veilraft_diversity_violated", "1 when one operator holds a Raft majority of the voters",
        n -> view(n).initialized() && !Roles.satisfied(view(n)) ? 1 : 0);
    gauge("veilraft_is_leader", "1 on the Raft leader", n -> n.consensus() != null && n.consensus().isLeader() ? 1 : 0);
    gauge("veilraft_ready", "1 when GET /readyz answers 200", n -> Readiness.of(n).ready() ? 1 : 0);
    gauge("veilraft_halted", "1 when this replica stopped applying rather than diverge (/readyz HALTED says why)",
        n -> n.replica().halted().isPresent() ? 1 : 0);
    gauge("veilraft_protocol_version", "The cluster's active protocol version as this replica applied it",
        n -> view(n).initialized() ? view(n).protocolVersion() : 0);
    gauge("veilraft_build_protocol_version_max", "The highest protocol version this node's build applies",
        n -> n.replica().protocolVersionMax());
    gauge("veilraft_snapshots_refused_at_start", "Own latest snapshots found altered when Raft started (replaced "
        + "by a fresh one; a non-zero value means this host's disk or someone on it changed the file)",
        n -> n.consensus() == null ? 0 : n.consensus().snapshotsRefusedAtStart());
    gauge("veilraft_snapshots_failed", "Snapshot attempts that failed to write since the node started (a full or failing"
        + " disk; attempts back off from 1 s to 1 min while they fail)",
        n -> n.consensus() == null ? 0 : n.consensus().snapshotStatus().snapshotsFailed());
    gauge("veilraft_client_event_proposals", "Proposals this node sent for client events since its Raft server "
        + "started (one log entry each; several events share one under load)",
        n -> n.consensus() == null ? 0 : n.consensus().eventGrouping().proposals());
    gauge("veilraft_client_events_proposed", "Client events this node proposed since its Raft server started; "
        + "divided by veilraft_client_event_proposals: events per entry",
        n -> n.consensus() == null ? 0 : n.consensus().eventGrouping().events());
    gauge("veilraft_client_event_proposals_local", "Client-event proposals this node handed straight to its own "
        + "Raft server while it led, the others going through its Raft client to the leader (a proposal tried "
        + "again after a leadership change counts again)",
        n -> n.consensus() == null ? 0 : n.consensus().submitPaths().localProposals());
    gauge("veilraft_client_event_proposals_retried", "Client-event proposals sent again because leadership was "
        + "lost or moving when they were proposed (a leader change shows here as a short burst)",
        n -> n.consensus() == null ? 0 : n.consensus().submitPaths().proposalsResent()
            + n.consensus().submitPaths().proposalsDelayed());
    gauge("veilraft_client_event_answers_taken", "Replies to this node's own proposals that were its own "
        + "apply's answer, taken as they were instead of encoded and parsed (about veilraft_client_event_proposals_local "
        + "while this node leads)",
        n -> n.consensus() == null ? 0 : n.consensus().submitPaths().answersTaken());
    gauge("veilraft_queries_retried", "Queries this node's own Raft server could not answer at once (no leader "
        + "known, a snapshot being installed) and sent again through its Raft client, which retries",
        n -> n.consensus() == null ? 0 : n.consensus().submitPaths().readsRetried());
    // Every reason starts at zero, so rate() and increase() work from the first rejection on.
    Stream.concat(JOIN_REASONS.stream(), Stream.of(REASON_OTHER)).forEach(this::joinRejections);
    this.apply = Timer.builder("veilraft.apply").description("Time to apply one committed log entry on this replica")
        .serviceLevelObjectives(APPLY_BUCKETS).register(registry);
  }

  private static MembershipView view(VeilraftNode node) {
    return node.replica().view();
  }

  private static double seconds(long millis) {
    return Math.max(0, millis) / 1000.0;
  }

  private void gauge(String name, String help, ToDoubleFunction<VeilraftNode> value) {
    Gauge.builder(name, node, value).description(help).register(registry);
  }

  /** Starts timing applies of {@code consensus} (called whenever the node starts its Raft server). */
  void observe(RaftConsensus consensus) {
    consensus.observeApplyNanos(nanos -> apply.record(nanos, TimeUnit.NANOSECONDS));
  }

  /**
   * Counts a refused join by {@code code}: a {@link RejectReason} or {@link JoinReason} name;
   * anything else counts as {@value #REASON_OTHER} so a caller cannot mint tag values.
   */
  public void joinRejected(String code) {
    joinRejections(JOIN_REASONS.contains(code) ? code : REASON_OTHER).increment();
  }

  private Counter joinRejections(String reason) {
    return Counter.builder("veilraft.join.rejections").description("Join requests refused, by reason")
        .tag("reason", reason).register(registry);
  }

  /**
   * Records one HTTP request: {@code route} is the registered pattern (never the raw path),
   * {@code status} is reduced to its class (2xx, 4xx, ...).
   */
  public void request(String route, String method, int status, long nanos) {
    if (!HTTP_METHODS.contains(method)) {
      method = "OTHER"; // a client chooses the method: only known ones become tag values
    }
    String statusClass = (status / 100) + "xx";
    // Building and registering a Timer (tags, SLO buckets, registry lookup) cost about 4% of the
    // leader's CPU under load when done per request; the tag values are bounded, so keep each one.
    requestTimers.computeIfAbsent(new RequestTags(route, method, statusClass), tags ->
        Timer.builder("veilraft.http.requests").description("HTTP API requests by route pattern, method and status class")
            .tag("route", tags.route()).tag("method", tags.method()).tag("status", tags.statusClass())
            .serviceLevelObjectives(LATENCY_BUCKETS).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The tags of one request timer: bounded sets of values (route patterns, known methods, status classes). */
  private record RequestTags(String route, String method, String statusClass) {}

  /**
   * Makes the attestation-age gauges match the current members: one per member, tagged with its
   * id, removed when the member leaves.
   */
  private synchronized void syncAttestationAges() {
    MembershipView view = view(node);
    Map<String, MemberRecord> members = view.initialized() ? view.members() : Map.of();
    attestationAges.entrySet().removeIf(e -> {
      if (!members.containsKey(e.getKey())) {
        registry.remove(e.getValue());
        return true;
      }
      return false;
    });
    for (String id : members.keySet()) {
      attestationAges.computeIfAbsent(id, member -> Gauge.builder("veilraft_attestation_age_seconds", node,
              n -> view(n).member(member).map(m -> seconds(n.clock().millis() - m.getAttestedAtMs())).orElse(Double.NaN))
          .description("Seconds since the member's last accepted evidence (admission or beacon answer), leader time")
          .tag("member", member).register(registry).getId());
    }
  }

  /** The Prometheus text exposition of every metric. */
  String scrape() {
    syncAttestationAges();
    return registry.scrape();
  }
}
