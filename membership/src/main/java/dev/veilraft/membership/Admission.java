package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.membership.proto.AdmitDecision;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Join step 4, decided identically on every replica when an AdmitNode entry is applied: the
 * challenge was signed by a current member, is fresh against the entry's leader time, its nonce
 * was never used, and the joiner's evidence verifies against the policy in force at this index.
 * A pure function of (view, entry, leader time, nonce set): no clock, no randomness, no I/O.
 */
public final class Admission {
  /** How far a member's challenge time may run ahead of the leader's clock. */
  public static final long JOIN_CLOCK_SKEW_MS_MAX = 30_000;
  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9.:\\[\\]-]{1,253}:[0-9]{1,5}");

  private Admission() {}

  /** The decision, the view after it (null when refused), and the member nonce to mark used (if any). */
  public record Outcome(AdmitDecision decision, MembershipView view, byte[] usedNonce) {
    /** The admitted member's record, or null when refused. */
    public MemberRecord member() {
      return view == null ? null : view.member(decision.getNodeId()).orElseThrow();
    }

    static Outcome reject(String code, String reason, String nodeId, byte[] usedNonce) {
      return new Outcome(AdmitDecision.newBuilder().setAdmitted(false).setReasonCode(code).setReason(reason)
          .setNodeId(nodeId).build(), null, usedNonce);
    }
  }

  /** Whether a member nonce was already consumed by an earlier AdmitNode entry. */
  @FunctionalInterface
  public interface NonceLedger {
    boolean used(byte[] nonce) throws dev.veilraft.state.StateException;
  }

  public static Outcome decide(MembershipView view, AdmitNode admit, long index, long leaderTimeMs,
      EvidenceVerifier verifier, NonceLedger nonces) throws dev.veilraft.state.StateException {
    if (!view.initialized()) {
      return Outcome.reject(JoinReason.NOT_INITIALIZED.name(), "cluster has no genesis yet", "", null);
    }
    JoinRequest request = admit.getRequest();
    X509Certificate joinerCert;
    ChallengeBody body;
    try {
      joinerCert = Challenges.checkHello(request.getHello(), view.genesis().clusterId());
      body = Challenges.parseBody(request.getChallenge());
      checkAddresses(request.getRaftAddress(), request.getApiAddress());
    } catch (JoinException e) {
      return Outcome.reject(e.code(), e.getMessage(), "", null);
    }
    String joinerId = Certificates.nodeId(joinerCert);
    try {
      checkChallenge(view, request, body, joinerCert, leaderTimeMs);
    } catch (JoinException e) {
      return Outcome.reject(e.code(), e.getMessage(), joinerId, null);
    }
    byte[] memberNonce = body.getMemberNonce().toByteArray();
    // From here on the challenge is genuine: its nonce is consumed whatever the outcome, so a
    // rejected joiner cannot retry with the same challenge.
    if (nonces.used(memberNonce)) {
      return Outcome.reject(JoinReason.NONCE_REUSED.name(),
          "challenge nonce " + Hashes.shortHex(memberNonce, 8) + " was already used (replayed join)", joinerId, null);
    }
    if (view.member(joinerId).isPresent()) {
      return Outcome.reject(JoinReason.ALREADY_MEMBER.name(), "node " + joinerId + " is already a member",
          joinerId, memberNonce);
    }
    if (view.wasRemoved(joinerId)) {
      return Outcome.reject(JoinReason.REMOVED_NODE.name(), "node " + joinerId + " was removed from this cluster and "
          + "is never admitted again; a replacement needs new keys and a new endorsement", joinerId, memberNonce);
    }
    String operator = request.getEndorsement().getOperator();
    try {
      Endorsements.verify(view.operators(), view.genesis().clusterId(), joinerCert.getPublicKey().getEncoded(),
          request.getEndorsement());
    } catch (JoinException e) {
      return Outcome.reject(e.code(), e.getMessage(), joinerId, memberNonce);
    }
    int nodesMax = view.operators().stream().filter(o -> o.getName().equals(operator)).findFirst()
        .map(o -> o.getNodesMax()).orElse(0);
    long operatorNodes = view.members().values().stream().filter(m -> m.getOperator().equals(operator)).count();
    if (operatorNodes >= nodesMax) {
      return Outcome.reject(JoinReason.OPERATOR_NODE_LIMIT.name(), "operator " + operator + " already runs "
          + operatorNodes + " members, its limit is " + nodesMax, joinerId, memberNonce);
    }
    if (view.members().size() >= view.genesis().genesis().getMembersMax()) {
      return Outcome.reject(JoinReason.CLUSTER_FULL.name(), "cluster has " + view.members().size()
          + " members, the genesis allows " + view.genesis().genesis().getMembersMax(), joinerId, memberNonce);
    }
    long supported = ProtocolVersions.effective(request.getProtocolVersionMax());
    if (supported < view.protocolVersion() || !ProtocolVersions.valid(request.getProtocolVersionMax())) {
      return Outcome.reject(JoinReason.PROTOCOL_VERSION_UNSUPPORTED.name(), "node " + joinerId + "'s build applies "
          + "protocol versions up to " + supported + ", the cluster's active version is " + view.protocolVersion()
          + "; join with a build that applies it", joinerId, memberNonce);
    }
    byte[] kem = request.getHello().getKemPublicKey().toByteArray();
    byte[] expected = ReportData.bind(memberNonce, joinerCert.getPublicKey().getEncoded(), kem);
    AttestationResult result = verifier.verify(request.getEvidence(), view.policy(), expected,
        Instant.ofEpochMilli(leaderTimeMs));
    if (!result.accepted()) {
      return Outcome.reject(result.reason().name(), result.detail(), joinerId, memberNonce);
    }
    byte[] instance = result.claims().platformInstanceId();
    if (!view.genesis().allowSharedPlatformInstance()) {
      var sharing = view.members().values().stream()
          .filter(m -> MessageDigest.isEqual(m.getPlatformInstanceId().toByteArray(), instance)).findFirst();
      if (sharing.isPresent()) {
        return Outcome.reject(JoinReason.SHARED_PLATFORM_INSTANCE.name(), "node " + joinerId
            + " runs on the same platform instance (" + result.claims().platform() + " "
            + Hashes.shortHex(instance, 8) + ") as member " + sharing.get().getNodeId()
            + "; the rules do not allow two members on one chip", joinerId, memberNonce);
      }
    }
    MemberRecord member = MemberRecord.newBuilder()
        .setNodeId(joinerId)
        .setIdentityCert(request.getHello().getIdentityCert())
        .setKemPublicKey(ByteString.copyFrom(kem))
        .setEvidence(request.getEvidence())
        .setEvidenceNonce(ByteString.copyFrom(memberNonce))
        .setRaftAddress(request.getRaftAddress())
        .setApiAddress(request.getApiAddress())
        .setAdmittedIndex(index)
        .setAdmittedAtMs(leaderTimeMs)
        .setMeasurement(ByteString.copyFrom(result.claims().measurement()))
        .setPlatform(result.claims().platform())
        .setOperator(operator)
        .setEndorsement(request.getEndorsement())
        .setPlatformInstanceId(ByteString.copyFrom(instance))
        .setAttestedAtMs(leaderTimeMs)
        .setProtocolVersionMax(request.getProtocolVersionMax())
        .build();
    MembershipView after = Roles.rebalance(view.withMember(member));
    MemberRole role = after.member(joinerId).orElseThrow().getRole();
    if (role == MemberRole.LISTENER
        && view.genesis().diversity() == DiversityAction.DIVERSITY_REFUSE) {
      return Outcome.reject(JoinReason.OPERATOR_MAJORITY.name(), "admitting node " + joinerId + " as a voter would let "
          + "operator " + operator + " hold a Raft majority alone, and the rules refuse such joins", joinerId, memberNonce);
    }
    String how = role == MemberRole.LISTENER
        ? " as a non-voting listener (diversity: operator " + operator + " would otherwise hold a majority alone)"
        : " as a voter";
    AdmitDecision decision = AdmitDecision.newBuilder().setAdmitted(true).setReasonCode("ADMITTED")
        .setReason("admitted at index " + index + how).setNodeId(joinerId).build();
    return new Outcome(decision, after, memberNonce);
  }

  private static void checkChallenge(MembershipView view, JoinRequest request, ChallengeBody body,
      X509Certificate joinerCert, long leaderTimeMs) throws JoinException {
    if (!Arrays.equals(body.getClusterId().toByteArray(), view.genesis().clusterId())) {
      throw new JoinException(JoinReason.WRONG_CLUSTER.name(), "challenge is for another cluster");
    }
    MemberRecord challenger = view.member(body.getMemberId()).orElseThrow(() -> new JoinException(
        JoinReason.UNKNOWN_CHALLENGER.name(), "challenge was issued by " + body.getMemberId()
            + ", which is not a member"));
    X509Certificate challengerCert;
    try {
      challengerCert = Certificates.parse(challenger.getIdentityCert().toByteArray(), "member certificate");
    } catch (CryptoException e) {
      throw new IllegalStateException("stored member certificate does not parse", e);
    }
    Challenges.checkSignature(request.getChallenge(), challengerCert);
    if (body.getMemberNonce().size() != Challenges.NONCE_BYTES) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(), "challenge member_nonce is "
          + body.getMemberNonce().size() + " bytes, expected " + Challenges.NONCE_BYTES);
    }
    if (!MessageDigest.isEqual(body.getJoinerIdentitySha256().toByteArray(), Certificates.spkiSha256(joinerCert))
        || !MessageDigest.isEqual(body.getJoinerNonce().toByteArray(), request.getHello().getNonce().toByteArray())) {
      throw new JoinException(JoinReason.CHALLENGE_MISMATCH.name(),
          "challenge was issued to another joiner (identity or nonce differs)");
    }
    long window = view.genesis().genesis().getJoinWindowMs();
    // issued_at is a uint64: a value past Long.MAX_VALUE reads negative here and would wrap the
    // window arithmetic below into "fresh", so it counts as from the future.
    if (body.getIssuedAtMs() < 0 || body.getIssuedAtMs() > leaderTimeMs + JOIN_CLOCK_SKEW_MS_MAX) {
      throw new JoinException(JoinReason.CHALLENGE_FROM_FUTURE.name(), "challenge issued at "
          + Long.toUnsignedString(body.getIssuedAtMs())
          + " ms is ahead of the leader time " + leaderTimeMs + " ms by more than " + JOIN_CLOCK_SKEW_MS_MAX + " ms");
    }
    if (leaderTimeMs - body.getIssuedAtMs() > window) {
      throw new JoinException(JoinReason.CHALLENGE_EXPIRED.name(), "challenge issued at " + body.getIssuedAtMs()
          + " ms is older than the join window of " + window + " ms at leader time " + leaderTimeMs + " ms");
    }
  }

  /** A member's advertised addresses must be host:port (they end up in peers' Raft and TLS configuration). */
  static void checkAddresses(String raftAddress, String apiAddress) throws JoinException {
    if (!HOST_PORT.matcher(raftAddress).matches()) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "raft_address '" + Check.printable(raftAddress) + "' is not host:port");
    }
    if (!HOST_PORT.matcher(apiAddress).matches()) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "api_address '" + Check.printable(apiAddress) + "' is not host:port");
    }
  }

}
