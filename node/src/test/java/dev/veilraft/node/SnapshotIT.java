package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.demo.DiskScan;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Encrypted snapshots on 3 real nodes with a low threshold: the log is purged behind them, a
 * follower that missed purged entries and a brand-new member both catch up by snapshot install,
 * and no data directory holds plaintext.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotIT {
  private static final int NODES = 3;
  private static final int SNAPSHOT_THRESHOLD = 50;
  private static final String MARKER = "SNAPSHOT-PLAINTEXT-MARKER-";
  /**
   * Bound of every wait (never a timing assertion): on a loaded two-core machine a snapshot install
   * plus catch-up, or an election after a member stops, has taken more than 30 s.
   */
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir static Path root;

  private LocalCluster.Layout layout;
  private final List<NodeConfig> configs = new ArrayList<>();
  private final List<VeilraftNode> nodes = new ArrayList<>();
  private int written;

  @BeforeAll
  void startCluster() throws Exception {
    layout = TestClusters.create(root, NODES + 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    layout.nodes().forEach(c -> configs.add(c.withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD)));
    nodes.add(VeilraftNode.start(configs.get(0), Clock.systemUTC()));
    for (int i = 1; i < NODES; i++) {
      nodes.add(VeilraftNode.join(configs.get(i), api(0), Clock.systemUTC(), null));
    }
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == NODES, WAIT)).isTrue();
    }
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
  }

  private URI api(int node) {
    return URI.create("https://" + configs.get(node).api().address());
  }

  private VeilraftClient connect(int node) throws ClientException {
    return VeilraftClient.connect(api(node), layout.genesis().policy(), new AttestationVerifier(), Clock.systemUTC(),
        layout.genesis().clusterId());
  }

  private void write(VeilraftClient client, int count) throws Exception {
    for (int i = 0; i < count; i++, written++) {
      KvRequest put = KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder()
          .setKey(ByteString.copyFromUtf8(MARKER + "key-" + written))
          .setValue(ByteString.copyFromUtf8(MARKER + "value-" + written))).build();
      client.call(KvApp.NAME, put.toByteArray());
    }
  }

  /**
   * A linearizable read of key {@code i}, retried until the group answers within {@link #WAIT}: a
   * read refused while a leader is elected (or before a restarted member knows it) says nothing
   * about the data; the value it answers is what the test asserts.
   */
  private static String read(VeilraftClient client, int i) throws Exception {
    KvRequest get = KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder()
        .setKey(ByteString.copyFromUtf8(MARKER + "key-" + i))).build();
    java.util.concurrent.atomic.AtomicReference<String> value = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<Exception> lastError = new java.util.concurrent.atomic.AtomicReference<>();
    boolean answered = Await.until(() -> {
      try {
        value.set(KvResponse.parseFrom(client.query(KvApp.NAME, get.toByteArray())).getValue().toStringUtf8());
        return true;
      } catch (Exception electing) {
        lastError.set(electing);
        return false;
      }
    }, WAIT);
    assertThat(answered).as("a linearizable read of key %d is answered; last error: %s", i, lastError.get()).isTrue();
    return value.get();
  }

  private VeilraftNode leader() throws InterruptedException {
    assertThat(Await.until(() -> nodes.stream().anyMatch(n -> n.consensus().isLeader()), WAIT)).isTrue();
    return nodes.stream().filter(n -> n.consensus().isLeader()).findFirst().orElseThrow();
  }

  private static RaftConsensus.SnapshotStatus status(VeilraftNode node) {
    return node.consensus().snapshotStatus();
  }

  private static long snapshotFiles(VeilraftNode node) throws Exception {
    try (Stream<Path> files = Files.walk(node.dataDir().resolve("raft"))) {
      return files.filter(p -> p.getFileName().toString().matches("snapshot\\.\\d+_\\d+")).count();
    }
  }

  @Test
  @Order(1)
  void snapshotsAreTakenAndTheLogIsPurgedBelowThem() throws Exception {
    // Proves every member writes snapshot files and purges its Raft log up to a snapshot.
    write(connect(0), 300);
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> status(node).latestSnapshotIndex() >= 200 && status(node).logStartIndex() > 1, WAIT))
          .as("node %s snapshots and purges: %s", node.nodeId(), status(node)).isTrue();
      assertThat(snapshotFiles(node)).isBetween(1L, 2L);
      assertThat(status(node).logStartIndex()).isLessThanOrEqualTo(status(node).latestSnapshotIndex() + 1);
    }
  }

  @Test
  @Order(2)
  void aFollowerThatMissedPurgedEntriesCatchesUpBySnapshot() throws Exception {
    // Proves a restarted follower whose next entries were purged everywhere installs a snapshot and serves the data.
    VeilraftNode leader = leader();
    int index = nodes.get(1) == leader ? 2 : 1;
    VeilraftNode follower = nodes.get(index);
    long stoppedAt = follower.replica().appliedIndex();
    follower.close();
    int before = written;

    VeilraftClient client = connect(nodes.indexOf(leader));
    BooleanSupplier purgedPast = () -> {
      for (VeilraftNode n : nodes) {
        if (n != follower && status(n).logStartIndex() <= stoppedAt + 1) {
          return false;
        }
      }
      return true;
    };
    // Ratis purges whole closed log segments (64 KiB at this threshold), so how many writes it takes to purge past
    // the stopped follower most likely depends on how full the open segment was when it stopped: 150 were enough
    // in every CI run but one (session 19, not diagnosed further). Write on, in steps, until both live members
    // purged past it.
    write(client, 150);
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!Await.until(purgedPast, Duration.ofSeconds(2)) && System.nanoTime() < deadline) {
      write(client, 50);
    }
    assertThat(purgedPast.getAsBoolean()).as("the live members purged past %s: %s", stoppedAt,
        nodes.stream().filter(n -> n != follower).map(n -> String.valueOf(status(n))).toList()).isTrue();

    VeilraftNode restarted = VeilraftNode.start(configs.get(index), Clock.systemUTC());
    nodes.set(index, restarted);
    long target = leader.replica().appliedIndex();
    assertThat(Await.until(() -> restarted.replica().appliedIndex() >= target, WAIT)).isTrue();
    assertThat(status(restarted).snapshotsInstalled()).isGreaterThanOrEqualTo(1);

    VeilraftClient viaRestarted = connect(index);
    assertThat(read(viaRestarted, before + 10)).isEqualTo(MARKER + "value-" + (before + 10));
    assertThat(read(viaRestarted, 5)).isEqualTo(MARKER + "value-5");
    write(viaRestarted, 5);
    assertThat(read(viaRestarted, written - 1)).isEqualTo(MARKER + "value-" + (written - 1));
  }

  @Test
  @Order(3)
  void aNewMemberJoiningAfterPurgeCatchesUpBySnapshot() throws Exception {
    // Proves a member admitted after the log was purged installs a snapshot, then follows the log and serves reads.
    VeilraftNode joiner = VeilraftNode.join(configs.get(NODES), api(0), Clock.systemUTC(), null);
    nodes.add(joiner);
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().view().epoch() == NODES + 1, WAIT)).isTrue();
    }
    assertThat(status(joiner).snapshotsInstalled()).isGreaterThanOrEqualTo(1);
    VeilraftClient viaJoiner = connect(NODES);
    assertThat(read(viaJoiner, 7)).isEqualTo(MARKER + "value-7");
    write(viaJoiner, 60);
    assertThat(read(viaJoiner, written - 1)).isEqualTo(MARKER + "value-" + (written - 1));
    long target = leader().replica().appliedIndex();
    for (VeilraftNode node : nodes) {
      assertThat(Await.until(() -> node.replica().appliedIndex() >= target, WAIT)).isTrue();
    }
  }

  @Test
  @Order(4)
  void noDataDirectoryHoldsPlaintext() throws Exception {
    // Proves snapshots, logs and stores of every member hold none of the written keys or values.
    List<Path> dirs = configs.stream().map(NodeConfig::dataDir).filter(Files::isDirectory).toList();
    DiskScan.Result result = DiskScan.scan(dirs, MARKER.getBytes(StandardCharsets.UTF_8));
    assertThat(result.files()).isGreaterThan(10);
    assertThat(result.hits()).isEmpty();
  }

  @Test
  @Order(5)
  void aMemberWhoseRaftStorageIsGoneRefusesToStartAndCatchesUpOnceItIsBack() throws Exception {
    // Proves a member restarted without its Raft storage (its store kept) fails with RAFT_STORAGE_LOST instead of
    // starting with no term, vote or log, leaves its data directory as it was, and resumes once the storage is back.
    VeilraftNode leader = leader();
    int index = nodes.get(1) == leader ? 2 : 1;
    VeilraftNode member = nodes.get(index);
    Path raft = member.dataDir().resolve("raft");
    Path moved = member.dataDir().resolve("raft.moved");
    member.close();
    Files.move(raft, moved);

    NodeException refused = catchThrowableOfType(() -> VeilraftNode.start(configs.get(index), Clock.systemUTC()),
        NodeException.class);
    assertThat(refused).as("the start failed").isNotNull();
    assertThat(refused.code()).isEqualTo("RAFT_STORAGE_LOST");
    assertThat(refused.getMessage()).contains("has lost all of it", "put it back");
    assertThat(raft).as("nothing was formatted in its place").doesNotExist();

    Files.move(moved, raft);
    VeilraftNode restarted = VeilraftNode.start(configs.get(index), Clock.systemUTC());
    nodes.set(index, restarted);
    write(connect(nodes.indexOf(leader)), 5);
    long target = leader.replica().appliedIndex();
    assertThat(Await.until(() -> restarted.replica().appliedIndex() >= target, WAIT)).isTrue();
    assertThat(read(connect(index), written - 1)).isEqualTo(MARKER + "value-" + (written - 1));
  }
}
