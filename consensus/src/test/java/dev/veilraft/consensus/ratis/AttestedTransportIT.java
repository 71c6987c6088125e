package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.SimulatedNodes.event;
import static dev.veilraft.consensus.SimulatedNodes.get;
import static dev.veilraft.consensus.SimulatedNodes.open;
import static dev.veilraft.consensus.SimulatedNodes.put;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.Limits;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.SimulatedNodes;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.proto.KvResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import java.util.List;

/**
 * A real Ratis server on loopback behind attested mutual TLS: only admitted members (here the
 * founder itself) can open a Raft connection. The founder is shared by the tests, which run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AttestedTransportIT {
  private static final long WAIT_SECONDS = 30;

  @TempDir static Path dir;
  private static SimulatedNodes sim;
  private static GenesisDocument genesis;
  private static Node founder;
  private static RocksDbStateStore store;
  private static Replica replica;
  private static RaftConsensus consensus;
  private static int port;
  private static RaftConsensus.Settings settings;

  @BeforeAll
  static void startFounder() throws Exception {
    sim = SimulatedNodes.sharedPerJvm();
    genesis = sim.genesis(g -> g);
    founder = sim.node(Instant.now());
    openReplica();
    port = freePort();
    settings = new RaftConsensus.Settings(dir.resolve("raft"), "127.0.0.1", port, Duration.ofMillis(150),
        Duration.ofMillis(300));
    consensus = RaftConsensus.start(settings, founder.identity(), replica, Set.of(), true, Clock.systemUTC());
    assertThat(awaitTrue(consensus::isLeader)).as("founder became leader").isTrue();

    ApplyResult init = submit(Proposal.newBuilder().setInitCluster(founder.init(genesis, "127.0.0.1:" + port)).build());
    assertThat(init.getInit().getAccepted()).as(init.getInit().getReason()).isTrue();
    ApplyResult epoch = submit(Proposal.newBuilder().setKeyEpoch(
        KeyEpochs.propose(replica.view(), null, Hashes.sha256(Hashes.utf8("fresh 1")))).build());
    assertThat(epoch.getKeyEpoch().getAccepted()).as(epoch.getKeyEpoch().getReason()).isTrue();
  }

  /** Opens the founder's state store and a Replica over it with an empty keyring, as a (re)starting node does. */
  private static void openReplica() throws Exception {
    store = RocksDbStateStore.open(dir.resolve("state"), Hashes.sha256(Hashes.utf8("storage secret")));
    replica = new Replica(store, genesis.clusterId(), founder.id(), founder.kem(), new AttestationVerifier(),
        new EpochKeyring(), new AppHost(List.of(new KvApp())));
  }

  @AfterAll
  static void stop() throws Exception {
    if (consensus != null) {
      consensus.close();
    }
    if (store != null) {
      store.close();
    }
  }

  private static ApplyResult submit(Proposal proposal) throws Exception {
    return consensus.submit(proposal).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Polls {@code condition} every 20 ms for at most WAIT_SECONDS. */
  private static boolean awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return condition.getAsBoolean();
  }


  private static KvResponse kv(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    EventResult eventResult = open(result, sealed);
    assertThat(eventResult.getStatus()).as(eventResult.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(eventResult.getResponse());
  }

  @Test
  @Order(1)
  void nonAdmittedRaftClientCannotGetAnEntryApplied() throws Exception {
    // A Raft client presenting a certificate of no admitted member fails, and nothing it sent is ever applied.
    NodeIdentity stranger = NodeIdentity.generate(Instant.now());
    long appliedBefore = replica.appliedIndex();
    EventSealing.ClientSealed intrusion = sealKv(replica.view(), genesis.clusterId(), put("intruder", "was here"));
    Throwable failure;
    try (RaftClient client = clientPresenting(stranger)) {
      Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(event(intrusion).toByteArray()));
      failure = catchThrowable(() -> client.async().send(message).get(WAIT_SECONDS, TimeUnit.SECONDS));
    }
    assertThat(failure).as("the stranger's request fails").isNotNull()
        .isNotInstanceOf(java.util.concurrent.TimeoutException.class);
    java.io.StringWriter trace = new java.io.StringWriter();
    failure.printStackTrace(new java.io.PrintWriter(trace));
    assertThat(trace.toString().toLowerCase(java.util.Locale.ROOT)).as("the failure is the TLS handshake").contains("ssl");
    assertThat(replica.appliedIndex()).isEqualTo(appliedBefore);

    // The founder's own next entry applies, and the intruder's put was never applied: its key does not exist.
    EventSealing.ClientSealed check = sealKv(replica.view(), genesis.clusterId(), get("intruder"));
    ApplyResult result = submit(event(check));
    assertThat(kv(result, check).getFound()).isFalse();
    assertThat(result.getSealedResponse().getLogIndex()).isEqualTo(replica.appliedIndex());
  }

  @Test
  @Order(2)
  void theSameRaftClientPresentingTheFounderIdentityIsServed() throws Exception {
    // Control for the test above: the identical client setup with an admitted certificate gets its entry applied.
    EventSealing.ClientSealed write = sealKv(replica.view(), genesis.clusterId(), put("via-test-client", "ok"));
    RaftClientReply reply;
    try (RaftClient client = clientPresenting(founder.identity())) {
      reply = client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(event(write).toByteArray())))
          .get(WAIT_SECONDS, TimeUnit.SECONDS);
    }
    assertThat(reply.isSuccess()).as("%s", reply).isTrue();
    ApplyResult result = ApplyResult.parseFrom(reply.getMessage().getContent().toByteArray());
    assertThat(kv(result, write).getFound()).isFalse();
    assertThat(replica.appliedIndex()).isEqualTo(result.getSealedResponse().getLogIndex());
  }

  /** A Raft client into the founder's group presenting {@code identity}, trusting any server, with bounded retries. */
  private static RaftClient clientPresenting(NodeIdentity identity) {
    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
    Parameters parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(identity.keyManager(), RaftTestCluster.TRUST_ANY, true));
    return RaftClient.newBuilder()
        .setClientId(ClientId.randomId())
        .setRaftGroup(RaftGroup.valueOf(RaftIds.groupId(genesis.clusterId()),
            RaftIds.peer(founder.id(), "127.0.0.1:" + port)))
        .setProperties(properties)
        .setParameters(parameters)
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(3,
            TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
        .build();
  }

  @Test
  @Order(3)
  void founderOwnSubmitsAreApplied() throws Exception {
    // The founder's own client, presenting its admitted identity, gets entries committed and applied.
    long appliedBefore = replica.appliedIndex();
    EventSealing.ClientSealed write = sealKv(replica.view(), genesis.clusterId(), put("colour", "green"));
    ApplyResult written = submit(event(write));
    assertThat(kv(written, write).getFound()).isFalse();
    EventSealing.ClientSealed read = sealKv(replica.view(), genesis.clusterId(), get("colour"));
    ApplyResult got = submit(event(read));
    assertThat(kv(got, read).getValue().toStringUtf8()).isEqualTo("green");
    // Ratis interleaves its own entries (commit metadata), so indexes grow by at least one per submit.
    assertThat(written.getSealedResponse().getLogIndex()).isGreaterThan(appliedBefore);
    assertThat(got.getSealedResponse().getLogIndex()).isGreaterThan(written.getSealedResponse().getLogIndex());
    assertThat(replica.appliedIndex()).isEqualTo(got.getSealedResponse().getLogIndex());
  }

  @Test
  @Order(4)
  void oversizedProposalNeverReachesTheLog() throws Exception {
    // A proposal over PROPOSAL_BYTES_MAX is refused by the leader before it is logged, and the group keeps serving.
    long appliedBefore = replica.appliedIndex();
    SealedRequest huge = sealKv(replica.view(), genesis.clusterId(), put("big", "x")).request().toBuilder()
        .setCiphertext(ByteString.copyFrom(new byte[Limits.PROPOSAL_BYTES_MAX + 1])).build();
    Throwable refused = catchThrowable(() -> submit(Proposal.newBuilder().setClientEvent(huge).build()));
    assertThat(refused).isNotNull().isNotInstanceOf(java.util.concurrent.TimeoutException.class)
        .hasStackTraceContaining("more than " + Limits.PROPOSAL_BYTES_MAX);
    assertThat(replica.appliedIndex()).isEqualTo(appliedBefore);
    EventSealing.ClientSealed read = sealKv(replica.view(), genesis.clusterId(), get("colour"));
    assertThat(kv(submit(event(read)), read).getValue().toStringUtf8()).isEqualTo("green");
  }

  @Test
  @Order(5)
  void rawTlsWithANonAdmittedCertificateIsRefused() throws Exception {
    // A TLS connection to the Raft port presenting a non-admitted certificate fails; the founder's own certificate gets an HTTP/2 answer.
    assertThat(speaksHttp2(founder.identity())).as("admitted identity gets HTTP/2 settings back").isTrue();
    NodeIdentity stranger = NodeIdentity.generate(Instant.now());
    assertThat(speaksHttp2(stranger)).as("non-admitted identity is cut off").isFalse();
  }

  /**
   * Connects with {@code identity} as the TLS client certificate, sends the HTTP/2 preface and reads.
   * True when the server answered; false when the handshake failed or the connection was closed.
   */
  private static boolean speaksHttp2(NodeIdentity identity) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(new KeyManager[] {identity.keyManager()}, new TrustManager[] {RaftTestCluster.TRUST_ANY}, null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TimeUnit.SECONDS.toMillis(10));
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setApplicationProtocols(new String[] {"h2"});
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // An empty SETTINGS frame: length 0, type 4, flags 0, stream 0.
      out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] frameHeader = new byte[9];
      int read = in.readNBytes(frameHeader, 0, frameHeader.length);
      // The server's first frame must be SETTINGS (type 4).
      return read == frameHeader.length && frameHeader[3] == 4;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  @Order(6)
  void joinerCanConnectOnceItsAdmissionIsApplied() throws Exception {
    // The trust set is read at every handshake: a joiner is cut off before its AdmitNode entry applies and let in after.
    Node joiner = sim.node(Instant.now());
    assertThat(speaksHttp2(joiner.identity())).as("joiner before admission").isFalse();
    ApplyResult admitted = submit(Proposal.newBuilder().setAdmitNode(AdmitNode.newBuilder()
        .setRequest(joiner.joinThrough(founder, genesis.clusterId(), "it-join", System.currentTimeMillis()))).build());
    assertThat(admitted.getAdmit().getAdmitted()).as(admitted.getAdmit().getReason()).isTrue();
    assertThat(replica.view().memberIds()).contains(joiner.id());
    assertThat(speaksHttp2(joiner.identity())).as("joiner after admission").isTrue();
  }

  @Test
  @Order(7)
  void restartRecoversTheGroupAndTheState() throws Exception {
    // A founder restarted over its own Raft storage and state store recovers its group, keeps its data and serves again.
    long applied = replica.appliedIndex();
    MembershipView before = replica.view();
    consensus.close();
    store.close();
    openReplica();
    assertThat(replica.appliedIndex()).isEqualTo(applied);
    assertThat(replica.view().toSnapshot()).isEqualTo(before.toSnapshot());
    consensus = RaftConsensus.start(settings, founder.identity(), replica, Set.of(), true, Clock.systemUTC());
    assertThat(awaitTrue(consensus::isLeader)).as("restarted founder became leader").isTrue();

    EventSealing.ClientSealed read = sealKv(replica.view(), genesis.clusterId(), get("colour"));
    ApplyResult result = submit(event(read));
    assertThat(kv(result, read).getValue().toStringUtf8()).isEqualTo("green");
    assertThat(result.getSealedResponse().getLogIndex()).isGreaterThan(applied);
    assertThat(replica.view().memberIds()).isEqualTo(before.memberIds());
    assertThat(replica.view().epoch()).isEqualTo(before.epoch());
    assertThat(replica.view().lastLeaderTimeMs()).isGreaterThanOrEqualTo(before.lastLeaderTimeMs());
  }

  @Test
  @Order(8)
  void haltedReplicaAppliesNothingAfterTheFailedEntry() throws Exception {
    // After an entry halts the replica (its wrap does not open), Ratis's next entry is not applied on the incomplete state.
    KeyEpoch next = KeyEpochs.propose(replica.view(), replica.keyring().get(1).orElseThrow(),
        Hashes.sha256(Hashes.utf8("fresh 2")));
    int mine = next.getWrapsList().stream().map(HpkeWrap::getNodeId).toList().indexOf(founder.id());
    HpkeWrap wrap = next.getWraps(mine);
    byte[] ciphertext = wrap.getCiphertext().toByteArray();
    ciphertext[0] ^= 1;
    KeyEpoch corrupted = next.toBuilder()
        .setWraps(mine, wrap.toBuilder().setCiphertext(ByteString.copyFrom(ciphertext))).build();
    long appliedBefore = replica.appliedIndex();
    Throwable halted = catchThrowable(() -> submit(Proposal.newBuilder().setKeyEpoch(corrupted).build()));
    assertThat(halted).isNotNull().isNotInstanceOf(java.util.concurrent.TimeoutException.class);
    assertThat(replica.view().epoch()).isEqualTo(1);

    EventSealing.ClientSealed write = sealKv(replica.view(), genesis.clusterId(), put("after-halt", "diverged"));
    Throwable refused = catchThrowable(() -> submit(event(write)));
    assertThat(refused).as("an entry after the halt must not be applied").isNotNull()
        .isNotInstanceOf(java.util.concurrent.TimeoutException.class);
    assertThat(replica.appliedIndex()).isEqualTo(appliedBefore);
  }
}
