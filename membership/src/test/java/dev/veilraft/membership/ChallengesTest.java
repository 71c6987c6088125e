package dev.veilraft.membership;

import static dev.veilraft.membership.SimulatedMembers.OTHER_MEASUREMENT;
import static dev.veilraft.membership.SimulatedMembers.T0;
import static dev.veilraft.membership.SimulatedMembers.nonce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.membership.SimulatedMembers.Node;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.JoinHello;
import java.nio.file.Path;
import java.time.Instant;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Join step 2 from both sides: the member's challenge and the joiner's verification of the member. */
class ChallengesTest {
  private static final Instant NOW = Instant.ofEpochMilli(T0 + 1_000);

  @TempDir static Path dir;
  private static SimulatedMembers sim;
  private static AttestationVerifier verifier;
  private static GenesisDocument genesis;
  private static byte[] clusterId;
  private static Node member;
  private static Node joiner;

  @BeforeAll
  static void setUp() throws Exception {
    sim = SimulatedMembers.create(dir);
    verifier = new AttestationVerifier();
    genesis = sim.genesis(g -> g);
    clusterId = genesis.clusterId();
    member = sim.node();
    joiner = sim.node();
  }

  private static JoinHello hello(String seed) {
    return joiner.hello(clusterId, nonce("joiner/" + seed));
  }

  private static Challenge challengeFrom(Node from, JoinHello hello) {
    return from.challenge(clusterId, nonce("member/" + hello.getNonce().hashCode()), T0, hello, joiner.identity().spki());
  }

  private static void assertJoinFails(ThrowingCallable call, String code) {
    assertThatThrownBy(call).isInstanceOf(JoinException.class)
        .satisfies(e -> assertThat(((JoinException) e).code()).as(e.getMessage()).isEqualTo(code))
        .hasMessageStartingWith(code + ": ");
  }

  @Test
  void genuineChallengeIsAcceptedAndNamesTheMember() throws Exception {
    // A challenge signed by the member, answering this hello, with allowed evidence bound to the joiner's nonce verifies.
    JoinHello hello = hello("genuine");
    Challenge challenge = challengeFrom(member, hello);
    assertThat(Challenges.verifyAsJoiner(challenge, hello, clusterId, genesis, verifier, NOW)).isEqualTo(member.id());
    ChallengeBody body = Challenges.parseBody(challenge);
    assertThat(body.getMemberId()).isEqualTo(member.id());
    assertThat(body.getJoinerNonce()).isEqualTo(hello.getNonce());
    assertThat(body.getIssuedAtMs()).isEqualTo(T0);
    assertThat(body.getMemberNonce().size()).isEqualTo(Challenges.NONCE_BYTES);
  }

