package dev.veilraft.node;

import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.Removals;
import dev.veilraft.membership.Roles;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.function.ToDoubleFunction;

/**
 * The node's Prometheus metrics (Micrometer): what an operator alerts on. Membership gauges read
 * the replicated view at scrape time, so they cost nothing between scrapes. Public information
 * only: counts, indices and times, never a key, a measurement secret or an event.
 */
final class NodeMetrics {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

  NodeMetrics(VeilraftNode node) {
    gauge("veilraft_applied_index", "Log index this replica has applied", node, n -> n.replica().appliedIndex());
    gauge("veilraft_epoch", "Current key epoch", node, n -> view(n).epoch());
    gauge("veilraft_members", "Admitted members", node, n -> view(n).initialized() ? view(n).members().size() : 0);
    gauge("veilraft_voters", "Members with a Raft vote", node, n -> view(n).initialized() ? view(n).voters().size() : 0);
    gauge("veilraft_beacon_sequence", "Latest re-attestation beacon", node, n -> view(n).beacon().getSequence());
    gauge("veilraft_pending_removals", "Members awaiting removal", node, n -> view(n).pendingRemovals().size());
    gauge("veilraft_blocked_evictions",
        "Pending removals held because executing them would break quorum (operators must act)", node,
        n -> view(n).initialized() ? view(n).pendingRemovals().stream().filter(p -> Removals.blocked(view(n), p)).count()
            : 0);
    gauge("veilraft_diversity_violated", "1 when one operator holds a Raft majority of the voters", node,
        n -> view(n).initialized() && !Roles.satisfied(view(n)) ? 1 : 0);
    gauge("veilraft_is_leader", "1 on the Raft leader", node,
        n -> n.consensus() != null && n.consensus().isLeader() ? 1 : 0);
  }

  private static MembershipView view(VeilraftNode node) {
    return node.replica().view();
  }

  private void gauge(String name, String help, VeilraftNode node, ToDoubleFunction<VeilraftNode> value) {
    Gauge.builder(name, node, value).description(help).register(registry);
  }

  /** The Prometheus text exposition of every metric. */
  String scrape() {
    return registry.scrape();
  }
}
