package dev.veilraft.membership;

import static dev.veilraft.membership.SimulatedMembers.JOIN_WINDOW_MS;
import static dev.veilraft.membership.SimulatedMembers.MEASUREMENT;
import static dev.veilraft.membership.SimulatedMembers.OTHER_MEASUREMENT;
import static dev.veilraft.membership.SimulatedMembers.T0;
import static dev.veilraft.membership.SimulatedMembers.joinRequest;
import static dev.veilraft.membership.SimulatedMembers.nonce;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.SimulatedMembers.Node;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipSnapshot;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Join step 4, the replicated admission decision, with real simulated evidence. */
class AdmissionTest {
  private static final long INDEX = 7;
  private static final long ISSUED_AT = T0 + 10_000;
  private static final long LEADER_TIME = ISSUED_AT + 5_000;
  private static final Admission.NonceLedger FRESH = nonce -> false;

  @TempDir static Path dir;
  private static SimulatedMembers sim;
  private static AttestationVerifier verifier;
  private static GenesisDocument genesis;
  private static Node founder;
  private static Node joiner;
  private static MembershipView founded;

  @BeforeAll
  static void foundCluster() throws Exception {
    sim = SimulatedMembers.create(dir);
    verifier = new AttestationVerifier();
    genesis = sim.genesis(g -> g);
    founder = sim.node();
    joiner = sim.node();
    founded = found(genesis, founder);
  }

  /** Applies Bootstrap.decide to an empty view: the founder's evidence bound to the cluster id. */
  private static MembershipView found(GenesisDocument doc, Node first) {
    Bootstrap.Outcome outcome = Bootstrap.decide(MembershipView.empty(), first.init(doc), doc.clusterId(), 1, T0,
        verifier);
    assertThat(outcome.rejection()).isNull();
    return outcome.view();
  }

  private static JoinRequest validRequest(String seed) {
    return joinRequest(joiner, founder, genesis.clusterId(), nonce("joiner/" + seed), nonce("member/" + seed),
        ISSUED_AT);
  }

  private static Admission.Outcome decide(MembershipView view, JoinRequest request, long leaderTime) throws Exception {
    return Admission.decide(view, AdmitNode.newBuilder().setRequest(request).build(), INDEX, leaderTime, verifier,
        FRESH);
  }

  private static Admission.Outcome decide(JoinRequest request) throws Exception {
    return decide(founded, request, LEADER_TIME);
  }

  private static byte[] memberNonce(JoinRequest request) throws Exception {
    return ChallengeBody.parseFrom(request.getChallenge().getBody()).getMemberNonce().toByteArray();
  }

  /** Re-signs a challenge body changed by {@code change} with {@code signer}'s identity key. */
  private static Challenge resign(Challenge challenge, Node signer, java.util.function.UnaryOperator<ChallengeBody.Builder> change)
      throws Exception {
    byte[] body = change.apply(ChallengeBody.parseFrom(challenge.getBody()).toBuilder()).build().toByteArray();
    return challenge.toBuilder().setBody(ByteString.copyFrom(body))
        .setSignature(ByteString.copyFrom(signer.identity().sign(Challenges.signedBytes(body)))).build();
  }

  private static void assertRefused(Admission.Outcome outcome, String code) {
    assertThat(outcome.decision().getAdmitted()).as(outcome.decision().getReason()).isFalse();
    assertThat(outcome.decision().getReasonCode()).as(outcome.decision().getReason()).isEqualTo(code);
    assertThat(outcome.decision().getReason()).isNotBlank();
    assertThat(outcome.member()).isNull();
  }