  @Test
  void memberWithAlteredCodeIsRefusedWithTheAttestationReason() {
    // A member whose evidence fails the joiner's policy is refused; the code is the RejectReason name.
    Node altered = sim.node(SimulatedSnpAttester.create(sim.chip, OTHER_MEASUREMENT));
    JoinHello hello = hello("altered");
    assertJoinFails(() -> Challenges.verifyAsJoiner(challengeFrom(altered, hello), hello, clusterId, genesis, verifier,
        NOW), "MEASUREMENT_NOT_ALLOWED");

    Node debug = sim.node(SimulatedSnpAttester.builder(sim.chip, SimulatedMembers.MEASUREMENT)
        .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | SnpReport.POLICY_DEBUG_BIT).build());
    assertJoinFails(() -> Challenges.verifyAsJoiner(challengeFrom(debug, hello), hello, clusterId, genesis, verifier,
        NOW), "DEBUG_ENABLED");
  }

  @Test
  void memberEvidenceReplayedFromAnotherHelloIsRefused() {
    // Member evidence bound to an older joiner nonce (replayed) is REPORT_DATA_MISMATCH.
    JoinHello hello = hello("replayed");
    Challenge genuine = challengeFrom(member, hello);
    Challenge replayed = genuine.toBuilder().setMemberEvidence(member.evidence(nonce("an earlier hello"))).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(replayed, hello, clusterId, genesis, verifier, NOW),
        "REPORT_DATA_MISMATCH");

    // A substituted member KEM key (not the one the evidence binds) is refused the same way.
    Challenge substituted = genuine.toBuilder()
        .setMemberKemPublicKey(ByteString.copyFrom(joiner.kem().publicKey())).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(substituted, hello, clusterId, genesis, verifier, NOW),
        "REPORT_DATA_MISMATCH");
  }

  @Test
  void challengeAnsweringAnotherHelloIsRefused() {
    // A challenge for another joiner nonce than this hello's is CHALLENGE_MISMATCH.
    Challenge challenge = challengeFrom(member, hello("first"));
    assertJoinFails(() -> Challenges.verifyAsJoiner(challenge, hello("second"), clusterId, genesis, verifier, NOW),
        "CHALLENGE_MISMATCH");
  }

  @Test
  void badSignatureIsRefused() {
    // A challenge whose signature does not verify with the member certificate is CHALLENGE_SIGNATURE_INVALID.
    JoinHello hello = hello("sig");
    Challenge challenge = challengeFrom(member, hello);
    byte[] signature = challenge.getSignature().toByteArray();
    signature[signature.length - 1] ^= 0x40;
    Challenge flipped = challenge.toBuilder().setSignature(ByteString.copyFrom(signature)).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(flipped, hello, clusterId, genesis, verifier, NOW),
        "CHALLENGE_SIGNATURE_INVALID");
    Challenge empty = challenge.toBuilder().clearSignature().build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(empty, hello, clusterId, genesis, verifier, NOW),
        "CHALLENGE_SIGNATURE_INVALID");
  }

  @Test
  void memberIdThatDoesNotMatchItsCertificateIsRefused() {
    // A challenge whose certificate is not the one member_id names is CHALLENGE_MISMATCH.
    JoinHello hello = hello("cert");
    Node other = sim.node();
    Challenge swapped = challengeFrom(member, hello).toBuilder()
        .setMemberIdentityCert(ByteString.copyFrom(other.identity().certificateDer())).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(swapped, hello, clusterId, genesis, verifier, NOW),
        "CHALLENGE_MISMATCH");
  }

  @Test
  void malformedChallengesAreRefused() {
    // A challenge body that does not parse, or a member certificate that is not X.509, is MALFORMED_REQUEST.
    JoinHello hello = hello("malformed");
    Challenge challenge = challengeFrom(member, hello);
    Challenge badBody = challenge.toBuilder().setBody(ByteString.copyFrom(new byte[] {(byte) 0xFF})).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(badBody, hello, clusterId, genesis, verifier, NOW),
        "MALFORMED_REQUEST");
    Challenge badCert = challenge.toBuilder().setMemberIdentityCert(ByteString.copyFrom(new byte[] {1, 2})).build();
    assertJoinFails(() -> Challenges.verifyAsJoiner(badCert, hello, clusterId, genesis, verifier, NOW),
        "MALFORMED_REQUEST");
  }

  @Test
  void challengeForAnotherClusterIsRefused() {
    // A joiner does not accept a challenge for another cluster than the one it is joining.
    GenesisDocument other = sim.genesis(g -> g.setClusterName("elsewhere"));
    JoinHello hello = hello("cluster");
    Challenge challenge = member.challenge(other.clusterId(), nonce("m"), T0, hello, joiner.identity().spki());
    assertJoinFails(() -> Challenges.verifyAsJoiner(challenge, hello, clusterId, genesis, verifier, NOW),
        "WRONG_CLUSTER");
  }

  @Test
  void checkHelloRefusesMalformedHellos() throws Exception {
    // A member's fast check of a hello refuses other clusters and malformed fields by name, and returns the joiner cert.
    JoinHello hello = hello("check");
    assertThat(Challenges.checkHello(hello, clusterId).getPublicKey().getEncoded())
        .isEqualTo(joiner.identity().spki());
    assertJoinFails(() -> Challenges.checkHello(hello, nonce("other cluster")), "WRONG_CLUSTER");
    assertJoinFails(() -> Challenges.checkHello(hello.toBuilder().setNonce(ByteString.copyFrom(new byte[33])).build(),
        clusterId), "MALFORMED_REQUEST");
    assertJoinFails(() -> Challenges.checkHello(hello.toBuilder().clearKemPublicKey().build(), clusterId),
        "MALFORMED_REQUEST");
    assertThatThrownBy(() -> Challenges.checkHello(hello.toBuilder()
        .setIdentityCert(ByteString.copyFrom(new byte[] {0x30, 0x00})).build(), clusterId))
        .isInstanceOf(JoinException.class).hasMessageContaining("hello.identity_cert");
  }
}
