package dev.veilraft.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.client.proto.ClusterDescription;
import dev.veilraft.client.proto.ClusterDescriptionBody;
import dev.veilraft.client.proto.MemberInfo;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Policy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.assertj.core.api.ThrowableAssert;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A client accepts a cluster description only if it is signed, fresh, bound to TLS and every member passes its policy. */
class ClusterDescriptionsTest {
  private static final Instant NOW = Instant.parse("2026-11-21T00:00:00Z");
  private static final byte[] CLUSTER_ID = Hashes.sha256(Hashes.utf8("cluster"));
  private static final byte[] GOOD = Hashes.sha384(Hashes.utf8("good code"));
  private static final byte[] EVIL = Hashes.sha384(Hashes.utf8("evil code"));

  @TempDir
  static Path dir;

  private static SimulatedSnpVendor vendor;
  private static Node serving;
  private static Node other;
  private static Policy policy;
  private final AttestationVerifier verifier = new AttestationVerifier();
  private final byte[] nonce = Hashes.sha256(Hashes.utf8("client nonce"));

  /** A simulated member: identity, KEM key, and an attester on its own chip. */
  private record Node(NodeIdentity identity, KemKeyPair kem, SimulatedSnpAttester attester) {
    MemberInfo info(byte[] evidenceNonce) throws Exception {
      return MemberInfo.newBuilder().setNodeId(identity.nodeId())
          .setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
          .setKemPublicKey(ByteString.copyFrom(kem.publicKey()))
          .setEvidence(attester.attest(ReportData.bind(evidenceNonce, identity.spki(), kem.publicKey())))
          .setEvidenceNonce(ByteString.copyFrom(evidenceNonce)).setApiAddress("127.0.0.1:1").build();
    }
  }

  @BeforeAll
  static void members() throws Exception {
    vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    serving = node("a", GOOD);
    other = node("b", GOOD);
    policy = Policy.newBuilder().setName("client").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(GOOD)).build();
  }

  private static Node node(String name, byte[] measurement) throws Exception {
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(dir.resolve(name), vendor);
    return new Node(NodeIdentity.generate(NOW), KemKeyPair.generate(), SimulatedSnpAttester.create(chip, measurement));
  }

  private ClusterDescriptionBody.Builder body() throws Exception {
    return ClusterDescriptionBody.newBuilder().setClusterId(ByteString.copyFrom(CLUSTER_ID)).setClusterName("c")
        .setEpoch(2).setGroupPublicKey(ByteString.copyFrom(KemKeyPair.generate().publicKey()))
        .addMembers(serving.info(CLUSTER_ID)).addMembers(other.info(Hashes.sha256(Hashes.utf8("join nonce"))))
        .setServingNodeId(serving.identity().nodeId())
        .setFreshEvidence(serving.attester().attest(ReportData.bind(nonce, serving.identity().spki(), serving.kem().publicKey())))
        .setClientNonce(ByteString.copyFrom(nonce));
  }

  private ClusterDescriptions.Verified verify(ClusterDescriptionBody body, NodeIdentity signer, NodeIdentity tls,
      Policy clientPolicy) throws ClientException {
    byte[] bytes = ClusterDescriptions.sign(body, signer).toByteArray();
    return ClusterDescriptions.verify(bytes, nonce, tls.certificate(), CLUSTER_ID, clientPolicy, verifier, NOW);
  }

  private void assertRefused(ThrowableAssert.ThrowingCallable call, String code) {
    assertThatThrownBy(call).isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void genuineDescriptionVerifiesEveryMember() throws Exception {
    // A description signed by the serving node, fresh for our nonce, over the right TLS key, passes.
    ClusterDescriptions.Verified verified = verify(body().build(), serving.identity(), serving.identity(), policy);
    assertThat(verified.members()).containsOnlyKeys(serving.identity().nodeId(), other.identity().nodeId());
    assertThat(verified.clusterId()).isEqualTo(CLUSTER_ID);
  }

  @Test
  void descriptionSignedByAnotherNodeIsRefused() {
    // Only the serving node's identity key may sign its description.
    assertRefused(() -> verify(body().build(), other.identity(), serving.identity(), policy), "BAD_SIGNATURE");
  }

  @Test
  void tlsKeyOfAnotherNodeIsRefused() {
    // The TLS key the client talked to must be the serving node's attested identity key.
    assertRefused(() -> verify(body().build(), serving.identity(), other.identity(), policy), "TLS_KEY_MISMATCH");
  }

  @Test
  void replayedDescriptionForAnotherNonceIsRefused() {
    // A description answering an older nonce is a replay.
    assertRefused(() -> verify(body().setClientNonce(ByteString.copyFrom(new byte[32])).build(), serving.identity(),
        serving.identity(), policy), "STALE_DESCRIPTION");
  }

  @Test
  void memberRunningOtherCodeFailsTheClientsPolicy() throws Exception {
    // One member with a measurement outside the client's policy makes the whole cluster unacceptable.
    Node evil = node("evil", EVIL);
    assertRefused(() -> verify(body().addMembers(evil.info(new byte[32])).build(), serving.identity(), serving.identity(),
        policy), "MEASUREMENT_NOT_ALLOWED");
  }

  @Test
  void clientPolicyWithoutSimulationRefusesSimulatedMembers() {
    // The default stance of a production client: simulated TEEs are refused.
    Policy strict = policy.toBuilder().setAllowSimulated(false).build();
    assertRefused(() -> verify(body().build(), serving.identity(), serving.identity(), strict), "SIMULATED_NOT_ALLOWED");
  }

  @Test
  void malformedOrInconsistentDescriptionsAreRefusedWithCodes() throws Exception {
    // Garbage, a foreign cluster, an unknown server and a member listing another node's certificate each get a code.
    assertRefused(() -> ClusterDescriptions.verify(new byte[] {1, 2, 3}, nonce, null, CLUSTER_ID, policy, verifier, NOW),
        "MALFORMED_DESCRIPTION");
    assertRefused(() -> verify(body().setClusterId(ByteString.copyFrom(new byte[32])).build(), serving.identity(),
        serving.identity(), policy), "WRONG_CLUSTER");
    assertRefused(() -> verify(body().setServingNodeId("ffff").build(), serving.identity(), serving.identity(), policy),
        "UNKNOWN_SERVER");
    UnaryOperator<MemberInfo> swapCert = m -> m.toBuilder().setIdentityCert(ByteString.copyFrom(serving.identity().certificateDer())).build();
    ClusterDescriptionBody.Builder lying = body();
    lying.setMembers(1, swapCert.apply(lying.getMembers(1)));
    assertRefused(() -> verify(lying.build(), serving.identity(), serving.identity(), policy), "MALFORMED_DESCRIPTION");
    byte[] signedThenAltered = ClusterDescription.newBuilder(ClusterDescriptions.sign(body().build(), serving.identity()))
        .setBody(ByteString.copyFrom(body().setEpoch(9).build().toByteArray())).build().toByteArray();
    assertRefused(() -> ClusterDescriptions.verify(signedThenAltered, nonce, serving.identity().certificate(), CLUSTER_ID,
        policy, verifier, NOW), "BAD_SIGNATURE");
  }
}
