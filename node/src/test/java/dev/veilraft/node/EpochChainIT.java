package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.membership.proto.EpochHistory;
import dev.veilraft.membership.proto.EpochSecretEntry;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Key epochs across snapshots on 3 real nodes with a low snapshot threshold: a follower that was
 * down for two key rotations, whose entries were purged behind snapshots, catches up by
 * installing a snapshot through the epoch chain; secrets of epochs the snapshots cover are erased
 * from keyrings, stores and history files; and a member that joins after the erasure still
 * catches up.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EpochChainIT {
  private static final int NODES = 3;
  private static final int SNAPSHOT_THRESHOLD = 50;
  private static final String SECRETS_NAMESPACE = "node/epochs";
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path root;

  private LocalCluster.Layout layout;
  private final List<NodeConfig> configs = new ArrayList<>();
  private final List<VeilraftNode> nodes = new ArrayList<>();
  private int written;
  /** The epoch after the rotations the stopped follower missed. */
  private long rotatedTo;

  @BeforeAll
  void startCluster() throws Exception {
    layout = TestClusters.create(root, NODES + 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    layout.nodes().forEach(c -> configs.add(c.withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD)));
    nodes.add(VeilraftNode.start(configs.get(0), Clock.systemUTC()));
    for (int i = 1; i < NODES; i++) {
      nodes.add(VeilraftNode.join(configs.get(i), layout.api(0), Clock.systemUTC(), null));
    }
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == NODES, WAIT)).isTrue();
    }
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
  }

  private VeilraftClient connect(VeilraftNode node) throws Exception {
    return layout.connect(nodes.indexOf(node));
  }

  private void write(VeilraftClient client, int count) throws Exception {
    for (int i = 0; i < count; i++, written++) {
      KvRequest put = KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder()
          .setKey(ByteString.copyFromUtf8("key-" + written)).setValue(ByteString.copyFromUtf8("value-" + written)))
          .build();
      client.call(KvApp.NAME, put.toByteArray());
    }
  }

  /** A linearizable read (Ratis ReadIndex) through {@code client}'s node. */
  private static String read(VeilraftClient client, int i) throws Exception {
    KvRequest get = KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder()
        .setKey(ByteString.copyFromUtf8("key-" + i))).build();
    return KvResponse.parseFrom(client.query(KvApp.NAME, get.toByteArray())).getValue().toStringUtf8();
  }

  private VeilraftNode leader() throws InterruptedException {
    assertThat(Await.until(() -> nodes.stream().anyMatch(n -> n.consensus().isLeader()), WAIT)).isTrue();
    return nodes.stream().filter(n -> n.consensus().isLeader()).findFirst().orElseThrow();
  }

  private static RaftConsensus.SnapshotStatus status(VeilraftNode node) {
    return node.consensus().snapshotStatus();
  }

  private static List<Long> keyringEpochs(VeilraftNode node) {
    return node.replica().keyring().all().stream().map(EpochSecret::epoch).toList();
  }

  private static List<Long> storedEpochs(VeilraftNode node) throws Exception {
    List<Long> epochs = new ArrayList<>();
    for (long e = 1; e <= node.replica().view().epoch(); e++) {
      if (node.replica().store().get(SECRETS_NAMESPACE, Hashes.u64(e)).isPresent()) {
        epochs.add(e);
      }
    }
    return epochs;
  }

  private static List<Long> historyEpochs(VeilraftNode node) throws Exception {
    Optional<EpochHistory> history = node.historyFile().load();
    return history.map(h -> h.getSecretsList().stream().map(EpochSecretEntry::getEpoch).toList()).orElse(List.of());
  }

  @Test
  @Order(1)
  void aFollowerThatMissedTwoRotationsCatchesUpBySnapshotThroughTheChain() throws Exception {
    // Proves a follower holding only S_3 installs a snapshot sealed under S_5 by deriving S_4 and
    // S_5 from the header's chain, then serves linearizable reads and takes writes in epoch 5.
    VeilraftNode leader = leader();
    write(connect(leader), 60);
    int index = nodes.get(1) == leader ? 2 : 1;
    VeilraftNode follower = nodes.get(index);
    assertThat(Await.until(() -> follower.replica().appliedIndex() >= leader.replica().appliedIndex(), WAIT)).isTrue();
    long stoppedAt = follower.replica().appliedIndex();
    long stoppedEpoch = follower.replica().view().epoch();
    follower.close();

    leader.rotateKey();
    rotatedTo = leader.rotateKey();
    assertThat(rotatedTo).isEqualTo(stoppedEpoch + 2);
    long rotationIndex = leader.replica().view().epochIndex();
    int before = written;
    write(connect(leader), 3 * SNAPSHOT_THRESHOLD);
    assertThat(Await.until(() -> {
      for (VeilraftNode n : nodes) {
        if (n != follower && (status(n).logStartIndex() <= stoppedAt + 1
            || status(n).latestSnapshotIndex() <= rotationIndex)) {
          return false;
        }
      }
      return true;
    }, WAIT)).as("the live members snapshot after the rotations and purge past %s", stoppedAt).isTrue();

    assertThat(keyringEpochs(follower)).as("the stopped follower never saw the rotations")
        .doesNotContain(stoppedEpoch + 1, rotatedTo);
    long started = System.nanoTime();
    VeilraftNode restarted = VeilraftNode.start(configs.get(index), Clock.systemUTC());
    nodes.set(index, restarted);
    long target = leader.replica().appliedIndex();
    assertThat(Await.until(() -> restarted.replica().appliedIndex() >= target, WAIT)).isTrue();
    System.out.printf("EpochChainIT: follower caught up from index %d (epoch %d) to %d (epoch %d) in %d ms%n",
        stoppedAt, stoppedEpoch, restarted.replica().appliedIndex(), restarted.replica().view().epoch(),
        (System.nanoTime() - started) / 1_000_000);
    assertThat(status(restarted).snapshotsInstalled()).isGreaterThanOrEqualTo(1);
    assertThat(restarted.replica().view().epoch()).isEqualTo(rotatedTo);
    assertThat(keyringEpochs(restarted)).contains(rotatedTo);

    VeilraftClient viaRestarted = connect(restarted);
    assertThat(read(viaRestarted, before + 7)).isEqualTo("value-" + (before + 7));
    assertThat(read(viaRestarted, 3)).isEqualTo("value-3");
    write(viaRestarted, 5);
    assertThat(read(viaRestarted, written - 1)).isEqualTo("value-" + (written - 1));
  }

  @Test
  @Order(2)
  void snapshotsEraseTheSecretsOfTheEpochsTheyCover() throws Exception {
    // Proves that once two snapshots lie in the current epoch, every member holds no older epoch
    // secret in its keyring, its store or its history file, and still holds the current one.
    VeilraftNode leader = leader();
    long current = leader.replica().view().epoch();
    long rotationIndex = leader.replica().view().epochIndex();
    write(connect(leader), 2 * SNAPSHOT_THRESHOLD + 10);
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> status(node).latestSnapshotIndex() > rotationIndex + SNAPSHOT_THRESHOLD
          && keyringEpochs(node).equals(List.of(current)), WAIT))
          .as("node %s erased its old secrets: keyring %s, %s", node.nodeId(), keyringEpochs(node), status(node))
          .isTrue();
      assertThat(keyringEpochs(node)).doesNotContain(1L).containsExactly(current);
      assertThat(storedEpochs(node)).containsExactly(current);
      assertThat(historyEpochs(node)).allMatch(e -> e >= current);
    }
    assertThat(leader.replica().keyring().get(1)).as("the leader no longer holds epoch 1").isEmpty();
  }

  @Test
  @Order(3)
  void aMemberJoiningAfterTheErasureCatchesUpBySnapshot() throws Exception {
    // Proves a joiner that receives only the current epoch's secret as history installs the
    // leader's snapshot, follows the log into the epoch that includes it, and serves the old data.
    VeilraftNode leader = leader();
    long epoch = leader.replica().view().epoch();
    VeilraftNode joiner = VeilraftNode.join(configs.get(NODES), layout.api(nodes.indexOf(leader)), Clock.systemUTC(),
        null);
    nodes.add(joiner);
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == epoch + 1, WAIT)).isTrue();
    }
    assertThat(status(joiner).snapshotsInstalled()).isGreaterThanOrEqualTo(1);
    VeilraftClient viaJoiner = connect(joiner);
    assertThat(read(viaJoiner, 11)).isEqualTo("value-11");
    write(viaJoiner, 3);
    assertThat(read(viaJoiner, written - 1)).isEqualTo("value-" + (written - 1));
  }
}
