package dev.veilraft.membership;

import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.RemovalReason;
import dev.veilraft.membership.proto.RemoveMember;
import java.util.Optional;

/**
 * Removing a member: only a pending removal (decided by governance or by re-attestation) is
 * executed, together with the next key epoch for the remaining members, so that no event after
 * the removal is sealed to a key the removed node holds. Automatic evictions never drop the voters
 * below a quorum of the current voters: such a removal stays pending, the cluster reports it, and
 * operators decide.
 */
public final class Removals {
  private Removals() {}

  /** The decision on a RemoveMember entry, and the view without the member (before the new epoch). */
  public record Outcome(MembershipResult result, MembershipView withoutMember) {}

  /**
   * Why removing {@code nodeId} now would break quorum, or empty when it may proceed: the voters
   * left (after roles are recomputed) must be at least a quorum of the current voters. Removing a
   * listener never breaks quorum. A removal voted by governance was checked when proposed and is
   * checked again here.
   */
  public static Optional<String> quorumProblem(MembershipView view, String nodeId) {
    MemberRecord member = view.member(nodeId).orElse(null);
    if (member == null || member.getRole() == MemberRole.LISTENER) {
      return Optional.empty();
    }
    int voters = view.voters().size();
    // Count the voters after the diversity rule re-applies: removing one operator's voter can
    // demote another's.
    int remaining = Roles.rebalance(view.withoutMember(nodeId)).voters().size();
    if (remaining < Roles.quorum(voters)) {
      return Optional.of("removing voter " + nodeId + " would leave " + remaining + " of " + voters
          + " voters, fewer than the quorum of " + Roles.quorum(voters) + "; operators must add members first");
    }
    return Optional.empty();
  }

  /** Whether a pending removal (of any reason) is waiting for operators because executing it would break quorum. */
  public static boolean blocked(MembershipView view, PendingRemoval removal) {
    return quorumProblem(view, removal.getNodeId()).isPresent();
  }

  /**
   * Proposer side (outside apply): removes {@code nodeId} and wraps a fresh epoch secret, derived
   * from the current epoch's {@code current}, to the remaining members only.
   */
  public static RemoveMember propose(MembershipView view, String nodeId, dev.veilraft.crypto.EpochSecret current,
      byte[] fresh) throws dev.veilraft.crypto.CryptoException {
    MembershipView without = Roles.rebalance(view.withoutMember(nodeId));
    return RemoveMember.newBuilder().setNodeId(nodeId).setNextEpoch(KeyEpochs.propose(without, current, fresh)).build();
  }

  public static Outcome check(MembershipView view, RemoveMember entry) {
    String nodeId = entry.getNodeId();
    if (!view.initialized()) {
      return refuse("NOT_INITIALIZED", "cluster has no genesis yet", nodeId);
    }
    Optional<PendingRemoval> pending = view.pendingRemoval(nodeId);
    if (pending.isEmpty() || view.member(nodeId).isEmpty()) {
      return refuse("NOT_PENDING", "node " + dev.veilraft.crypto.Check.printable(nodeId)
          + " is not a member awaiting removal", nodeId);
    }
    Optional<String> quorum = quorumProblem(view, nodeId);
    if (quorum.isPresent()) {
      return refuse(pending.get().getReason() == RemovalReason.GOVERNANCE ? "WOULD_BREAK_QUORUM"
          : "EVICTION_WOULD_BREAK_QUORUM", quorum.get(), nodeId);
    }
    if (view.members().size() == 1) {
      return refuse("WOULD_BREAK_QUORUM", "node " + nodeId + " is the last member", nodeId);
    }
    MembershipView without = Roles.rebalance(view.withoutMember(nodeId));
    KeyEpochDecision epoch = KeyEpochs.check(without, entry.getNextEpoch());
    if (!epoch.getAccepted()) {
      return refuse("BAD_NEXT_EPOCH", "the entry's next epoch is refused: " + epoch.getReason(), nodeId);
    }
    return new Outcome(MembershipResult.newBuilder().setAccepted(true).setCode("REMOVED")
        .setReason("node " + nodeId + " removed (" + pending.get().getReason() + ": " + pending.get().getDetail()
            + "); epoch " + entry.getNextEpoch().getEpoch() + " excludes it")
        .setNodeId(nodeId).setEpoch(entry.getNextEpoch().getEpoch()).build(), without);
  }

  private static Outcome refuse(String code, String reason, String nodeId) {
    return new Outcome(MembershipResult.newBuilder().setAccepted(false).setCode(code).setReason(reason)
        .setNodeId(nodeId).build(), null);
  }
}