  @Test
  void founderViewRecordsTheFounderFromItsEvidence() {
    // Bootstrap records the genesis and the founder with the measurement and platform its evidence proves.
    assertThat(founded.initialized()).isTrue();
    assertThat(founded.genesis().clusterId()).isEqualTo(genesis.clusterId());
    assertThat(founded.memberIds()).containsExactly(founder.id());
    MemberRecord record = founded.member(founder.id()).orElseThrow();
    assertThat(record.getMeasurement().toByteArray()).isEqualTo(MEASUREMENT);
    assertThat(record.getPlatform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(record.getEvidenceNonce().toByteArray()).isEqualTo(genesis.clusterId());
    assertThat(record.getAdmittedIndex()).isEqualTo(1);
    assertThat(record.getAdmittedAtMs()).isEqualTo(T0);
  }

  @Test
  void genuineJoinerIsAdmittedWithItsRecord() throws Exception {
    // A joiner with allowed evidence bound to the member's nonce and its keys is admitted and recorded as proven.
    JoinRequest request = validRequest("happy");
    Admission.Outcome outcome = decide(request);
    assertThat(outcome.decision().getAdmitted()).as(outcome.decision().getReason()).isTrue();
    assertThat(outcome.decision().getReasonCode()).isEqualTo("ADMITTED");
    assertThat(outcome.decision().getNodeId()).isEqualTo(joiner.id());
    MemberRecord member = outcome.member();
    assertThat(member.getNodeId()).isEqualTo(joiner.id());
    assertThat(member.getIdentityCert().toByteArray()).isEqualTo(joiner.identity().certificateDer());
    assertThat(member.getKemPublicKey().toByteArray()).isEqualTo(joiner.kem().publicKey());
    assertThat(member.getMeasurement().toByteArray()).isEqualTo(MEASUREMENT);
    assertThat(member.getPlatform()).isEqualTo(Platform.SIMULATED_SNP);
    assertThat(member.getAdmittedIndex()).isEqualTo(INDEX);
    assertThat(member.getAdmittedAtMs()).isEqualTo(LEADER_TIME);
    assertThat(member.getEvidenceNonce().toByteArray()).isEqualTo(memberNonce(request));
    assertThat(member.getEvidence()).isEqualTo(request.getEvidence());
    assertThat(member.getRaftAddress()).isEqualTo("127.0.0.1:7001");
    assertThat(member.getApiAddress()).isEqualTo("localhost:8001");
    assertThat(outcome.usedNonce()).isEqualTo(memberNonce(request));
    assertThat(founded.withMember(member).memberIds()).containsExactlyInAnyOrder(founder.id(), joiner.id());
  }

  @Test
  void decisionIsDeterministic() throws Exception {
    // The same view, entry, leader time and ledger give equal decisions, records and used nonces, admitted or not.
    for (JoinRequest request : new JoinRequest[] {validRequest("det"),
        validRequest("det2").toBuilder().setEvidence(sim.node(SimulatedSnpAttester.create(sim.chip, OTHER_MEASUREMENT))
            .evidence(nonce("member/det2"))).build()}) {
      Admission.Outcome first = decide(request);
      Admission.Outcome second = decide(request);
      assertThat(second.decision()).isEqualTo(first.decision());
      assertThat(second.member()).isEqualTo(first.member());
      assertThat(second.usedNonce()).isEqualTo(first.usedNonce());
    }
  }

  @Test
  void notInitializedViewRefusesEveryJoin() throws Exception {
    // Before the genesis is applied there is no policy, so nothing can be admitted.
    assertRefused(decide(MembershipView.empty(), validRequest("empty"), LEADER_TIME), "NOT_INITIALIZED");
  }

  @Test
  void measurementNotInPolicyIsRefused() throws Exception {
    // Evidence of altered code (a measurement the policy does not list) is refused with MEASUREMENT_NOT_ALLOWED.
    Node altered = sim.node(SimulatedSnpAttester.create(sim.chip, OTHER_MEASUREMENT));
    JoinRequest request = joinRequest(altered, founder, genesis.clusterId(), nonce("j/m"), nonce("m/m"), ISSUED_AT);
    Admission.Outcome outcome = decide(request);
    assertRefused(outcome, "MEASUREMENT_NOT_ALLOWED");
    assertThat(outcome.decision().getNodeId()).isEqualTo(altered.id());
    assertThat(outcome.usedNonce()).isEqualTo(nonce("m/m"));
  }

  @Test
  void debugGuestIsRefused() throws Exception {
    // A guest launched with the debug policy bit is refused with DEBUG_ENABLED.
    Node debug = sim.node(SimulatedSnpAttester.builder(sim.chip, MEASUREMENT)
        .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | SnpReport.POLICY_DEBUG_BIT).build());
    JoinRequest request = joinRequest(debug, founder, genesis.clusterId(), nonce("j/d"), nonce("m/d"), ISSUED_AT);
    assertRefused(decide(request), "DEBUG_ENABLED");
  }

