package dev.veilraft.node;

import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.membership.MembershipView;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether this node can serve clients now ({@code GET /readyz}): it is an admitted member, holds
 * the secret of the current key epoch, knows a Raft leader, has not halted, and has applied to within
 * {@link #APPLY_LAG_ENTRIES_MAX} entries of the commit index it knows. Liveness ({@code /healthz})
 * is separate: a node that is not ready is still alive and catching up.
 *
 * @param unmet every condition that does not hold, in a fixed order; empty when ready
 */
public record Readiness(List<Unmet> unmet) {
  /**
   * How far the applied index may trail the known commit index while the node still counts as
   * ready. Not a configuration key yet; a follower under a write burst briefly trails by a few
   * hundred entries, and should not flap out of a load balancer for that.
   */
  public static final long APPLY_LAG_ENTRIES_MAX = 1_000;

  /** One unmet condition: a stable code and a sentence saying what is wrong. */
  public record Unmet(String condition, String detail) {}

  public Readiness {
    unmet = List.copyOf(unmet);
  }

  public boolean ready() {
    return unmet.isEmpty();
  }

  /** The readiness of {@code node} now. */
  public static Readiness of(VeilraftNode node) {
    MembershipView view = node.replica().view();
    RaftConsensus consensus = node.consensus();
    boolean member = view.initialized() && view.member(node.nodeId()).isPresent();
    long epoch = view.initialized() ? view.epoch() : 0;
    boolean epochKey = epoch > 0 && node.replica().keyring().get(epoch).isPresent();
    Optional<String> leader = consensus == null ? Optional.empty() : consensus.leaderId();
    long commit = consensus == null ? -1 : consensus.commitIndex();
    return evaluate(node.replica().halted(), member, epoch, epochKey, leader, commit, node.replica().appliedIndex());
  }

  /** The pure decision, given what the node observes, for a replica that has not halted. */
  static Readiness evaluate(boolean member, long epoch, boolean epochKey, Optional<String> leader, long commitIndex,
      long appliedIndex) {
    return evaluate(Optional.empty(), member, epoch, epochKey, leader, commitIndex, appliedIndex);
  }

  /**
   * The pure decision; {@code halted} is why the replica stopped applying, if it did. A halted
   * replica's state is behind the cluster's and stays so until the node is restarted (with a build
   * that applies the entry, when the reason says so), so it is never ready.
   */
  static Readiness evaluate(Optional<String> halted, boolean member, long epoch, boolean epochKey,
      Optional<String> leader, long commitIndex, long appliedIndex) {
    List<Unmet> unmet = new ArrayList<>();
    halted.ifPresent(reason -> unmet.add(new Unmet("HALTED", "this replica stopped applying " + reason
        + "; its state is behind the cluster's and it serves no reads until restarted")));
    if (!member) {
      unmet.add(new Unmet("MEMBER", "this node is not an admitted member of the cluster (yet)"));
    }
    if (epoch == 0) {
      unmet.add(new Unmet("EPOCH_KEY", "no key epoch has been applied here yet"));
    } else if (!epochKey) {
      unmet.add(new Unmet("EPOCH_KEY", "this node does not hold the secret of the current epoch " + epoch));
    }
    if (leader.isEmpty()) {
      unmet.add(new Unmet("LEADER", "this node knows no Raft leader"));
    }
    if (commitIndex < 0) {
      unmet.add(new Unmet("CAUGHT_UP", "the Raft server is not running, so the commit index is unknown"));
    } else if (commitIndex - appliedIndex > APPLY_LAG_ENTRIES_MAX) {
      unmet.add(new Unmet("CAUGHT_UP", "applied index " + appliedIndex + " trails the commit index " + commitIndex
          + " by " + (commitIndex - appliedIndex) + " entries, more than " + APPLY_LAG_ENTRIES_MAX));
    }
    return new Readiness(unmet);
  }
}
