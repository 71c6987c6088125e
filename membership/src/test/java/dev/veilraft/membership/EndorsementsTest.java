package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Operator endorsements of node keys: a valid one names its operator; each kind of bad one has its own code. */
class EndorsementsTest {
  private static final OperatorKey ALICE = OperatorKey.generate();
  private static final OperatorKey BOB = OperatorKey.generate();
  private static final List<Operator> OPERATORS = List.of(
      GenesisDocumentTest.operator("alice", ALICE), GenesisDocumentTest.operator("bob", BOB));
  private static final byte[] CLUSTER = Hashes.sha256(Hashes.utf8("cluster a"));
  private static final byte[] NODE = NodeIdentity.generate(Instant.parse("2030-01-01T00:00:00Z")).spki();

  private static String codeOf(ThrowingCall call) {
    try {
      call.run();
    } catch (JoinException e) {
      return e.code();
    }
    throw new AssertionError("expected a JoinException");
  }

  @FunctionalInterface
  private interface ThrowingCall {
    void run() throws JoinException;
  }

  @Test
  void aValidEndorsementNamesItsOperator() throws Exception {
    // Proves an endorsement signed by a listed operator for this node and cluster verifies and returns the operator.
    OperatorEndorsement e = Endorsements.sign(BOB, "bob", CLUSTER, NODE);
    assertThat(Endorsements.verify(OPERATORS, CLUSTER, NODE, e).getName()).isEqualTo("bob");
  }

  @Test
  void aMissingEndorsementIsMissingEndorsement() {
    // No endorsement at all (null or the empty message) is MISSING_ENDORSEMENT.
    assertThat(codeOf(() -> Endorsements.verify(OPERATORS, CLUSTER, NODE, null))).isEqualTo("MISSING_ENDORSEMENT");
    assertThat(codeOf(() -> Endorsements.verify(OPERATORS, CLUSTER, NODE, OperatorEndorsement.getDefaultInstance())))
        .isEqualTo("MISSING_ENDORSEMENT");
  }

  @Test
  void anUnlistedOperatorIsUnknownOperator() {
    // An endorsement by a name that is not in the operator set is UNKNOWN_OPERATOR, whatever its signature.
    OperatorEndorsement e = Endorsements.sign(OperatorKey.generate(), "mallory", CLUSTER, NODE);
    assertThat(codeOf(() -> Endorsements.verify(OPERATORS, CLUSTER, NODE, e))).isEqualTo("UNKNOWN_OPERATOR");
  }

  @Test
  void wrongKeyOtherNodeOtherClusterOrGarbageIsEndorsementInvalid() {
    // The signature binds operator key, cluster id and node key: changing any one gives ENDORSEMENT_INVALID.
    OperatorEndorsement byAliceAsBob = Endorsements.sign(ALICE, "bob", CLUSTER, NODE);
    OperatorEndorsement otherNode = Endorsements.sign(BOB, "bob", CLUSTER, OperatorKey.generate().publicKeySpki());
    OperatorEndorsement otherCluster = Endorsements.sign(BOB, "bob", Hashes.sha256(Hashes.utf8("cluster b")), NODE);
    OperatorEndorsement garbage = OperatorEndorsement.newBuilder().setOperator("bob")
        .setSignature(ByteString.copyFrom(new byte[] {0x30, 0x01, 0x00})).build();
    for (OperatorEndorsement e : List.of(byAliceAsBob, otherNode, otherCluster, garbage)) {
      assertThat(codeOf(() -> Endorsements.verify(OPERATORS, CLUSTER, NODE, e))).isEqualTo("ENDORSEMENT_INVALID");
    }
    OperatorEndorsement valid = Endorsements.sign(BOB, "bob", CLUSTER, NODE);
    assertThat(codeOf(() -> Endorsements.verify(OPERATORS, new byte[5], NODE, valid))).isEqualTo("ENDORSEMENT_INVALID");
  }

  @Test
  void anOperatorRemovedFromTheSetNoLongerEndorses() {
    // Verification uses the operator set passed in (the one in force), not the genesis.
    OperatorEndorsement e = Endorsements.sign(BOB, "bob", CLUSTER, NODE);
    assertThat(codeOf(() -> Endorsements.verify(OPERATORS.subList(0, 1), CLUSTER, NODE, e))).isEqualTo("UNKNOWN_OPERATOR");
  }

  @Test
  void theMessageIsLabelClusterAndNodeKeyHash() {
    // Pins the signed bytes so other implementations can produce endorsements.
    assertThat(Endorsements.message(CLUSTER, NODE))
        .isEqualTo(Hashes.concat(Hashes.utf8("veilraft/endorse/v1"), CLUSTER, Hashes.sha256(NODE)));
    assertThatThrownBy(() -> Endorsements.message(new byte[31], NODE)).isInstanceOf(IllegalArgumentException.class);
  }
}
