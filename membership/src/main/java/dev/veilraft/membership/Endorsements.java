package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.util.List;

/**
 * An operator vouches for one of its nodes: ECDSA P-256/SHA-256 (DER) with the operator key over
 * {@code "veilraft/endorse/v1" || cluster_id || SHA-256(node identity SPKI)}. The cluster id in
 * the message keeps an endorsement from being replayed into another cluster; the SPKI hash binds
 * it to one node key, so it cannot vouch for a replacement node.
 */
public final class Endorsements {
  public static final String LABEL = "veilraft/endorse/v1";
  public static final int CLUSTER_ID_BYTES = 32;

  private Endorsements() {}

  /** The signed message. */
  public static byte[] message(byte[] clusterId, byte[] nodeIdentitySpki) {
    Check.length(clusterId, CLUSTER_ID_BYTES, "cluster id");
    return Hashes.concat(Hashes.utf8(LABEL), clusterId, Hashes.sha256(nodeIdentitySpki));
  }

  /** Endorses the node whose identity key is {@code nodeIdentitySpki} (operator tooling, not apply). */
  public static OperatorEndorsement sign(OperatorKey key, String operatorName, byte[] clusterId, byte[] nodeIdentitySpki) {
    Check.argument(!operatorName.isBlank(), "operator name is empty");
    return OperatorEndorsement.newBuilder().setOperator(operatorName)
        .setSignature(ByteString.copyFrom(key.sign(message(clusterId, nodeIdentitySpki)))).build();
  }

  /**
   * Checks an endorsement against the operators in force and returns the endorsing operator.
   * Deterministic: a function of its arguments only.
   *
   * @throws JoinException with MISSING_ENDORSEMENT (null or empty), UNKNOWN_OPERATOR (the name is
   *     not in {@code operators}) or ENDORSEMENT_INVALID (the signature does not verify)
   */
  public static Operator verify(List<Operator> operators, byte[] clusterId, byte[] nodeIdentitySpki,
      OperatorEndorsement endorsement) throws JoinException {
    if (endorsement == null || (endorsement.getOperator().isEmpty() && endorsement.getSignature().isEmpty())) {
      throw new JoinException(JoinReason.MISSING_ENDORSEMENT.name(),
          "the node carries no operator endorsement; its operator signs one with 'veilraft operator endorse'");
    }
    String name = endorsement.getOperator();
    Operator operator = operators.stream().filter(o -> o.getName().equals(name)).findFirst()
        .orElseThrow(() -> new JoinException(JoinReason.UNKNOWN_OPERATOR.name(),
            "endorsement is signed by '" + Check.printable(name) + "', which is not an operator of this cluster"));
    if (clusterId == null || clusterId.length != CLUSTER_ID_BYTES
        || !OperatorKey.verify(operator.getPublicKeySpki().toByteArray(), message(clusterId, nodeIdentitySpki),
            endorsement.getSignature().toByteArray())) {
      throw new JoinException(JoinReason.ENDORSEMENT_INVALID.name(), "endorsement by operator '" + name
          + "' does not verify for node key " + Hashes.shortHex(Hashes.sha256(nodeIdentitySpki), 8)
          + " in this cluster (signed for another node or cluster, or with another key)");
    }
    return operator;
  }
}
