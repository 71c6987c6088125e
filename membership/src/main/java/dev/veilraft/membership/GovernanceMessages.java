package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.GovBallot;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.SignedGov;
import java.security.SecureRandom;

/**
 * Building and signing governance messages (operator tooling and tests; apply never signs).
 * A signed message is {@code SignedGov{body, signature}} where the signature is the signer's
 * ECDSA P-256/SHA-256 (DER) over {@code "veilraft/gov/v1" || body}; a proposal's id is
 * SHA-256(body), so the same bytes are the same proposal everywhere.
 */
public final class GovernanceMessages {
  public static final String LABEL = "veilraft/gov/v1";
  public static final int NONCE_BYTES = 16;
  public static final int PROPOSAL_ID_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private GovernanceMessages() {}

  /** What the signer signs. */
  public static byte[] signingMessage(byte[] body) {
    return Hashes.concat(Hashes.utf8(LABEL), body);
  }

  /** SHA-256 of the proposal body. */
  public static byte[] proposalId(SignedGov signedProposal) {
    return Hashes.sha256(signedProposal.getBody().toByteArray());
  }

  /** A proposal without its action, with a fresh random nonce: set one action, then {@link #sign}. */
  public static GovProposal.Builder proposal(byte[] clusterId, String proposer, long expiresAtMs, String summary) {
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    return GovProposal.newBuilder().setClusterId(ByteString.copyFrom(clusterId)).setProposer(proposer)
        .setNonce(ByteString.copyFrom(nonce)).setExpiresAtMs(expiresAtMs).setSummary(summary);
  }

  public static GovBallot ballot(byte[] clusterId, byte[] proposalId, String voter, boolean approve) {
    Check.length(proposalId, PROPOSAL_ID_BYTES, "proposal id");
    return GovBallot.newBuilder().setClusterId(ByteString.copyFrom(clusterId))
        .setProposalId(ByteString.copyFrom(proposalId)).setVoter(voter).setApprove(approve).build();
  }

  public static SignedGov sign(GovProposal proposal, OperatorKey key) {
    return sign(proposal.toByteArray(), key);
  }

  public static SignedGov sign(GovBallot ballot, OperatorKey key) {
    return sign(ballot.toByteArray(), key);
  }

  private static SignedGov sign(byte[] body, OperatorKey key) {
    return SignedGov.newBuilder().setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(key.sign(signingMessage(body)))).build();
  }

  /** The action's name as the CLI and the API spell it: set_policy, remove_node, rotate_key, set_operators. */
  public static String actionName(GovProposal proposal) {
    return switch (proposal.getActionCase()) {
      case SET_POLICY -> "set_policy";
      case REMOVE_NODE -> "remove_node";
      case ROTATE_KEY -> "rotate_key";
      case SET_OPERATORS -> "set_operators";
      case SET_PROTOCOL_VERSION -> "set_protocol_version";
      case ACTION_NOT_SET -> "none";
    };
  }

  /** One line for humans: the action and its argument. */
  public static String describeAction(GovProposal proposal) {
    return switch (proposal.getActionCase()) {
      case SET_POLICY -> "set_policy '" + Check.printable(proposal.getSetPolicy().getName()) + "' ("
          + proposal.getSetPolicy().getAllowedMeasurementsCount() + " measurements)";
      case REMOVE_NODE -> "remove_node " + Check.printable(proposal.getRemoveNode().getNodeId());
      case ROTATE_KEY -> "rotate_key";
      case SET_OPERATORS -> "set_operators " + String.join(",", proposal.getSetOperators().getOperatorsList().stream()
          .map(o -> Check.printable(o.getName())).toList()) + " threshold " + proposal.getSetOperators().getThreshold();
      case SET_PROTOCOL_VERSION -> "set_protocol_version "
          + Integer.toUnsignedString(proposal.getSetProtocolVersion().getVersion());
      case ACTION_NOT_SET -> "no action";
    };
  }
}
