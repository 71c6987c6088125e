package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.GenesisFile;
import dev.veilraft.membership.proto.OperatorSignature;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operator signatures on the genesis: signing, the file round trip, and every kind of bad or missing signature. */
class GenesisSignaturesTest {
  private static final OperatorKey ALICE = OperatorKey.generate();
  private static final OperatorKey BOB = OperatorKey.generate();
  private static final OperatorKey MALLORY = OperatorKey.generate();

  private static GenesisDocument unsigned() throws GenesisException {
    return GenesisDocument.create(Genesis.newBuilder().setClusterName("signed")
        .setPolicy(Policy.newBuilder().setName("p").addAllowedMeasurements(ByteString.copyFrom(new byte[48])))
        .addOperators(GenesisDocumentTest.operator("alice", ALICE))
        .addOperators(GenesisDocumentTest.operator("bob", BOB))
        .setGovernanceThreshold(2).setJoinWindowMs(60_000).setMembersMax(5).build());
  }

  @Test
  void signaturesFromEveryOperatorMakeItFullySignedAndSurviveTheFile(@TempDir Path dir) throws Exception {
    // Proves signing adds signatures without changing the cluster id, and the file keeps them.
    GenesisDocument doc = unsigned();
    GenesisDocument signed = doc.sign("bob", BOB).sign("alice", ALICE);
    Path file = dir.resolve("genesis.bin");
    signed.write(file);
    GenesisDocument read = GenesisDocument.read(file);

    assertThat(signed.clusterId()).isEqualTo(doc.clusterId());
    assertThat(read.clusterId()).isEqualTo(doc.clusterId()).isEqualTo(Hashes.sha256(read.genesisBytes()));
    assertThat(read.signatures()).extracting(OperatorSignature::getOperator).containsExactly("alice", "bob");
    assertThat(read.verifySignatures()).isEmpty();
    assertThat(read.fullySigned()).isTrue();
    read.requireFullySigned();
  }

  @Test
  void aMissingSignatureIsNamed() throws Exception {
    // An operator that has not signed is named, and requireFullySigned refuses with that name.
    GenesisDocument partly = unsigned().sign("alice", ALICE);
    assertThat(partly.verifySignatures()).containsExactly("operator 'bob' has not signed");
    assertThatThrownBy(partly::requireFullySigned).isInstanceOf(GenesisException.class)
        .hasMessageContaining("operator 'bob' has not signed");
    assertThat(unsigned().verifySignatures()).hasSize(2);
  }

  @Test
  void signingWithTheWrongKeyOrAsAStrangerIsRefused() throws Exception {
    // sign() refuses a key that is not the operator's listed key, and a name that is not an operator.
    assertThatThrownBy(() -> unsigned().sign("bob", ALICE)).isInstanceOf(GenesisException.class)
        .hasMessageContaining("not operator 'bob''s key");
    assertThatThrownBy(() -> unsigned().sign("mallory", MALLORY)).isInstanceOf(GenesisException.class)
        .hasMessageContaining("'mallory' is not an operator").hasMessageContaining("alice, bob");
  }

  @Test
  void forgedDuplicatedAndStrangerSignaturesAreEachReported() throws Exception {
    // A signature by another key, a second signature of one operator and a stranger's signature are all listed.
    GenesisDocument doc = unsigned();
    byte[] message = GenesisDocument.signingMessage(doc.clusterId());
    OperatorSignature forgedBob = OperatorSignature.newBuilder().setOperator("bob")
        .setSignature(ByteString.copyFrom(MALLORY.sign(message))).build();
    OperatorSignature alice = doc.sign("alice", ALICE).signatures().get(0);
    OperatorSignature stranger = OperatorSignature.newBuilder().setOperator("mallory")
        .setSignature(ByteString.copyFrom(MALLORY.sign(message))).build();

    List<String> problems = doc.withSignatures(List.of(alice, alice, forgedBob, stranger)).verifySignatures();

    assertThat(problems).containsExactly(
        "signature by 'mallory', who is not an operator of this genesis",
        "operator 'alice' signed 2 times (exactly one signature expected)",
        problems.get(2));
    assertThat(problems.get(2)).startsWith("signature of operator 'bob' does not verify against its public key");
  }

  @Test
  void signaturesOfATamperedGenesisDoNotVerify() throws Exception {
    // Signatures copied onto a changed genesis (another cluster id) fail: they sign the cluster id.
    GenesisDocument signed = unsigned().sign("alice", ALICE).sign("bob", BOB);
    Genesis tampered = signed.genesis().toBuilder().setMembersMax(6).build();
    byte[] file = GenesisFile.newBuilder().setFormat(GenesisDocument.FORMAT)
        .setGenesis(ByteString.copyFrom(tampered.toByteArray())).addAllSignatures(signed.signatures()).build()
        .toByteArray();

    GenesisDocument read = GenesisDocument.parseFile(file, "tampered.bin");

    assertThat(read.clusterId()).isNotEqualTo(signed.clusterId());
    assertThat(read.verifySignatures()).hasSize(2)
        .allSatisfy(p -> assertThat(p).contains("does not verify"));
  }

  @Test
  void resigningReplacesTheEarlierSignature() throws Exception {
    // Signing twice as one operator keeps exactly one signature of it.
    GenesisDocument twice = unsigned().sign("alice", ALICE).sign("alice", ALICE).sign("bob", BOB);
    assertThat(twice.signatures()).hasSize(2);
    assertThat(twice.verifySignatures()).isEmpty();
  }

  @Test
  void oversizedSignatureListsAreRefusedAtParse() throws Exception {
    // A file with more signatures than operators may ever number, or an oversized signature, is refused.
    GenesisDocument doc = unsigned();
    OperatorSignature big = OperatorSignature.newBuilder().setOperator("alice")
        .setSignature(ByteString.copyFrom(new byte[GenesisDocument.SIGNATURE_BYTES_MAX + 1])).build();
    assertThatThrownBy(() -> doc.withSignatures(List.of(big))).isInstanceOf(GenesisException.class)
        .hasMessageContaining("signatures[0].signature");
    List<OperatorSignature> many = java.util.Collections.nCopies(Operators.OPERATORS_MAX + 1,
        doc.sign("alice", ALICE).signatures().get(0));
    assertThatThrownBy(() -> doc.withSignatures(many)).isInstanceOf(GenesisException.class)
        .hasMessageContaining("signatures");
  }
}
