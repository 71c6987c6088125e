package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.veilraft.state.kv.KvRequests.get;
import static dev.veilraft.state.kv.KvRequests.put;

import com.google.protobuf.ByteString;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.ClusterDescriptions;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.SealedResponse;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvResponse;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** Linearizable and stale queries, and exactly-once requests retried across a leader change, on 3 real nodes. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadsAndRetriesIT {
  private static final int NODES = 3;

  @TempDir static Path root;

  private LocalCluster.Layout layout;
  private final List<VeilraftNode> nodes = new ArrayList<>();

  @BeforeAll
  void startCluster() throws Exception {
    layout = TestClusters.create(root, NODES, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
    for (int i = 1; i < NODES; i++) {
      // Each joins through the newest member, so joining through a follower is exercised too.
      nodes.add(VeilraftNode.join(layout.nodes().get(i), api(i - 1), Clock.systemUTC(), null));
    }
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == NODES, Duration.ofSeconds(30))).isTrue();
    }
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
  }

  private URI api(int node) {
    return layout.api(node);
  }

  private VeilraftClient connect(int node) throws ClientException {
    return layout.connect(node);
  }

  @Test
  @Order(1)
  void aLinearizableQueryOnAnyNodeSeesEveryAcknowledgedWrite() throws Exception {
    // Proves a write acknowledged through one node is seen at once by a query through each other node.
    VeilraftClient writer = connect(0);
    for (int i = 0; i < 5; i++) {
      writer.call(KvApp.NAME, put("lin-" + i, "v" + i).toByteArray());
      for (int node = 1; node < NODES; node++) {
        KvResponse read = KvResponse.parseFrom(connect(node).query(KvApp.NAME, get("lin-" + i).toByteArray()));
        assertThat(read.getValue().toStringUtf8()).isEqualTo("v" + i);
      }
    }
  }

  @Test
  @Order(2)
  void aStaleQueryIsAnsweredByTheLocalReplicaAndWritesAreNotQueries() throws Exception {
    // Proves a stale query reads the local replica (which catches up), and a write sent as a query is refused.
    VeilraftClient reader = connect(2);
    connect(0).call(KvApp.NAME, put("stale", "eventually").toByteArray());

    assertThat(Await.until(() -> {
      try {
        return KvResponse.parseFrom(reader.queryAsync(KvApp.NAME, get("stale").toByteArray(), true).join())
            .getValue().toStringUtf8().equals("eventually");
      } catch (Exception e) {
        return false;
      }
    }, Duration.ofSeconds(10))).isTrue();
    assertThatThrownBy(() -> reader.query(KvApp.NAME, put("stale", "no").toByteArray()))
        .isInstanceOf(ClientException.class).hasMessageContaining("kv queries are gets");
  }

  @Test
  @Order(3)
  void aClientSessionReKeysAfterAKeyRotationAndKeepsWritingAndReading() throws Exception {
    // Proves the SDK's sealing session of an old epoch is refused (UNKNOWN_EPOCH) after a rotation, and the client
    // re-keys (a new session of the new epoch) and carries on; newSession() starts another one on request.
    VeilraftClient client = connect(1);
    long before = client.cluster().body().getEpoch();
    client.call(KvApp.NAME, put("session-a", "1").toByteArray());
    assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, get("session-a").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("1");
    assertThat(client.sessionsStarted()).isEqualTo(1);
    assertThat(client.epochRefusals()).isZero();

    long rotated = nodes.get(0).rotateKey();
    assertThat(rotated).isEqualTo(before + 1);
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == rotated, Duration.ofSeconds(30))).isTrue();
    }

    client.call(KvApp.NAME, put("session-b", "2").toByteArray());
    assertThat(client.epochRefusals()).as("the old epoch's session was refused").isEqualTo(1);
    assertThat(client.sessionsStarted()).as("one re-key, to the new epoch").isEqualTo(2);
    assertThat(client.cluster().body().getEpoch()).isEqualTo(rotated);
    assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, get("session-a").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("1");
    assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, get("session-b").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("2");
    assertThat(nodes.get(1).replica().sessionKeys().hits()).isPositive();
    client.newSession();
    assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, get("session-b").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("2");
    assertThat(client.sessionsStarted()).isEqualTo(3);
    assertThat(client.epochRefusals()).isEqualTo(1);
  }

  @Test
  @Order(4)
  void requestsInFlightAcrossAKeyRotationAreRetriedAfterOneFetchOfTheDescription() throws Exception {
    // Proves that 24 events sealed to the old epoch and refused together (in bundles) are each re-sealed and
    // applied, while the client fetches and verifies the new description once (twice if an answer arrived while
    // it was still sending), not once per refused event.
    VeilraftClient client = connect(2);
    client.call(KvApp.NAME, put("rotation-warm", "0").toByteArray());
    long rotated = nodes.get(0).rotateKey();
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == rotated, Duration.ofSeconds(30))).isTrue();
    }
    long refreshesBefore = client.descriptionRefreshes();

    List<java.util.concurrent.CompletableFuture<byte[]>> answers = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      answers.add(client.callAsync(KvApp.NAME, put("rotation-" + i, "v" + i).toByteArray()));
    }
    for (java.util.concurrent.CompletableFuture<byte[]> answer : answers) {
      assertThat(KvResponse.parseFrom(answer.get(60, java.util.concurrent.TimeUnit.SECONDS)).getFound()).isFalse();
    }

    assertThat(client.epochRefusals()).as("events refused for the old epoch").isPositive();
    assertThat(client.descriptionRefreshes() - refreshesBefore).as("fetches of the description").isBetween(1L, 2L);
    assertThat(client.cluster().body().getEpoch()).isEqualTo(rotated);
    assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, get("rotation-23").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("v23");
  }

  @Test
  @Order(5)
  void concurrentWritesThroughOneNodeShareLogEntriesAndEachCallerGetsItsOwnAnswer() throws Exception {
    // Proves node-side grouping through the HTTPS API: 160 puts from 4 clients in flight at once through one node
    // all succeed with their own answer (a put's answer names the key's previous value), the node proposed them in
    // fewer entries than events, and every write is readable afterwards.
    int through = nodes.indexOf(nodes.stream().filter(n -> n.consensus().isLeader()).findFirst().orElseThrow());
    var before = nodes.get(through).consensus().eventGrouping();
    List<java.util.concurrent.CompletableFuture<byte[]>> answers = new ArrayList<>();
    List<VeilraftClient> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      clients.add(connect(through));
    }
    connect(through).call(KvApp.NAME, put("grouped-0-0", "previous").toByteArray());
    for (int i = 0; i < 40; i++) {
      for (int c = 0; c < clients.size(); c++) {
        answers.add(clients.get(c).callAsync(KvApp.NAME, put("grouped-" + c + "-" + i, "v" + c + "/" + i).toByteArray()));
      }
    }
    for (int k = 0; k < answers.size(); k++) {
      KvResponse answer = KvResponse.parseFrom(answers.get(k).get(60, java.util.concurrent.TimeUnit.SECONDS));
      assertThat(answer.getFound()).as("put %d", k).isEqualTo(k == 0);
    }
    assertThat(KvResponse.parseFrom(answers.get(0).join()).getValue().toStringUtf8()).isEqualTo("previous");
    // Each client keeps EventBundler.REQUESTS_IN_FLIGHT_MAX requests in flight, so most of its 40 puts waited and
    // shared HTTP requests (bundles) with others.
    for (VeilraftClient client : clients) {
      assertThat(client.eventBundlesSent()).as("bundles of one client").isPositive();
      assertThat(client.eventsBundled()).as("events in bundles").isGreaterThan(client.eventBundlesSent());
    }
    var after = nodes.get(through).consensus().eventGrouping();
    assertThat(after.events() - before.events()).isEqualTo(answers.size() + 1);
    assertThat(after.proposals() - before.proposals()).as("entries used").isLessThan(after.events() - before.events());
    for (int c = 0; c < clients.size(); c++) {
      KvResponse read = KvResponse.parseFrom(connect((through + 1) % NODES).query(KvApp.NAME,
          get("grouped-" + c + "-39").toByteArray()));
      assertThat(read.getValue().toStringUtf8()).isEqualTo("v" + c + "/39");
    }
  }

  @Test
  @Order(6)
  void aRequestRetriedAfterTheLeaderDiesIsAppliedOnce() throws Exception {
    // Proves the same (client id, sequence) sent again after a leader change returns the recorded result: a put
    // applied twice would report the first put's value as the previous one.
    VeilraftNode leader = nodes.stream().filter(n -> n.consensus().isLeader()).findFirst().orElseThrow();
    int survivor = nodes.indexOf(leader) == 0 ? 1 : 0;
    VeilraftClient client = connect(survivor);
    Event event = Event.newBuilder().setApp(KvApp.NAME).setRequest(put("once", "v1").toByteString())
        .setClientId(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("retrying client")))).setSequence(1)
        .setAcknowledged(1).build();

    KvResponse first = send(client.cluster(), api(survivor), event);
    leader.close();
    nodes.remove(leader);
    assertThat(Await.until(() -> nodes.stream().anyMatch(n -> n.consensus().isLeader()), Duration.ofSeconds(30)))
        .as("a new leader is elected").isTrue();
    KvResponse retried = send(client.cluster(), api(survivor), event);

    assertThat(first.getFound()).isFalse();
    assertThat(retried).isEqualTo(first);
    KvResponse read = KvResponse.parseFrom(client.query(KvApp.NAME, get("once").toByteArray()));
    assertThat(read.getValue().toStringUtf8()).isEqualTo("v1");
    // The SDK's own calls carry a fresh sequence each, and keep working after the leader change.
    assertThat(KvResponse.parseFrom(client.call(KvApp.NAME, put("once", "v2").toByteArray())).getValue()
        .toStringUtf8()).isEqualTo("v1");
  }

  /** Seals the event afresh (a new HPKE context, as a retrying client would) and posts it. */
  private static KvResponse send(ClusterDescriptions.Verified cluster, URI node, Event event) throws Exception {
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(cluster.body().getGroupPublicKey().toByteArray(),
        cluster.clusterId(), cluster.body().getEpoch(), event.toByteArray());
    NodeHttp http = new NodeHttp();
    http.pin(cluster.members().keySet());
    byte[] body = http.post(node.resolve("/v1/events"), sealed.request().toByteArray()).body();
    EventResult result = EventResult.parseFrom(EventSealing.openResponse(sealed.responseKey(),
        SealedResponse.parseFrom(body)));
    assertThat(result.getStatus()).as(result.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(result.getResponse());
  }
}
