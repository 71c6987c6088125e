package dev.veilraft.node.join;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.membership.Challenges;
import dev.veilraft.membership.JoinException;
import dev.veilraft.membership.JoinReason;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.AdmitDecision;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.EpochHistory;
import dev.veilraft.membership.proto.EpochSecretEntry;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinReady;
import dev.veilraft.membership.proto.JoinReadyResponse;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.JoinResponse;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.node.Await;
import dev.veilraft.node.MembershipDuties;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.node.api.ApiException;
import dev.veilraft.node.api.ApiServer;
import java.io.IOException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import dev.veilraft.node.Audit;

/**
 * The member side of the join protocol (DESIGN.md "Join"): answer a hello with a signed challenge
 * and evidence, check the joiner's evidence (fast reject) before proposing AdmitNode, hand the
 * admitted joiner the epoch history, and add it to the Raft configuration when it is ready.
 * Holds no per-join state: the challenge is signed, and the log remembers used nonces.
 */
public final class JoinService {
  private static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);

  private final VeilraftNode node;
  private final SecureRandom random = new SecureRandom();

  public JoinService(VeilraftNode node) {
    this.node = node;
  }

  public void register(ApiServer api) {
    api.route("POST", "/v1/join/hello", (body, query) -> hello(parse(body, JoinHello.parser(), "JoinHello")).toByteArray());
    api.route("POST", "/v1/join/request", (body, query) -> request(parse(body, JoinRequest.parser(), "JoinRequest")).toByteArray());
    api.route("POST", "/v1/join/ready", (body, query) -> ready(parse(body, JoinReady.parser(), "JoinReady")).toByteArray());
  }

  static <T extends Message> T parse(byte[] body, Parser<T> parser, String type) throws ApiException {
    try {
      return parser.parseFrom(body);
    } catch (InvalidProtocolBufferException e) {
      throw new ApiException(400, JoinReason.MALFORMED_REQUEST.name(), "body is not a " + type + " protobuf: " + e.getMessage());
    }
  }

  private void requireMember() throws ApiException {
    if (node.replica().view().member(node.nodeId()).isEmpty() || node.replica().view().epoch() == 0) {
      throw new ApiException(503, "NOT_READY", "this node is not a member with a key epoch yet; ask another member");
    }
  }

  Challenge hello(JoinHello hello) throws ApiException {
    requireMember();
    X509Certificate joiner = checkJoin(null, () -> Challenges.checkHello(hello, node.genesis().clusterId()));
    Audit.log(Audit.Event.JOIN_HELLO, "node", Certificates.nodeId(joiner), "member", node.nodeId());
    byte[] memberNonce = new byte[Challenges.NONCE_BYTES];
    random.nextBytes(memberNonce);
    try {
      return Challenges.create(node.keys().identity(), node.keys().kem().publicKey(), node.attest(hello.getNonce().toByteArray()),
          node.genesis().clusterId(), memberNonce, challengeTimeMs(), hello, joiner.getPublicKey().getEncoded());
    } catch (NodeException e) {
      throw new ApiException(503, e.code(), e.getMessage());
    }
  }

  /**
   * The time a challenge is stamped with: this host's clock, but never earlier than the cluster's
   * time (the latest leader time applied). Cluster time only moves forward, so after a leader
   * whose clock ran ahead, challenges stamped by a correct clock would look older than the join
   * window to admission and every join would fail CHALLENGE_EXPIRED until real time caught up.
   */
  long challengeTimeMs() {
    return Math.max(node.clock().millis(), node.replica().view().lastLeaderTimeMs());
  }

  JoinResponse request(JoinRequest request) throws ApiException {
    requireMember();
    X509Certificate joiner = checkJoin(null, () -> Challenges.checkHello(request.getHello(), node.genesis().clusterId()));
    String joinerId = Certificates.nodeId(joiner);
    ChallengeBody body = checkJoin(joinerId, () -> Challenges.parseBody(request.getChallenge()));
    if (!body.getMemberId().equals(node.nodeId())) {
      throw rejected(joinerId, 400, JoinReason.CHALLENGE_MISMATCH.name(), "challenge was issued by "
          + Check.printable(body.getMemberId()) + "; send the join request to that member");
    }
    checkJoin(joinerId, () -> {
      Challenges.checkSignature(request.getChallenge(), node.keys().identity().certificate());
      return null;
    });
    // Fast reject: the same verification every replica repeats at apply, without using the log.
    byte[] expected = ReportData.bind(body.getMemberNonce().toByteArray(), joiner.getPublicKey().getEncoded(),
        request.getHello().getKemPublicKey().toByteArray());
    // The policy in force (governance may have changed it since genesis), as apply will use.
    AttestationResult result = node.verifier().verify(request.getEvidence(), node.replica().view().policy(), expected,
        node.clock().instant());
    if (!result.accepted()) {
      throw rejected(joinerId, 403, result.reason().name(), result.detail());
    }
    long active = node.replica().view().protocolVersion();
    if (dev.veilraft.membership.ProtocolVersions.effective(request.getProtocolVersionMax()) < active) {
      // Fast reject too; admission refuses it again on every replica.
      throw rejected(joinerId, 403, JoinReason.PROTOCOL_VERSION_UNSUPPORTED.name(), "the joiner's build applies "
          + "protocol versions up to " + dev.veilraft.membership.ProtocolVersions.effective(
              request.getProtocolVersionMax()) + ", the cluster's active version is " + active
          + "; join with a build that applies it");
    }
    AdmitDecision decision = propose(AdmitNode.newBuilder().setRequest(request).build());
    if (!decision.getAdmitted()) {
      throw rejected(joinerId, 403, decision.getReasonCode(), decision.getReason());
    }
    awaitApplied(() -> node.replica().view().member(joinerId).isPresent(), "admission of " + joinerId);
    MembershipView view = node.replica().view();
    MemberRecord member = view.member(joinerId).orElseThrow();
    Audit.log(Audit.Event.JOIN_ADMITTED, "node", joinerId, "operator", member.getOperator(), "role",
        member.getRole().name(), "platform", member.getPlatform().name(), "index", member.getAdmittedIndex(),
        "measurement", Hashes.shortHex(member.getMeasurement().toByteArray(), 8));
    return JoinResponse.newBuilder().setDecision(decision).addAllMembers(view.members().values())
        .setHistory(history(view, member)).setAdmittedIndex(member.getAdmittedIndex()).build();
  }

  private AdmitDecision propose(AdmitNode admit) throws ApiException {
    try {
      ApplyResult result = node.submit(Proposal.newBuilder().setAdmitNode(admit).build());
      if (result.hasError()) {
        throw new ApiException(422, result.getError().getCode(), result.getError().getMessage());
      }
      return result.getAdmit();
    } catch (NodeException e) {
      throw new ApiException(503, e.code(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "INTERRUPTED", "node is shutting down");
    }
  }

  /** Every epoch secret this member holds, sealed to the joiner's KEM key. */
  private dev.veilraft.crypto.proto.HpkeWrap history(MembershipView view, MemberRecord joiner) throws ApiException {
    EpochHistory.Builder history = EpochHistory.newBuilder();
    for (EpochSecret secret : node.replica().keyring().all()) {
      if (secret.epoch() <= view.epoch()) {
        history.addSecrets(EpochSecretEntry.newBuilder().setEpoch(secret.epoch())
            .setSecret(ByteString.copyFrom(secret.secretBytes())));
      }
    }
    try {
      return EventSealing.wrap(joiner.getNodeId(), joiner.getKemPublicKey().toByteArray(),
          KeyEpochs.historyInfo(node.genesis().clusterId()), history.build().toByteArray());
    } catch (CryptoException e) {
      throw new ApiException(500, "WRAP_FAILED", "cannot seal the epoch history: " + e.getMessage());
    }
  }

  /**
   * The joiner's Raft server is up: add it to the Raft group in the role the diversity rule gave
   * it (voter or listener), then rotate the key so
   * the new epoch includes it. Idempotent: a member already in an epoch created after its
   * admission causes no rotation, so replaying this request achieves nothing.
   */
  JoinReadyResponse ready(JoinReady ready) throws ApiException {
    requireMember();
    if (!Arrays.equals(ready.getClusterId().toByteArray(), node.genesis().clusterId())) {
      throw new ApiException(400, JoinReason.WRONG_CLUSTER.name(), "ready is for another cluster");
    }
    MemberRecord member = node.replica().view().member(ready.getNodeId()).orElseThrow(() -> new ApiException(404,
        "NOT_A_MEMBER", "node " + Check.printable(ready.getNodeId())
            + " is not an admitted member"));
    try {
      if (node.consensus().isLeader()) {
        MembershipDuties.reconfigure(node.consensus(), node.replica().view());
      }
      // On a follower (or if the leader changed), the leader's membership duties add it.
      String joiner = member.getNodeId();
      awaitApplied(() -> node.consensus().configurationRoles().containsKey(joiner),
          "adding " + joiner + " to the raft configuration");
      long epoch = node.replica().view().epochIndex() > member.getAdmittedIndex()
          ? node.replica().view().epoch() : node.rotateKey();
      Audit.log(Audit.Event.MEMBER_ACTIVE, "node", member.getNodeId(), "epoch", epoch);
      return JoinReadyResponse.newBuilder().setEpoch(epoch).build();
    } catch (IOException e) {
      throw new ApiException(503, "RECONFIGURATION_FAILED", "cannot add " + member.getNodeId() + " to the raft group: "
          + e.getMessage());
    } catch (NodeException e) {
      throw new ApiException(503, e.code(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "INTERRUPTED", "node is shutting down");
    }
  }


  private void awaitApplied(java.util.function.BooleanSupplier condition, String what) throws ApiException {
    try {
      if (!Await.until(condition, APPLY_TIMEOUT)) {
        throw new ApiException(503, "TIMEOUT", what + " was not applied on this member within " + APPLY_TIMEOUT);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ApiException(503, "INTERRUPTED", "node is shutting down");
    }
  }

  @FunctionalInterface
  private interface JoinStep<T> {
    T run() throws JoinException;
  }

  /** Runs a protocol check; a failure is an audited, counted rejection of {@code joinerId} (null: not known yet). */
  private <T> T checkJoin(String joinerId, JoinStep<T> step) throws ApiException {
    try {
      return step.run();
    } catch (JoinException e) {
      throw rejected(joinerId, 400, e.code(), e.getMessage());
    }
  }

  /** Audits and counts a refused join; returns the error to answer with. */
  private ApiException rejected(String joinerId, int status, String code, String detail) {
    Audit.log(Audit.Event.JOIN_REJECTED, "node", joinerId == null ? "unknown" : joinerId, "reason", code,
        "detail", detail);
    node.metrics().joinRejected(code);
    return new ApiException(status, code, detail);
  }
}
