package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.veilraft.state.kv.KvRequests.get;
import static dev.veilraft.state.kv.KvRequests.put;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.demo.DiskScan;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash faults on real processes: each node is its own JVM from the packaged jar, killed with
 * SIGKILL while a client keeps writing. Every acknowledged write must survive a killed follower,
 * a killed leader, and all members killed at once, with snapshots and log purges along the way;
 * and no plaintext may reach the disks.
 * Which nodes are killed and when comes from a seed, printed so a failure can be replayed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KillRestartIT {
  private static final int NODES = 3;
  /** Bound of a start or join until READY (never a timing assertion); a loaded two-core machine has needed more than 90 s. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  private static final String MARKER = "kill-restart-secret-";
  private static final int SNAPSHOT_THRESHOLD = 30;
  /**
   * How long one linearizable read may take to be answered: on a loaded machine a restarted group
   * can hold more than one election (each needs a timeout, a vote round and the new leader's first
   * commit) after the first read already succeeded, and a read during one fails "leader unknown".
   */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

  @TempDir static Path root;

  private final long seed = Long.getLong("veilraft.kill.seed", System.nanoTime());
  private final Random random = new Random(seed);
  private Path jar;
  private LocalCluster.Layout layout;
  private final Process[] processes = new Process[NODES];
  /** Every key whose put was acknowledged, with the value it was acknowledged with. */
  private final ConcurrentHashMap<String, String> acknowledged = new ConcurrentHashMap<>();
  private int nextKey;

  @BeforeAll
  void startCluster() throws Exception {
    System.out.println("KillRestartIT seed " + seed + " (replay: mvn -B verify -pl node -Dit.test=KillRestartIT "
        + "-DargLine=-Dveilraft.kill.seed=" + seed + ")");
    jar = Path.of("target", "veilraft.jar").toAbsolutePath();
    assertThat(jar).as("the shaded jar is built in the package phase").exists();
    layout = TestClusters.create(root.resolve("cluster"), NODES, CodeMeasurement.ofJar(jar, List.of()));
    for (int i = 0; i < NODES; i++) {
      // Snapshots and log purges happen during the faults too, so restarts also recover from snapshots.
      Files.writeString(layout.configFiles().get(i),
          layout.nodes().get(i).withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD).toYaml());
    }
    launch(0, null);
    for (int i = 1; i < NODES; i++) {
      launch(i, api(0));
    }
  }

  @AfterAll
  void stopCluster() {
    for (Process process : processes) {
      if (process != null) {
        process.destroyForcibly();
      }
    }
  }

  private URI api(int node) {
    return layout.api(node);
  }

  /** Starts node {@code i}: joining through {@code peer}, or from its own disk when peer is null. */
  private void launch(int i, URI peer) throws Exception {
    Path log = root.resolve("node" + i + "-" + System.nanoTime() + ".log");
    List<String> command = NodeProcesses.command(jar, peer == null
        ? List.of("start", "--config", layout.configFiles().get(i).toString())
        : List.of("join", "--config", layout.configFiles().get(i).toString(), "--peer", peer.toString()));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    processes[i] = process;
    boolean ready = Await.until(() -> lines(log).stream().anyMatch(l -> l.startsWith("READY ") || l.startsWith("FAILED "))
        || !process.isAlive(), START_TIMEOUT);
    List<String> output = lines(log);
    assertThat(ready && output.stream().anyMatch(l -> l.startsWith("READY ")))
        .as("node %d became READY; output:%n%s", i, String.join("\n", output)).isTrue();
  }

  private static List<String> lines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  /** SIGKILL: the JVM gets no chance to flush, close or say goodbye. */
  private void kill(int i) throws InterruptedException {
    processes[i].destroyForcibly();
    assertThat(processes[i].waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private VeilraftClient connect(int node) throws Exception {
    return layout.connect(node);
  }

  /**
   * Writes through {@code client} from another thread while {@code fault} runs; the writer
   * records only acknowledged puts (a put that failed may or may not have been applied).
   */
  private void writeWhile(VeilraftClient client, int writes, boolean clusterSurvives, Fault fault) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch started = new CountDownLatch(1);
    int first = nextKey;
    nextKey += writes;
    Thread writer = new Thread(() -> {
      for (int k = first; k < first + writes && !stop.get(); k++) {
        String key = "key-" + k;
        String value = MARKER + k;
        try {
          client.call(KvApp.NAME, put(key, value).toByteArray());
          acknowledged.put(key, value);
        } catch (Exception e) {
          // Outcome unknown: not counted as acknowledged.
        }
        if (k == first + 5) {
          started.countDown();
        }
      }
      started.countDown();
    }, "kill-restart-writer");
    writer.start();
    assertThat(started.await(60, TimeUnit.SECONDS)).as("writer made progress").isTrue();
    fault.run();
    if (!clusterSurvives) {
      // Nothing can be acknowledged any more; stop before the next request's retries.
      stop.set(true);
    }
    writer.join(TimeUnit.SECONDS.toMillis(120));
    stop.set(true);
    assertThat(writer.isAlive()).as("writer finished").isFalse();
  }

  private interface Fault {
    void run() throws Exception;
  }

  /**
   * Every acknowledged write is read back, linearizably, through {@code node}. Each read is retried
   * until the group answers it (a read refused while the group elects a leader says nothing about
   * the data); what it answers must be the acknowledged value.
   */
  private void assertAllAcknowledgedThrough(int node) throws Exception {
    VeilraftClient reader = connect(node);
    assertThat(acknowledged).isNotEmpty();
    for (var entry : acknowledged.entrySet()) {
      KvResponse read = readAnswered(reader, entry.getKey());
      assertThat(read.getValue().toStringUtf8()).as("key %s (seed %d)", entry.getKey(), seed).isEqualTo(entry.getValue());
    }
  }

  /** A linearizable read of {@code key}, retried until answered within {@link #READ_TIMEOUT}. */
  private KvResponse readAnswered(VeilraftClient reader, String key) throws Exception {
    java.util.concurrent.atomic.AtomicReference<KvResponse> answer = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<Exception> lastError = new java.util.concurrent.atomic.AtomicReference<>();
    boolean answered = Await.until(() -> {
      try {
        answer.set(KvResponse.parseFrom(reader.query(KvApp.NAME, get(key).toByteArray())));
        return true;
      } catch (Exception electing) {
        lastError.set(electing);
        return false;
      }
    }, READ_TIMEOUT);
    assertThat(answered).as("the cluster answers a linearizable read of %s within %s (seed %d); last error: %s", key,
        READ_TIMEOUT, seed, lastError.get()).isTrue();
    return answer.get();
  }

  @Test
  @Order(1)
  void aFollowerKilledMidWriteRestartsFromItsDiskAndServesEverything() throws Exception {
    // Proves a SIGKILLed member restarts from its own disk (unsealing its keys), catches up, and serves every
    // acknowledged write; no re-join is needed.
    int victim = 1 + random.nextInt(NODES - 1);
    VeilraftClient client = connect(0);
    writeWhile(client, 60, true, () -> kill(victim));
    launch(victim, null);
    assertAllAcknowledgedThrough(victim);
  }

  @Test
  @Order(2)
  void aTornLogSegmentOnAKilledFollowerIsRepairedFromThePeers() throws Exception {
    // Proves a follower whose open Raft log segment lost its tail (a torn write at the crash) restarts,
    // gets the missing entries from the leader, and serves every acknowledged write.
    int victim = 1 + random.nextInt(NODES - 1);
    writeWhile(connect(0), 40, true, () -> kill(victim));
    Path segment;
    try (var files = Files.walk(layout.nodes().get(victim).dataDir().resolve("raft"))) {
      segment = files.filter(f -> f.getFileName().toString().startsWith("log_inprogress_")).findFirst().orElseThrow();
    }
    long size = Files.size(segment);
    long cut = Math.min(size - 1, 1 + random.nextInt(200));
    try (var channel = java.nio.channels.FileChannel.open(segment, java.nio.file.StandardOpenOption.WRITE)) {
      channel.truncate(size - cut);
    }
    System.out.println("KillRestartIT: cut " + cut + " bytes off " + segment.getFileName() + " of node " + victim);
    launch(victim, null);
    assertAllAcknowledgedThrough(victim);
  }

  @Test
  @Order(3)
  void killingEveryMemberAtOnceLosesNoAcknowledgedWrite() throws Exception {
    // Proves a whole-cluster crash (all SIGKILLed during writes) comes back with every acknowledged write.
    VeilraftClient client = connect(random.nextInt(NODES));
    writeWhile(client, 60, false, () -> {
      for (int i = 0; i < NODES; i++) {
        kill(i);
      }
    });
    for (int i = 0; i < NODES; i++) {
      launch(i, null);
    }
    assertAllAcknowledgedThrough(random.nextInt(NODES));
  }

  @Test
  @Order(4)
  void noPlaintextReachesAnyDiskAfterCrashesAndRestarts() throws Exception {
    // Proves no acknowledged value (they all carry a marker) appears in any file of any data directory,
    // snapshots included.
    for (int i = 0; i < NODES; i++) {
      kill(i);
    }
    List<Path> dirs = new ArrayList<>();
    layout.nodes().forEach(n -> dirs.add(n.dataDir()));
    for (Path dir : dirs) {
      try (var files = Files.walk(dir.resolve("raft"))) {
        assertThat(files.map(f -> f.getFileName().toString()).filter(f -> f.startsWith("snapshot.")))
            .as("snapshots were taken in %s, so the scan covers them", dir).isNotEmpty();
      }
    }
    DiskScan.Result scan = DiskScan.scan(dirs, MARKER.getBytes(StandardCharsets.UTF_8));
    assertThat(scan.files()).isGreaterThan(10);
    assertThat(scan.hits()).isEmpty();
  }
}
