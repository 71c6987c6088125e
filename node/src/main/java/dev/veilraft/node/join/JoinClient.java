package dev.veilraft.node.join;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.membership.Challenges;
import dev.veilraft.membership.JoinException;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.ChallengeBody;
import dev.veilraft.membership.proto.EpochHistory;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinReady;
import dev.veilraft.membership.proto.JoinReadyResponse;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.JoinResponse;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.node.EpochHistoryFile;
import dev.veilraft.node.NodeException;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The joiner side of the join protocol: hello, verify the member's challenge and evidence
 * against our own policy (we will not serve a group we cannot verify), send our evidence bound
 * to the member's nonce, install the epoch history, start Raft, and ask to be added.
 */
public final class JoinClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(JoinClient.class);
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** Attempts to reach the peer at all (the hello) before giving up, by default. */
  public static final int PEER_ATTEMPTS_DEFAULT = 6;
  public static final int PEER_ATTEMPTS_MAX = 100;
  /** The wait before the second attempt; it doubles up to {@link #PEER_RETRY_DELAY_MAX}. */
  static final Duration PEER_RETRY_DELAY_MIN = Duration.ofMillis(250);
  static final Duration PEER_RETRY_DELAY_MAX = Duration.ofSeconds(8);
  /** How often the wait for this node's first key epoch reports catch-up progress. */
  static final Duration CATCH_UP_POLL = Duration.ofMillis(250);

  /**
   * What a joining node reports while it joins, for an operator watching: the protocol's steps
   * and, while the node replays the log up to its admission, its applied and commit index.
   */
  public interface Listener {
    Listener NONE = new Listener() {
      @Override
      public void step(String text) {}

      @Override
      public void catchingUp(long appliedIndex, long commitIndex, long snapshotsInstalled) {}
    };

    void step(String text);

    void catchingUp(long appliedIndex, long commitIndex, long snapshotsInstalled);

    /**
     * A snapshot from the leader is arriving (reported instead of {@link #catchingUp} meanwhile):
     * {@code bytesReceived} so far of {@code bytesTotal}, 0 when the size is not known.
     */
    default void installingSnapshot(long bytesReceived, long bytesTotal) {}
  }

  private final VeilraftNode node;
  private final URI peer;
  private final NodeHttp http = new NodeHttp();
  private final Listener listener;
  private final int peerAttemptsMax;
  /** The size of the snapshot this node is being sent, asked once of the peer (or its leader) when one arrives. */
  private java.util.concurrent.CompletableFuture<Long> senderSnapshotBytes;

  public JoinClient(VeilraftNode node, URI peer) {
    this(node, peer, Listener.NONE, PEER_ATTEMPTS_DEFAULT);
  }

  /** Stops the HTTP client this join used. */
  @Override
  public void close() {
    http.close();
  }

  /** A join reporting to {@code listener} that tries {@code peerAttemptsMax} times to reach the peer. */
  public JoinClient(VeilraftNode node, URI peer, Listener listener, int peerAttemptsMax) {
    if (peerAttemptsMax < 1 || peerAttemptsMax > PEER_ATTEMPTS_MAX) {
      throw new IllegalArgumentException("peer attempts is " + peerAttemptsMax + ", expected 1.." + PEER_ATTEMPTS_MAX);
    }
    this.node = node;
    this.peer = peer;
    this.listener = listener;
    this.peerAttemptsMax = peerAttemptsMax;
  }

  public void join() throws NodeException, InterruptedException {
    byte[] clusterId = node.genesis().clusterId();
    byte[] nonce = new byte[Challenges.NONCE_BYTES];
    new SecureRandom().nextBytes(nonce);
    JoinHello hello = JoinHello.newBuilder()
        .setIdentityCert(ByteString.copyFrom(node.keys().identity().certificateDer()))
        .setKemPublicKey(ByteString.copyFrom(node.keys().kem().publicKey()))
        .setNonce(ByteString.copyFrom(nonce))
        .setClusterId(ByteString.copyFrom(clusterId))
        .build();
    listener.step("hello: asking " + peer + " to join cluster " + node.genesis().clusterIdHex().substring(0, 16));
    NodeHttp.Answer answer = hello(hello.toByteArray());
    Challenge challenge = parse(answer.body(), Challenge.parser(), "Challenge");
    String memberId;
    try {
      memberId = Challenges.verifyAsJoiner(challenge, hello, clusterId, node.genesis(), node.verifier(), node.clock().instant());
    } catch (JoinException e) {
      throw new NodeException(e.code(), "refusing to join through " + peer + ": " + e.getMessage());
    }
    if (!Certificates.nodeId(answer.tlsPeer()).equals(memberId)) {
      throw new NodeException("TLS_KEY_MISMATCH", "member " + memberId + " answered over TLS with another key");
    }
    http.pin(Set.of(memberId));
    LOG.info("member {} verified against policy '{}'", memberId, node.genesis().policy().getName());
    listener.step("evidence verified: member " + memberId + " passes policy '" + node.genesis().policy().getName() + "'");

    ChallengeBody body;
    try {
      body = Challenges.parseBody(challenge);
    } catch (JoinException e) {
      throw new NodeException(e.code(), e.getMessage());
    }
    Evidence evidence = node.attest(body.getMemberNonce().toByteArray());
    JoinRequest request = JoinRequest.newBuilder().setHello(hello).setChallenge(challenge).setEvidence(evidence)
        .setEndorsement(node.endorsement())
        .setProtocolVersionMax((int) node.replica().protocolVersionMax())
        .setRaftAddress(node.config().raft().address()).setApiAddress(node.config().api().address()).build();
    JoinResponse response = parse(post("/v1/join/request", request.toByteArray()).body(), JoinResponse.parser(), "JoinResponse");
    Set<String> members = response.getMembersList().stream().map(MemberRecord::getNodeId).collect(Collectors.toSet());
    installHistory(response, clusterId, members);
    LOG.info("admitted through {} at index {}", memberId, response.getAdmittedIndex());
    listener.step("admitted at index " + response.getAdmittedIndex() + "; epoch keys received");
    boolean listener = response.getMembersList().stream().anyMatch(m -> m.getNodeId().equals(node.nodeId())
        && m.getRole() == dev.veilraft.membership.proto.MemberRole.LISTENER);
    activate(members, listener ? RaftConsensus.StartRole.LISTENER : RaftConsensus.StartRole.VOTER);
  }

  /**
   * After admission: start Raft trusting {@code members} until their admissions are applied
   * here, ask a member to add this node to the Raft configuration, and wait for the key epoch
   * that includes it. Also the resume point after a crash between admission and first apply.
   */
  public void activate(Set<String> members) throws NodeException, InterruptedException {
    activate(members, RaftConsensus.StartRole.VOTER);
  }

  /**
   * As {@link #activate(Set)}, starting the Raft server in the role the admission gave this node:
   * a listener's server must start as a listener for the leader to add it (Ratis 3.3).
   */
  public void activate(Set<String> members, RaftConsensus.StartRole role) throws NodeException, InterruptedException {
    byte[] clusterId = node.genesis().clusterId();
    node.startConsensus(members, role);
    JoinReady ready = JoinReady.newBuilder().setClusterId(ByteString.copyFrom(clusterId)).setNodeId(node.nodeId()).build();
    JoinReadyResponse active = parse(post("/v1/join/ready", ready.toByteArray()).body(), JoinReadyResponse.parser(), "JoinReadyResponse");
    listener.step("raft started as " + role.name().toLowerCase(java.util.Locale.ROOT) + "; catching up to epoch "
        + active.getEpoch());
    awaitEpochReporting(active.getEpoch(), members);
    listener.step("joined: epoch " + active.getEpoch() + " applied");
    LOG.info("joined cluster {}: epoch {}", node.genesis().genesis().getClusterName(), active.getEpoch());
  }

  /** Waits (bounded, as {@link VeilraftNode#awaitEpoch}) for {@code epoch}, reporting the catch-up meanwhile. */
  private void awaitEpochReporting(long epoch, Set<String> members) throws NodeException, InterruptedException {
    long deadline = System.nanoTime() + VeilraftNode.PROPOSAL_TIMEOUT.toNanos();
    while (node.replica().view().epoch() < epoch && System.nanoTime() < deadline) {
      RaftConsensus consensus = node.consensus();
      if (consensus != null) {
        var transfer = consensus.snapshotTransfer();
        if (transfer.isPresent()) {
          long received = transfer.get().bytesReceived();
          listener.installingSnapshot(received, snapshotTotal(received, expectedSnapshotBytes(members)));
        } else {
          listener.catchingUp(node.replica().appliedIndex(), consensus.raftProgress().commitIndex(),
              consensus.snapshotStatus().snapshotsInstalled());
        }
      }
      dev.veilraft.node.Await.until(() -> node.replica().view().epoch() >= epoch, CATCH_UP_POLL);
    }
    node.awaitEpoch(epoch);
  }

  /**
   * The size of the snapshot being received as far as it is known yet, else 0: the first call
   * asks in the background (a slow peer does not hold up the progress display).
   */
  private long expectedSnapshotBytes(Set<String> members) {
    if (senderSnapshotBytes == null) {
      senderSnapshotBytes = java.util.concurrent.CompletableFuture.supplyAsync(() -> senderSnapshotBytes(members));
    }
    return senderSnapshotBytes.getNow(0L);
  }

  /**
   * The total to show for {@code received} bytes of a snapshot said to have {@code expected}:
   * 0 (unknown) when the size is unknown or already exceeded, as when the leader took a newer
   * snapshot than the one it reported.
   */
  static long snapshotTotal(long received, long expected) {
    return expected > 0 && received <= expected ? expected : 0;
  }

  /**
   * The leader's latest snapshot size (the leader sends its latest snapshot): from the peer's
   * {@code /v1/status} when the peer leads, else from the leader's, found in the peer's member
   * list; over TLS pinned to the admitted {@code members}. 0 when it cannot be learnt.
   */
  private long senderSnapshotBytes(Set<String> members) {
    try (NodeHttp statusHttp = new NodeHttp()) {
      statusHttp.pin(members);
      var status = JSON.readTree(statusHttp.get(peer.resolve("/v1/status")).body());
      var leaderApi = leaderApi(status);
      if (leaderApi.isPresent()) {
        status = JSON.readTree(statusHttp.get(leaderApi.get().resolve("/v1/status")).body());
      }
      return Math.max(0, status.path("latest_snapshot_bytes").asLong(0));
    } catch (ClientException | IOException | IllegalArgumentException e) {
      LOG.debug("snapshot size unknown (progress shows bytes without a total): {}", e.getMessage());
      return 0;
    }
  }

  /**
   * The API of the leader named in a member's {@code /v1/status} when that member is not the
   * leader itself; empty when it leads or no leader (or its address) is known.
   */
  static java.util.Optional<URI> leaderApi(com.fasterxml.jackson.databind.JsonNode status) {
    String leader = status.path("leader_id").asText("");
    if (status.path("leader").asBoolean(false) || leader.isEmpty()) {
      return java.util.Optional.empty();
    }
    for (var member : status.path("members")) {
      String api = member.path("api_address").asText("");
      if (leader.equals(member.path("node_id").asText()) && !api.isEmpty()) {
        return java.util.Optional.of(URI.create("https://" + api));
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * The hello, retried while the peer is unreachable (it may still be starting): at most
   * {@code peerAttemptsMax} attempts with a doubling delay, then an error naming the URL. A
   * refusal is final. Only the hello is retried: it changes nothing on the member.
   */
  private NodeHttp.Answer hello(byte[] body) throws NodeException, InterruptedException {
    Duration delay = PEER_RETRY_DELAY_MIN;
    for (int attempt = 1; ; attempt++) {
      try {
        return http.post(peer.resolve("/v1/join/hello"), body);
      } catch (ClientException e) {
        if (e.code().equals("WRONG_CLUSTER")) {
          throw new NodeException(e.code(), "the peer " + peer + " serves another cluster than the genesis "
              + node.config().genesis() + " (cluster " + node.genesis().clusterIdHex().substring(0, 16)
              + "…): use the genesis file the cluster was founded with (" + e.getMessage() + ")", e);
        }
        if (!e.code().equals("UNREACHABLE")) {
          throw new NodeException(e.code(), "join refused by " + peer + ": " + e.getMessage(), e);
        }
        if (attempt >= peerAttemptsMax) {
          throw new NodeException("PEER_UNREACHABLE", "peer " + peer + " unreachable after " + attempt
              + (attempt == 1 ? " attempt" : " attempts") + ": " + e.getMessage()
              + " (is the URL right, the member running and its API port open?)", e);
        }
        listener.step("peer " + peer + " unreachable (attempt " + attempt + " of " + peerAttemptsMax + "); retrying in "
            + delay.toMillis() + " ms");
        Thread.sleep(delay.toMillis());
        delay = delay.multipliedBy(2).compareTo(PEER_RETRY_DELAY_MAX) > 0 ? PEER_RETRY_DELAY_MAX : delay.multipliedBy(2);
      }
    }
  }

  private void installHistory(JoinResponse response, byte[] clusterId, Set<String> members) throws NodeException {
    try {
      byte[] plain = EventSealing.unwrap(node.keys().kem(), KeyEpochs.historyInfo(clusterId), response.getHistory());
      EpochHistory history = EpochHistory.parseFrom(plain).toBuilder().clearMemberIds()
          .addAllMemberIds(new java.util.TreeSet<>(members)).build();
      node.historyFile().save(history);
      EpochHistoryFile.toSecrets(history).forEach(node.replica().keyring()::put);
    } catch (CryptoException | InvalidProtocolBufferException | IllegalArgumentException e) {
      throw new NodeException("BAD_HISTORY", "epoch history from the member does not open: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new NodeException("START_FAILED", "cannot store the epoch history: " + e.getMessage(), e);
    }
  }

  private NodeHttp.Answer post(String path, byte[] body) throws NodeException {
    try {
      return http.post(peer.resolve(path), body);
    } catch (ClientException e) {
      throw new NodeException(e.code(), "join refused by " + peer + ": " + e.getMessage(), e);
    }
  }

  private static <T extends com.google.protobuf.Message> T parse(byte[] bytes, com.google.protobuf.Parser<T> parser,
      String type) throws NodeException {
    try {
      return parser.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new NodeException("MALFORMED_RESPONSE", "member answered with something that is not a " + type);
    }
  }
}
