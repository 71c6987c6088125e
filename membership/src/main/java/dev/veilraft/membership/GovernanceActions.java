package dev.veilraft.membership;

import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.RemovalReason;

/**
 * What an approved governance proposal does to the membership view, in the entry that reached the
 * threshold. Pure: the view, the proposal and the entry's leader time decide it.
 * <ul>
 *   <li>set_policy: the policy in force changes (a code upgrade adds or withdraws measurements);
 *       members whose latest evidence fails it get the policy grace period to re-attest;
 *   <li>remove_node: the node becomes a pending removal; the leader executes it with the next key
 *       epoch in one entry;
 *   <li>rotate_key: the leader rotates the key;
 *   <li>set_operators: the operator set and threshold change; members keep running, their
 *       operators' later joins are judged by the new set, and roles are recomputed (the diversity
 *       rule applies only with more than one operator);
 *   <li>set_protocol_version: the active protocol version rises (checked again here: above the
 *       active one, and every current member advertised support).
 * </ul>
 */
public final class GovernanceActions {
  private GovernanceActions() {}

  public static MembershipView execute(MembershipView view, GovProposal proposal, long leaderTimeMs,
      EvidenceVerifier verifier) {
    return switch (proposal.getActionCase()) {
      case SET_POLICY -> Reattestation.policyChanged(view.withPolicy(proposal.getSetPolicy()), leaderTimeMs, verifier);
      case REMOVE_NODE -> view.withPendingRemoval(PendingRemoval.newBuilder()
          .setNodeId(proposal.getRemoveNode().getNodeId()).setReason(RemovalReason.GOVERNANCE)
          .setDetail("voted out by operators (proposal by " + proposal.getProposer() + ": "
              + dev.veilraft.crypto.Check.printable(proposal.getSummary()) + ")")
          .setSinceMs(leaderTimeMs).build());
      case ROTATE_KEY -> view.withRotationRequested();
      case SET_OPERATORS -> Roles.rebalance(view.withOperators(proposal.getSetOperators().getOperatorsList(),
          proposal.getSetOperators().getThreshold()));
      case SET_PROTOCOL_VERSION -> view.withProtocolVersion(proposal.getSetProtocolVersion().getVersion());
      case ACTION_NOT_SET -> throw new IllegalArgumentException("Governance approved a proposal without an action");
    };
  }
}
