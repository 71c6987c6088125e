package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.EventBundler;
import dev.veilraft.client.proto.EventBundle;
import dev.veilraft.client.proto.EventBundleAnswers;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.node.demo.DiskScan;
import dev.veilraft.node.demo.KvWorkload;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The flow of the demo with real Ratis servers, RocksDB and HTTPS in one JVM: a founder, two
 * joins by mutual attestation, rogue joins refused with their specific reasons, encrypted client
 * traffic, bad input refused while the cluster keeps serving, a restart, and no plaintext on disk.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
  private static final int NODES = 3;
  private static final int SPARE_CONFIGS = 3;

  @TempDir
  static Path root;

  private LocalCluster.Layout layout;
  private final List<VeilraftNode> nodes = new ArrayList<>();
  private VeilraftClient client;

  @BeforeAll
  void startCluster() throws Exception {
    layout = TestClusters.create(root, NODES + SPARE_CONFIGS, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
    for (int i = 1; i < NODES; i++) {
      nodes.add(VeilraftNode.join(layout.nodes().get(i), api(0), Clock.systemUTC(), null));
    }
    client = connect(1);
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
  }

  /** API of the node started from configuration {@code node} of the layout. */
  private URI api(int node) {
    return layout.api(node);
  }

  private VeilraftClient connect(int node) throws ClientException {
    return layout.connect(node);
  }

  @Test
  @Order(1)
  void everyNodeAgreesOnThreeVotingMembersAndEpochThree() throws Exception {
    // Two joins each rotated the key: epoch 3, the same members and key on every replica, all voters.
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == 3, Duration.ofSeconds(30))).isTrue();
      assertThat(node.replica().view().memberIds()).hasSize(3).isEqualTo(nodes.get(0).replica().view().memberIds());
      assertThat(node.replica().view().keyId()).isEqualTo(nodes.get(0).replica().view().keyId());
      assertThat(node.consensus().votingMembers()).hasSize(3);
      assertThat(node.replica().keyring().get(3)).isPresent();
    }
    assertThat(client.cluster().body().getEpoch()).isEqualTo(3);
    assertThat(client.cluster().members()).hasSize(3);
  }

  @Test
  @Order(2)
  void clientTalksToAFollowerAndEveryOperationRoundTrips() throws Exception {
    // A follower forwards sealed events to the leader; put, get, compare-and-set and delete behave.
    byte[] key = utf8("order-42");
    assertThat(kv(put(key, "pending")).getFound()).isFalse();
    assertThat(kv(get(key)).getValue().toStringUtf8()).isEqualTo("pending");
    KvResponse refused = kv(cas(key, "shipped", "paid"));
    assertThat(refused.getSwapped()).isFalse();
    assertThat(kv(cas(key, "pending", "paid")).getSwapped()).isTrue();
    assertThat(kv(get(key)).getValue().toStringUtf8()).isEqualTo("paid");
    assertThat(kv(KvRequest.newBuilder().setDelete(KvRequest.Delete.newBuilder().setKey(ByteString.copyFrom(key))).build())
        .getFound()).isTrue();
    assertThat(kv(get(key)).getFound()).isFalse();
  }

  @Test
  @Order(3)
  void nodeBuiltFromAlteredCodeIsRefusedWithItsMeasurement() throws Exception {
    // A joiner whose measurement is not in the policy is refused with MEASUREMENT_NOT_ALLOWED; nothing changes.
    NodeConfig rogue = layout.nodes().get(NODES);
    SimulatedSnpAttester altered = SimulatedSnpAttester.create(chip(rogue),
        CodeMeasurement.of(Hashes.sha384(utf8("altered code")), List.of()));
    assertThatThrownBy(() -> VeilraftNode.join(rogue, api(0), Clock.systemUTC(), altered))
        .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo("MEASUREMENT_NOT_ALLOWED"))
        .hasMessageContaining("is not in policy 'demo'");
    assertThat(nodes.get(0).replica().view().members()).hasSize(3);
    assertThat(kv(put(utf8("after-rogue"), "still serving")).getFound()).isFalse();
  }

  @Test
  @Order(4)
  void nodeLaunchedWithTheDebugPolicyIsRefused() throws Exception {
    // Right code, but a guest launched debuggable (policy bit 19) is refused with DEBUG_ENABLED.
    NodeConfig debug = layout.nodes().get(NODES + 1);
    SimulatedSnpAttester debuggable = SimulatedSnpAttester.builder(chip(debug),
        CodeMeasurement.ofRunningCode(VeilraftNode.class)).guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | (1L << 19))
        .build();
    assertThatThrownBy(() -> VeilraftNode.join(debug, api(1), Clock.systemUTC(), debuggable))
        .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo("DEBUG_ENABLED"));
    assertThat(nodes.get(1).replica().view().members()).hasSize(3);
  }

  @Test
  @Order(5)
  void badInputGetsSpecificErrorsAndTheClusterKeepsServing() throws Exception {
    // Garbage join messages, an event for an unknown epoch, one with a field this build does not
    // know and an oversized event each get a specific error; afterwards the cluster still serves.
    NodeHttp http = new NodeHttp();
    byte[] garbage = new byte[300];
    new Random(7).nextBytes(garbage);
    assertThatThrownBy(() -> http.post(api(0).resolve("/v1/join/request"), garbage))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("MALFORMED_REQUEST"));
    assertThatThrownBy(() -> http.post(api(0).resolve("/v1/join/hello"), new byte[0]))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("WRONG_CLUSTER"));
    assertThatThrownBy(() -> http.post(api(0).resolve("/v1/events"), garbage))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("MALFORMED_REQUEST"));
    assertThatThrownBy(() -> http.get(api(0).resolve("/v1/cluster?nonce=zz")))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("BAD_NONCE"));

    byte[] event = Event.newBuilder().setApp(KvApp.NAME).setRequest(get(utf8("k")).toByteString()).build().toByteArray();
    var staleEpoch = EventSealing.sealRequest(client.cluster().body().getGroupPublicKey().toByteArray(),
        layout.genesis().clusterId(), 99, event);
    assertThatThrownBy(() -> http.post(api(2).resolve("/v1/events"), staleEpoch.request().toByteArray()))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("UNKNOWN_EPOCH"))
        .hasMessageContaining("epoch 99").hasMessageContaining("current epoch is 3");

    // A field this build does not know would reach the proposal as is: refused before the log.
    var current = EventSealing.sealRequest(client.cluster().body().getGroupPublicKey().toByteArray(),
        layout.genesis().clusterId(), client.cluster().body().getEpoch(), event);
    byte[] withUnknownField = current.request().toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet
        .newBuilder().addField(6, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
        .build().toByteArray();
    assertThatThrownBy(() -> http.post(api(1).resolve("/v1/events"), withUnknownField))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("UNKNOWN_FIELDS"))
        .hasMessageContaining("[6]");

    byte[] big = new byte[70 * 1024];
    KvRequest oversized = KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder()
        .setKey(ByteString.copyFrom(utf8("big"))).setValue(ByteString.copyFrom(big))).build();
    assertThatThrownBy(() -> client.call(KvApp.NAME, oversized.toByteArray()))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("EVENT_TOO_LARGE"));

    assertThat(kv(put(utf8("after-bad-input"), "ok")).getFound()).isFalse();
  }

  @Test
  @Order(6)
  void aBundleIsAnsweredEventByEventAndOnlyAnUnreadableBundleIsRefusedWhole() throws Exception {
    // Proves POST /v1/events/bundle checks, proposes and answers each event as /v1/events would: a good put is
    // applied and its answer opens, and each bad event (old epoch, other cluster, unknown field) gets its own
    // refusal without failing its neighbours. A bundle that cannot be read, is empty or is too large is refused.
    NodeHttp http = new NodeHttp();
    var cluster = client.cluster();
    byte[] groupKey = cluster.body().getGroupPublicKey().toByteArray();
    long epoch = cluster.body().getEpoch();
    byte[] putEvent = Event.newBuilder().setApp(KvApp.NAME).setRequest(put(utf8("bundled"), "in a bundle").toByteString())
        .build().toByteArray();
    var good = EventSealing.sealRequest(groupKey, layout.genesis().clusterId(), epoch, putEvent);
    var staleEpoch = EventSealing.sealRequest(groupKey, layout.genesis().clusterId(), 99, putEvent);
    var otherCluster = EventSealing.sealRequest(groupKey, Hashes.sha256(utf8("another cluster")), epoch, putEvent);
    var unknownField = EventSealing.sealRequest(groupKey, layout.genesis().clusterId(), epoch, putEvent).request()
        .toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder().addField(6,
            com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build()).build();
    EventBundle bundle = EventBundle.newBuilder().addEvents(staleEpoch.request()).addEvents(good.request())
        .addEvents(otherCluster.request()).addEvents(unknownField).build();

    EventBundleAnswers answers = EventBundleAnswers.parseFrom(http.post(api(1).resolve(EventBundler.PATH),
        bundle.toByteArray()).body());

    assertThat(answers.getAnswersList()).extracting(a -> a.hasError() ? a.getError().getCode() : "answered")
        .containsExactly("UNKNOWN_EPOCH", "answered", "WRONG_CLUSTER", "UNKNOWN_FIELDS");
    assertThat(answers.getAnswers(0).getError().getMessage()).contains("epoch 99");
    EventResult applied = EventResult.parseFrom(EventSealing.openResponse(good.responseKey(),
        answers.getAnswers(1).getSealedResponse()));
    assertThat(applied.getStatus()).isEqualTo(EventResult.Status.OK);
    assertThat(KvResponse.parseFrom(applied.getResponse()).getFound()).isFalse();
    assertThat(kv(get(utf8("bundled"))).getValue().toStringUtf8()).isEqualTo("in a bundle");

    byte[] garbage = new byte[300];
    new Random(8).nextBytes(garbage);
    assertThatThrownBy(() -> http.post(api(0).resolve(EventBundler.PATH), garbage))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("MALFORMED_REQUEST"))
        .hasMessageContaining("EventBundle");
    assertThatThrownBy(() -> http.post(api(0).resolve(EventBundler.PATH), new byte[0]))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("EMPTY_BUNDLE"));
    EventBundle.Builder tooMany = EventBundle.newBuilder();
    for (int i = 0; i <= EventBundler.EVENTS_MAX; i++) {
      tooMany.addEvents(staleEpoch.request());
    }
    assertThatThrownBy(() -> http.post(api(0).resolve(EventBundler.PATH), tooMany.build().toByteArray()))
        .isInstanceOfSatisfying(ClientException.class, e -> assertThat(e.code()).isEqualTo("BUNDLE_TOO_LARGE"))
        .hasMessageContaining((EventBundler.EVENTS_MAX + 1) + " events");
  }

  @Test
  @Order(7)
  void encryptedTrafficThroughEveryNodeReadsBackTheSameData() throws Exception {
    // Clients on every node see one history: writes through one node read back through the others.
    KvWorkload.Result result = KvWorkload.run(client, 200, 16);
    assertThat(result.operations()).isEqualTo(200);
    for (int node = 0; node < NODES; node++) {
      VeilraftClient other = connect(node);
      KvResponse read = KvResponse.parseFrom(other.call(KvApp.NAME, get(KvWorkload.key(7)).toByteArray()));
      assertThat(read.getValue().toByteArray()).isEqualTo(KvWorkload.value(7));
    }
  }

  @Test
  @Order(8)
  void joinerAdmittedButUnableToStartRaftResumesWhenRunAgain() throws Exception {
    // A joiner admitted before it could start Raft (here its port is taken) resumes at "start
    // Raft, ready" when run again, instead of joining anew (members would refuse ALREADY_MEMBER).
    NodeConfig fourth = layout.nodes().get(NODES + 2);
    try (java.net.ServerSocket taken = new java.net.ServerSocket(fourth.raft().port(), 1,
        java.net.InetAddress.getByName(fourth.raft().host()))) {
      assertThatThrownBy(() -> VeilraftNode.join(fourth, api(0), Clock.systemUTC(), null))
          .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo("RAFT_START_FAILED"));
    }
    assertThat(nodes.get(0).replica().view().members()).hasSize(4);
    VeilraftNode resumed = VeilraftNode.join(fourth, api(1), Clock.systemUTC(), null);
    nodes.add(resumed);
    assertThat(resumed.replica().view().epoch()).isEqualTo(4);
    assertThat(resumed.replica().view().members()).hasSize(4);
    assertThat(resumed.consensus().votingMembers()).hasSize(4);
    KvResponse read = KvResponse.parseFrom(connect(NODES + 2).call(KvApp.NAME, get(KvWorkload.key(3)).toByteArray()));
    assertThat(read.getValue().toByteArray()).isEqualTo(KvWorkload.value(3));
  }

  @Test
  @Order(9)
  void restartedMemberRecoversFromItsOwnDiskAndServes() throws Exception {
    // A member stopped and started again unseals its keys, replays its log and serves the same data.
    VeilraftNode third = nodes.stream().filter(n -> n.config().equals(layout.nodes().get(2))).findFirst().orElseThrow();
    nodes.remove(third);
    long applied = third.replica().appliedIndex();
    third.close();
    VeilraftNode restarted = VeilraftNode.start(layout.nodes().get(2), Clock.systemUTC());
    nodes.add(restarted);
    assertThat(restarted.replica().appliedIndex()).isGreaterThanOrEqualTo(applied);
    assertThat(restarted.replica().view().epoch()).isEqualTo(4);
    KvResponse read = KvResponse.parseFrom(connect(2).call(KvApp.NAME, get(KvWorkload.key(9)).toByteArray()));
    assertThat(read.getValue().toByteArray()).isEqualTo(KvWorkload.value(9));
  }

  @Test
  @Order(10)
  void noPlaintextKeyOrValueReachesAnyDataDirectory() throws Exception {
    // After the nodes stop, no key or value any client sent appears in any file under their data directories.
    nodes.forEach(VeilraftNode::close);
    List<Path> dirs = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      dirs.add(layout.nodes().get(i).dataDir());
    }
    dirs.add(layout.nodes().get(NODES + 2).dataDir());
    DiskScan.Result scan = DiskScan.scan(dirs, utf8(KvWorkload.MARKER));
    assertThat(scan.files()).isGreaterThan(10);
    assertThat(scan.hits()).isEmpty();
    assertThat(DiskScan.scan(dirs, utf8("order-42")).hits()).isEmpty();
    assertThat(DiskScan.scan(dirs, utf8("still serving")).hits()).isEmpty();
  }

  private SimulatedSnpChip chip(NodeConfig config) throws Exception {
    return SimulatedSnpChip.openOrCreate(config.dataDir().resolve("simulated-chip"),
        SimulatedSnpVendor.openOrCreate(layout.vendorDir()));
  }

  private KvResponse kv(KvRequest request) throws Exception {
    return KvResponse.parseFrom(client.call(KvApp.NAME, request.toByteArray()));
  }

  private static KvRequest put(byte[] key, String value) {
    return KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder().setKey(ByteString.copyFrom(key))
        .setValue(ByteString.copyFromUtf8(value))).build();
  }

  private static KvRequest get(byte[] key) {
    return KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder().setKey(ByteString.copyFrom(key))).build();
  }

  private static KvRequest cas(byte[] key, String expected, String next) {
    return KvRequest.newBuilder().setCompareAndSet(KvRequest.CompareAndSet.newBuilder().setKey(ByteString.copyFrom(key))
        .setExpectedValue(ByteString.copyFromUtf8(expected)).setNewValue(ByteString.copyFromUtf8(next))).build();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

}
