package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.JoinHello;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;

/** Join step 2: the member's signed challenge, and the joiner's check of it. */
public final class Challenges {
  public static final int NONCE_BYTES = 32;
  public static final int KEM_PUBLIC_KEY_BYTES = 32;

  private Challenges() {}

  /** Member side: answers a hello with a fresh nonce, a signature and evidence bound to the joiner's nonce. */
  public static Challenge create(NodeIdentity member, byte[] memberKemPublicKey, Evidence memberEvidence,
      byte[] clusterId, byte[] memberNonce, long issuedAtMs, JoinHello hello, byte[] joinerSpki) {
    ChallengeBody body = ChallengeBody.newBuilder()
        .setClusterId(ByteString.copyFrom(clusterId))
        .setMemberNonce(ByteString.copyFrom(memberNonce))
        .setIssuedAtMs(issuedAtMs)
        .setMemberId(member.nodeId())
        .setJoinerIdentitySha256(ByteString.copyFrom(Hashes.sha256(joinerSpki)))
        .setJoinerNonce(hello.getNonce())
        .build();
    byte[] bodyBytes = body.toByteArray();
    return Challenge.newBuilder()
        .setBody(ByteString.copyFrom(bodyBytes))
        .setSignature(ByteString.copyFrom(member.sign(signedBytes(bodyBytes))))
        .setMemberIdentityCert(ByteString.copyFrom(member.certificateDer()))
        .setMemberKemPublicKey(ByteString.copyFrom(memberKemPublicKey))
        .setMemberEvidence(memberEvidence)
        .build();
  }

  /** What the member's identity key signs: a label and the body. */
  static byte[] signedBytes(byte[] body) {
    return Hashes.concat(Hashes.utf8("veilraft/challenge/v1"), body);
  }

  /** Checks the basic shape of a hello; returns the joiner's certificate. */
  public static X509Certificate checkHello(JoinHello hello, byte[] clusterId) throws JoinException {
    if (!Arrays.equals(hello.getClusterId().toByteArray(), clusterId)) {
      throw new JoinException(JoinReason.WRONG_CLUSTER.name(), "hello is for cluster "
          + Hashes.shortHex(hello.getClusterId().toByteArray(), 8) + ", this is " + Hashes.shortHex(clusterId, 8));
    }
    if (hello.getNonce().size() != NONCE_BYTES) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "hello.nonce is " + hello.getNonce().size() + " bytes, expected " + NONCE_BYTES);
    }
    if (hello.getKemPublicKey().size() != KEM_PUBLIC_KEY_BYTES) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(),
          "hello.kem_public_key is " + hello.getKemPublicKey().size() + " bytes, expected " + KEM_PUBLIC_KEY_BYTES);
    }
    try {
      return Certificates.parse(hello.getIdentityCert().toByteArray(), "hello.identity_cert");
    } catch (CryptoException e) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(), e.getMessage());
    }
  }

  /** Parses a challenge body, naming what is wrong. */
  public static ChallengeBody parseBody(Challenge challenge) throws JoinException {
    try {
      return ChallengeBody.parseFrom(challenge.getBody());
    } catch (InvalidProtocolBufferException e) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(), "challenge.body is not a ChallengeBody protobuf");
    }
  }

  /** Checks the member's signature over the body with the given certificate. */
  public static void checkSignature(Challenge challenge, X509Certificate memberCert) throws JoinException {
    if (!NodeIdentity.verify(memberCert.getPublicKey(), signedBytes(challenge.getBody().toByteArray()),
        challenge.getSignature().toByteArray())) {
      throw new JoinException(JoinReason.CHALLENGE_SIGNATURE_INVALID.name(),
          "challenge signature does not verify with the member's identity key");
    }
  }

  /**
   * Joiner side: before going on, the joiner verifies the member against its own policy. It will
   * not serve a group it cannot verify. Returns the member's node id.
   */
  public static String verifyAsJoiner(Challenge challenge, JoinHello hello, byte[] clusterId,
      GenesisDocument genesis, EvidenceVerifier verifier, Instant now) throws JoinException {
    ChallengeBody body = parseBody(challenge);
    if (!Arrays.equals(body.getClusterId().toByteArray(), clusterId)) {
      throw new JoinException(JoinReason.WRONG_CLUSTER.name(), "challenge is for another cluster");
    }
    if (!MessageDigest.isEqual(body.getJoinerNonce().toByteArray(), hello.getNonce().toByteArray())) {
      throw new JoinException(JoinReason.CHALLENGE_MISMATCH.name(), "challenge answers another hello (joiner nonce differs)");
    }
    X509Certificate memberCert;
    try {
      memberCert = Certificates.parse(challenge.getMemberIdentityCert().toByteArray(), "challenge.member_identity_cert");
    } catch (CryptoException e) {
      throw new JoinException(JoinReason.MALFORMED_REQUEST.name(), e.getMessage());
    }
    if (!Certificates.nodeId(memberCert).equals(body.getMemberId())) {
      throw new JoinException(JoinReason.CHALLENGE_MISMATCH.name(), "challenge member_id does not match its certificate");
    }
    checkSignature(challenge, memberCert);
    byte[] expected = ReportData.bind(hello.getNonce().toByteArray(), memberCert.getPublicKey().getEncoded(),
        challenge.getMemberKemPublicKey().toByteArray());
    AttestationResult result = verifier.verify(challenge.getMemberEvidence(), genesis.policy(), expected, now);
    if (!result.accepted()) {
      throw new JoinException(result.reason().name(), "member " + body.getMemberId() + " failed attestation: "
          + result.detail());
    }
    return body.getMemberId();
  }
}
