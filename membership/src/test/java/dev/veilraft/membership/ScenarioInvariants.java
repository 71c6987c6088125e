package dev.veilraft.membership;

import dev.veilraft.membership.ScenarioReplica.Applied;
import dev.veilraft.membership.ScenarioReplica.Entry;
import dev.veilraft.membership.ScenarioReplica.Kind;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.RemoveMember;
import java.util.Set;

/**
 * What must hold after every entry of every scenario, whatever the scenario expects: checked by
 * the driver after each apply, so a rule that breaks one fails at the line that caused it.
 */
final class ScenarioInvariants {
  private static final Set<Kind> MEMBER_CHANGES = Set.of(Kind.INIT, Kind.ADMIT, Kind.REMOVE);

  private ScenarioInvariants() {}

  static void check(MembershipView before, Entry entry, Applied applied) {
    MembershipView after = applied.view();
    require(after.lastLeaderTimeMs() >= before.lastLeaderTimeMs(), "leader time went back from "
        + before.lastLeaderTimeMs() + " to " + after.lastLeaderTimeMs() + " ms");
    if (!applied.result().accepted()) {
      // A refusal records a reason and the leader time, nothing else.
      require(after.toSnapshot().equals(applied.timed().toSnapshot()), "a refused " + entry.kind()
          + " entry changed the view");
    }
    if (!after.initialized()) {
      return;
    }
    for (MemberRecord m : after.members().values()) {
      require(!after.wasRemoved(m.getNodeId()), "removed node " + m.getNodeId() + " is a member again");
    }
    for (PendingRemoval p : after.pendingRemovals()) {
      require(after.member(p.getNodeId()).isPresent(), "pending removal of " + p.getNodeId() + ", not a member");
    }
    if (!after.members().isEmpty()) {
      require(!after.voters().isEmpty(), "members but no voter: the group could never commit");
    }
    if (applied.result().accepted() && MEMBER_CHANGES.contains(entry.kind())) {
      require(Roles.rebalance(after) == after, "roles after a " + entry.kind() + " are not what Roles.rebalance gives");
      require(!Roles.enforced(after) || Roles.satisfied(after), "after a " + entry.kind()
          + " one operator holds a majority of the voters");
    }
    if (applied.result().accepted() && entry.kind() == Kind.ADMIT) {
      require(after.members().size() <= after.genesis().genesis().getMembersMax(), "more members than members_max");
      for (Operator op : after.operators()) {
        long count = after.members().values().stream().filter(m -> m.getOperator().equals(op.getName())).count();
        require(count <= op.getNodesMax(), "operator " + op.getName() + " runs " + count + " members, nodes_max "
            + op.getNodesMax());
      }
    }
    if (applied.result().accepted() && entry.kind() == Kind.REMOVE) {
      String removed = ((RemoveMember) entry.body()).getNodeId();
      require(after.member(removed).isEmpty() && after.wasRemoved(removed), "removed node " + removed + " stays");
      require(after.epoch() == before.epoch() + 1, "a removal did not start the next epoch in the same entry");
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError("invariant violated: " + message);
    }
  }
}