  @Test
  void simulatedEvidenceIsRefusedByAPolicyThatDoesNotAllowIt() throws Exception {
    // Under a policy without allow_simulated, genuine simulated evidence is refused with SIMULATED_NOT_ALLOWED.
    GenesisDocument production = GenesisDocument.create(sim.genesisBuilder()
        .setPolicy(Policy.newBuilder().setName("production").addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)))
        .clearSimulatedRootCert().build());
    // No simulated founder could bootstrap this cluster, so its view is restored as stored.
    MemberRecord founderRecord = founded.member(founder.id()).orElseThrow();
    MembershipView view = MembershipView.of(MembershipSnapshot.newBuilder()
        .setGenesis(ByteString.copyFrom(production.genesisBytes())).addMembers(founderRecord).build());
    JoinRequest request = joinRequest(joiner, founder, production.clusterId(), nonce("j/s"), nonce("m/s"), ISSUED_AT);
    assertRefused(decide(view, request, LEADER_TIME), "SIMULATED_NOT_ALLOWED");
  }

  @Test
  void evidenceBoundToAnotherNonceIsRefused() throws Exception {
    // Evidence bound to a nonce other than the member's (a replay of older evidence) is REPORT_DATA_MISMATCH.
    JoinRequest request = validRequest("replay").toBuilder().setEvidence(joiner.evidence(nonce("some old nonce")))
        .build();
    assertRefused(decide(request), "REPORT_DATA_MISMATCH");
  }

  @Test
  void keySubstitutionIsRefused() throws Exception {
    // A hello carrying a KEM key other than the one the evidence binds (key substitution) is REPORT_DATA_MISMATCH.
    byte[] attackerKem = KemKeyPair.generate().publicKey();
    JoinRequest genuine = validRequest("subst");
    JoinHello swapped = genuine.getHello().toBuilder().setKemPublicKey(ByteString.copyFrom(attackerKem)).build();
    assertRefused(decide(genuine.toBuilder().setHello(swapped).build()), "REPORT_DATA_MISMATCH");

    // The same with evidence bound to another KEM key than the hello names.
    JoinRequest otherBinding = genuine.toBuilder().setEvidence(
        joiner.evidenceBoundTo(memberNonce(genuine), joiner.identity().spki(), attackerKem)).build();
    assertRefused(decide(otherBinding), "REPORT_DATA_MISMATCH");

    // And evidence bound to another identity key.
    JoinRequest otherIdentity = genuine.toBuilder().setEvidence(joiner.evidenceBoundTo(memberNonce(genuine),
        founder.identity().spki(), joiner.kem().publicKey())).build();
    assertRefused(decide(otherIdentity), "REPORT_DATA_MISMATCH");
  }

  @Test
  void usedNonceIsRefusedAsReplay() throws Exception {
    // A challenge whose nonce the ledger already holds is NONCE_REUSED, and admitted-or-not entries consume nonces.
    JoinRequest request = validRequest("reuse");
    Admission.Outcome outcome = Admission.decide(founded, AdmitNode.newBuilder().setRequest(request).build(), INDEX,
        LEADER_TIME, verifier, nonce -> true);
    assertRefused(outcome, "NONCE_REUSED");
    assertThat(outcome.usedNonce()).isNull();

    // A ledger as Replica keeps it: a refused attempt consumes the nonce, so the retry is a replay.
    Set<String> ledger = new HashSet<>();
    Admission.NonceLedger nonces = n -> ledger.contains(Hashes.hex(n));
    JoinRequest refused = request.toBuilder().setEvidence(joiner.evidence(nonce("stale"))).build();
    Admission.Outcome first = Admission.decide(founded, AdmitNode.newBuilder().setRequest(refused).build(), INDEX,
        LEADER_TIME, verifier, nonces);
    assertRefused(first, "REPORT_DATA_MISMATCH");
    ledger.add(Hashes.hex(first.usedNonce()));
    Admission.Outcome retry = Admission.decide(founded, AdmitNode.newBuilder().setRequest(request).build(), INDEX + 1,
        LEADER_TIME, verifier, nonces);
    assertRefused(retry, "NONCE_REUSED");
  }

  @Test
  void challengeOlderThanTheJoinWindowIsRefused() throws Exception {
    // A challenge issued more than join_window_ms before the leader time is CHALLENGE_EXPIRED; exactly at the edge it is fine.
    JoinRequest request = validRequest("old");
    assertRefused(decide(founded, request, ISSUED_AT + JOIN_WINDOW_MS + 1), "CHALLENGE_EXPIRED");
    assertThat(decide(founded, request, ISSUED_AT + JOIN_WINDOW_MS).decision().getAdmitted()).isTrue();
  }

  @Test
  void challengeFromTheFutureIsRefused() throws Exception {
    // A challenge issued more than the allowed skew after the leader time is CHALLENGE_FROM_FUTURE.
    JoinRequest request = validRequest("future");
    assertRefused(decide(founded, request, ISSUED_AT - Admission.JOIN_CLOCK_SKEW_MS_MAX - 1), "CHALLENGE_FROM_FUTURE");
    assertThat(decide(founded, request, ISSUED_AT - Admission.JOIN_CLOCK_SKEW_MS_MAX).decision().getAdmitted())
        .isTrue();
  }

  @Test
  void issuedAtBeyondTheSignedRangeIsNotFresh() throws Exception {
    // issued_at is a uint64: a member-signed value past Long.MAX_VALUE (a skewed member clock) must not wrap into the window.
    JoinRequest valid = validRequest("wrap");
    for (long issuedAt : new long[] {Long.MIN_VALUE, Long.MIN_VALUE + LEADER_TIME, -1L}) {
      Challenge skewed = resign(valid.getChallenge(), founder, b -> b.setIssuedAtMs(issuedAt));
      Admission.Outcome outcome = decide(valid.toBuilder().setChallenge(skewed).build());
      assertThat(outcome.decision().getAdmitted()).as("issued_at %s", Long.toUnsignedString(issuedAt)).isFalse();
      assertThat(outcome.decision().getReasonCode()).isEqualTo("CHALLENGE_FROM_FUTURE");
      assertThat(outcome.usedNonce()).isNull();
    }
  }

  @Test
  void challengeFromANonMemberIsRefused() throws Exception {
    // A challenge signed by an identity that is not a member is UNKNOWN_CHALLENGER, whatever its evidence.
    Node stranger = sim.node();
    JoinRequest request = joinRequest(joiner, stranger, genesis.clusterId(), nonce("j/u"), nonce("m/u"), ISSUED_AT);
    Admission.Outcome outcome = decide(request);
    assertRefused(outcome, "UNKNOWN_CHALLENGER");
    assertThat(outcome.usedNonce()).isNull();
  }

  @Test
  void forgedChallengeSignatureIsRefused() throws Exception {
    // A challenge whose signature does not verify with the named member's key is CHALLENGE_SIGNATURE_INVALID.
    JoinRequest request = validRequest("sig");
    byte[] signature = request.getChallenge().getSignature().toByteArray();
    signature[signature.length / 2] ^= 0x01;
    JoinRequest flipped = request.toBuilder()
        .setChallenge(request.getChallenge().toBuilder().setSignature(ByteString.copyFrom(signature))).build();
    assertRefused(decide(flipped), "CHALLENGE_SIGNATURE_INVALID");

    // A stranger signing a body that names the founder is refused the same way.
    Node stranger = sim.node();
    JoinRequest forged = request.toBuilder().setChallenge(resign(request.getChallenge(), stranger, b -> b)).build();
    Admission.Outcome outcome = decide(forged);
    assertRefused(outcome, "CHALLENGE_SIGNATURE_INVALID");
    assertThat(outcome.usedNonce()).isNull();
  }

  @Test
  void challengeIssuedToAnotherJoinerIsRefused() throws Exception {
    // A joiner presenting a challenge the member issued to someone else is CHALLENGE_MISMATCH.
    Node other = sim.node();
    JoinHello otherHello = other.hello(genesis.clusterId(), nonce("j/other"));
    Challenge stolen = founder.challenge(genesis.clusterId(), nonce("m/other"), ISSUED_AT, otherHello,
        other.identity().spki());
    JoinHello mine = joiner.hello(genesis.clusterId(), nonce("j/other"));
    JoinRequest request = JoinRequest.newBuilder().setHello(mine).setChallenge(stolen)
        .setEvidence(joiner.evidence(nonce("m/other"))).setRaftAddress("127.0.0.1:7001")
        .setApiAddress("127.0.0.1:8001").build();
    Admission.Outcome outcome = decide(request);
    assertRefused(outcome, "CHALLENGE_MISMATCH");
    assertThat(outcome.usedNonce()).isNull();

    // Same joiner identity, but the hello's nonce is not the one the challenge answers.
    JoinRequest valid = validRequest("mismatch");
    JoinRequest otherNonce = valid.toBuilder().setHello(valid.getHello().toBuilder()
        .setNonce(ByteString.copyFrom(nonce("another hello")))).build();
    assertRefused(decide(otherNonce), "CHALLENGE_MISMATCH");
  }

  @Test
  void memberCannotJoinAgain() throws Exception {
    // A node that is already a member is refused with ALREADY_MEMBER (and the challenge is consumed).
    JoinRequest request = joinRequest(founder, founder, genesis.clusterId(), nonce("j/again"), nonce("m/again"),
        ISSUED_AT);
    Admission.Outcome outcome = decide(request);
    assertRefused(outcome, "ALREADY_MEMBER");
    assertThat(outcome.usedNonce()).isEqualTo(nonce("m/again"));
  }

  @Test
  void fullClusterRefusesJoiners() throws Exception {
    // With members_max 1 the founder fills the cluster: the next joiner is CLUSTER_FULL.
    GenesisDocument small = sim.genesis(g -> g.setMembersMax(1));
    MembershipView view = found(small, founder);
    JoinRequest request = joinRequest(joiner, founder, small.clusterId(), nonce("j/full"), nonce("m/full"), ISSUED_AT);
    Admission.Outcome outcome = decide(view, request, LEADER_TIME);
    assertRefused(outcome, "CLUSTER_FULL");
    assertThat(outcome.usedNonce()).isEqualTo(nonce("m/full"));
  }

  @Test
  void requestForAnotherClusterIsRefused() throws Exception {
    // A hello or a member-signed challenge naming another cluster is WRONG_CLUSTER.
    GenesisDocument other = sim.genesis(g -> g.setClusterName("other-cluster"));
    JoinRequest forOther = joinRequest(joiner, founder, other.clusterId(), nonce("j/w"), nonce("m/w"), ISSUED_AT);
    assertRefused(decide(forOther), "WRONG_CLUSTER");

    JoinRequest valid = validRequest("wrong-body");
    Challenge otherBody = resign(valid.getChallenge(), founder,
        b -> b.setClusterId(ByteString.copyFrom(other.clusterId())));
    Admission.Outcome outcome = decide(valid.toBuilder().setChallenge(otherBody).build());
    assertRefused(outcome, "WRONG_CLUSTER");
    assertThat(outcome.usedNonce()).isNull();
  }

  @Test
  void malformedRequestsAreRefused() throws Exception {
    // Garbage identity certificates, short nonces, bad KEM keys, bad addresses and bodies are MALFORMED_REQUEST.
    JoinRequest valid = validRequest("malformed");
    JoinHello hello = valid.getHello();
    JoinRequest[] malformed = {
        valid.toBuilder().setHello(hello.toBuilder().setIdentityCert(ByteString.copyFrom(new byte[] {0x30, 0x03, 1, 2, 3})))
            .build(),
        valid.toBuilder().setHello(hello.toBuilder().clearIdentityCert()).build(),
        valid.toBuilder().setHello(hello.toBuilder().setNonce(ByteString.copyFrom(new byte[31]))).build(),
        valid.toBuilder().setHello(hello.toBuilder().setKemPublicKey(ByteString.copyFrom(new byte[33]))).build(),
        valid.toBuilder().setRaftAddress("not-an-address\n").build(),
        valid.toBuilder().setRaftAddress("").build(),
        valid.toBuilder().setApiAddress("host:port").build(),
        valid.toBuilder().setChallenge(valid.getChallenge().toBuilder()
            .setBody(ByteString.copyFrom(new byte[] {(byte) 0xFF, (byte) 0xFF}))).build(),
    };
    for (JoinRequest request : malformed) {
      Admission.Outcome outcome = decide(request);
      assertRefused(outcome, "MALFORMED_REQUEST");
      assertThat(outcome.usedNonce()).isNull();
    }
    Admission.Outcome badAddress = decide(malformed[4]);
    assertThat(badAddress.decision().getReason()).contains("raft_address").doesNotContain("\n");

    // A short member nonce, even in a genuinely signed challenge, is malformed.
    Challenge shortNonce = resign(valid.getChallenge(), founder, b -> b.setMemberNonce(ByteString.copyFrom(new byte[8])));
    assertRefused(decide(valid.toBuilder().setChallenge(shortNonce).build()), "MALFORMED_REQUEST");
  }

  @Test
  void usedNonceIsSetExactlyWhenTheChallengeIsGenuine() throws Exception {
    // Only a genuine, fresh, unused challenge gets its nonce consumed; forged or stale ones do not burn a member nonce.
    JoinRequest valid = validRequest("ledger");
    byte[] expected = memberNonce(valid);
    assertThat(decide(valid).usedNonce()).isEqualTo(expected);
    assertThat(decide(founded, valid, ISSUED_AT + JOIN_WINDOW_MS + 1).usedNonce()).isNull();
    assertThat(decide(valid.toBuilder().setEvidence(joiner.evidence(nonce("x"))).build()).usedNonce())
        .isEqualTo(expected);
    JoinRequest unsigned = valid.toBuilder().setChallenge(valid.getChallenge().toBuilder().clearSignature()).build();
    assertThat(decide(unsigned).usedNonce()).isNull();
  }
}
