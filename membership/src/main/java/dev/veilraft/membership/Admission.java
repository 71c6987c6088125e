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
import dev.veilraft.membership.proto.MemberRecord;
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

  /** The decision, the member to record when admitted, and the member nonce to mark used (if any). */
  public record Outcome(AdmitDecision decision, MemberRecord member, byte[] usedNonce) {
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
      checkAddresses(request);
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
    if (view.members().size() >= view.genesis().genesis().getMembersMax()) {
      return Outcome.reject(JoinReason.CLUSTER_FULL.name(), "cluster has " + view.members().size()
          + " members, the genesis allows " + view.genesis().genesis().getMembersMax(), joinerId, memberNonce);
    }
    byte[] kem = request.getHello().getKemPublicKey().toByteArray();
    byte[] expected = ReportData.bind(memberNonce, joinerCert.getPublicKey().getEncoded(), kem);
    AttestationResult result = verifier.verify(request.getEvidence(), view.genesis().policy(), expected,
        Instant.ofEpochMilli(leaderTimeMs));
    if (!result.accepted()) {
      return Outcome.reject(result.reason().name(), result.detail(), joinerId, memberNonce);
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
        .build();
    AdmitDecision decision = AdmitDecision.newBuilder().setAdmitted(true).setReasonCode("ADMITTED")
        .setReason("admitted at index " + index).setNodeId(joinerId).build();
    return new Outcome(decision, member, memberNonce);
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

  private static void checkAddresses(JoinRequest request) throws JoinException {
    if (!HOST_PORT.matcher(request.getRaftAddress()).matches()) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "raft_address '" + Check.printable(request.getRaftAddress()) + "' is not host:port");
    }
    if (!HOST_PORT.matcher(request.getApiAddress()).matches()) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "api_address '" + Check.printable(request.getApiAddress()) + "' is not host:port");
    }
  }

}
