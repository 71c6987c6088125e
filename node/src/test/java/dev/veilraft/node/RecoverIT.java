package dev.veilraft.node;

import static dev.veilraft.state.kv.KvRequests.get;
import static dev.veilraft.state.kv.KvRequests.put;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.CompressionType;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * A member whose state store the host damaged refuses to start with a clear error, and {@code
 * veilraft node recover} brings it back as the same member: its damaged store is quarantined,
 * it rebuilds from its own snapshot and log and from its peers, and it serves every acknowledged
 * write through a linearizable read, while the rest of the cluster keeps accepting writes. Each
 * node is its own JVM from the packaged jar, as an operator runs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RecoverIT {
  private static final int NODES = 3;
  private static final int VICTIM = 2;
  /**
   * Bound of a start, join or recover until READY (never a timing assertion): a recovery rebuilds
   * from a snapshot and catches up from its peers, which on a loaded two-core machine has taken
   * more than 90 s.
   */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
  /** How long one linearizable read may take to be answered while the group elects or the member catches up. */
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);
  private static final int SNAPSHOT_THRESHOLD = 30;
  private static final int FLIPPED_BYTES = 16;

  @TempDir static Path root;

  private Path jar;
  private LocalCluster.Layout layout;
  private final Process[] processes = new Process[NODES];
  /** Every key whose put was acknowledged, with the value it was acknowledged with. */
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
  private int nextKey;

  @BeforeAll
  void startCluster() throws Exception {
    jar = Path.of("target", "veilraft.jar").toAbsolutePath();
    assertThat(jar).as("the shaded jar is built in the package phase").exists();
    layout = TestClusters.create(root.resolve("cluster"), NODES, CodeMeasurement.ofJar(jar, List.of()));
    for (int i = 0; i < NODES; i++) {
      // Snapshots and log purges happen before the damage, so the recovery starts from a snapshot.
      Files.writeString(layout.configFiles().get(i),
          layout.nodes().get(i).withSnapshotThresholdEntries(SNAPSHOT_THRESHOLD).toYaml());
    }
    processes[0] = ready(launch(0, "start", "--config", config(0)));
    for (int i = 1; i < NODES; i++) {
      processes[i] = ready(launch(i, "join", "--config", config(i), "--peer", layout.api(0).toString()));
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

  private String config(int node) {
    return layout.configFiles().get(node).toString();
  }

  private Path dataDir(int node) {
    return layout.nodes().get(node).dataDir();
  }

  private record Launched(Process process, List<String> output, boolean ready) {}

  /** Runs {@code veilraft node <args>} and waits until it prints READY or FAILED, or exits. */
  private Launched launch(int node, String... args) throws Exception {
    Path log = root.resolve("node" + node + "-" + System.nanoTime() + ".log");
    List<String> command = NodeProcesses.command(jar, Arrays.asList(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Await.until(() -> lines(log).stream().anyMatch(l -> l.startsWith("READY ") || l.startsWith("FAILED "))
        || !process.isAlive(), START_TIMEOUT);
    boolean ready = lines(log).stream().anyMatch(l -> l.startsWith("READY "));
    if (!ready) {
      // A refusal prints FAILED and exits: wait for the exit so that its code can be checked.
      process.waitFor(30, TimeUnit.SECONDS);
    }
    return new Launched(process, lines(log), ready);
  }

  private static Process ready(Launched launched) {
    assertThat(launched.ready()).as("the node became READY; output:%n%s", String.join("\n", launched.output())).isTrue();
    return launched.process();
  }

  private static List<String> lines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      return List.of();
    }
  }

  private static String failure(Launched launched) {
    return launched.output().stream().filter(l -> l.startsWith("FAILED ")).findFirst().orElse("(no FAILED line) "
        + String.join("\n", launched.output()));
  }

  private void write(VeilraftClient client, int count) throws Exception {
    for (int i = 0; i < count; i++) {
      String key = "key-" + nextKey++;
      String value = "value-" + key;
      client.call(KvApp.NAME, put(key, value).toByteArray());
      acknowledged.put(key, value);
    }
  }

  /** SIGTERM: the node closes its Raft server and store cleanly. */
  private void stop(int node) throws InterruptedException {
    processes[node].destroy();
    assertThat(processes[node].waitFor(30, TimeUnit.SECONDS)).isTrue();
    processes[node] = null;
  }

  @Test
  @Order(1)
  void recoverRefusesARunningNodeAndAHealthyStoreAndChangesNothing() throws Exception {
    // Proves recover is no reflex: it refuses while the node runs and when the store verifies, leaving the data directory as it was.
    write(layout.connect(0), 40);
    Launched running = launch(VICTIM, "recover", "--config", config(VICTIM), "--no-start");
    assertThat(running.process().exitValue()).isEqualTo(1);
    assertThat(failure(running)).startsWith("FAILED NODE_RUNNING").contains("stop it first");

    stop(VICTIM);
    Launched healthy = launch(VICTIM, "recover", "--config", config(VICTIM), "--no-start");
    assertThat(healthy.process().exitValue()).isEqualTo(1);
    assertThat(failure(healthy)).startsWith("FAILED STATE_HEALTHY").contains("nothing to recover");
    assertThat(dataDir(VICTIM).resolve(Recovery.QUARANTINE_DIR)).doesNotExist();
    assertThat(dataDir(VICTIM).resolve(Recovery.MARKER_FILE)).doesNotExist();

    processes[VICTIM] = ready(launch(VICTIM, "start", "--config", config(VICTIM)));
  }

  @Test
  @Order(2)
  void aMemberWithAFlippedTableFileRefusesToStartThenRecoversFromItsPeers() throws Exception {
    // Proves the promise end to end: damage is detected and named, the member serves nothing wrong, and after recover it serves every acknowledged write without re-joining while the others kept working.
    VeilraftClient client = layout.connect(0);
    write(client, 80);
    stop(VICTIM);

    Path state = dataDir(VICTIM).resolve(Recovery.STATE_DIR);
    Path table = flipBytesInLargestTableFile(state);
    write(client, 40);

    Launched refused = launch(VICTIM, "start", "--config", config(VICTIM));
    assertThat(refused.process().isAlive()).isFalse();
    assertThat(refused.process().exitValue()).isEqualTo(1);
    assertThat(failure(refused)).startsWith("FAILED BAD_STATE").contains(state.toString())
        .contains("veilraft node recover");
    write(client, 20);

    AtomicBoolean stopWriting = new AtomicBoolean();
    List<Throwable> writerErrors = new ArrayList<>();
    Thread writer = new Thread(() -> {
      try {
        while (!stopWriting.get()) {
          write(client, 1);
        }
      } catch (Throwable e) {
        writerErrors.add(e);
      }
    }, "recover-it-writer");
    writer.start();
    Launched recovered = launch(VICTIM, "recover", "--config", config(VICTIM));
    processes[VICTIM] = ready(recovered);
    recovered.output().stream().filter(l -> l.startsWith("QUARANTINED ") || l.startsWith("rebuilding ")
        || l.contains("installed snapshot")).forEach(l -> System.out.println("RecoverIT: " + l));
    assertThat(recovered.output()).anyMatch(l -> l.startsWith("QUARANTINED ") && l.contains("damaged"));
    assertThat(recovered.output()).as("the node rebuilt from its own latest snapshot first")
        .anyMatch(l -> l.startsWith("rebuilding from the local snapshot at index "));
    assertThat(recovered.output()).as("the snapshot's epoch secret was found").noneMatch(l -> l.startsWith("WARNING "));
    stopWriting.set(true);
    writer.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(writerErrors).as("the cluster kept accepting writes during the recovery").isEmpty();

    Path quarantined;
    try (Stream<Path> stamps = Files.list(dataDir(VICTIM).resolve(Recovery.QUARANTINE_DIR))) {
      quarantined = stamps.findFirst().orElseThrow();
    }
    assertThat(quarantined.resolve(Recovery.STATE_DIR).resolve(table.getFileName())).as("the damaged file is kept")
        .exists();
    assertThat(quarantined.resolve("RECOVERY.txt")).exists();

    VeilraftClient viaRecovered = layout.connect(VICTIM);
    assertAllAcknowledgedThrough(viaRecovered);
    write(viaRecovered, 10);
    assertAllAcknowledgedThrough(viaRecovered);
  }

  /**
   * The host's move: open the store with RocksDB directly (which also writes what the write-ahead
   * log held into a table file), then flip bytes in the middle of the largest table file.
   */
  private static Path flipBytesInLargestTableFile(Path state) throws Exception {
    RocksDB.loadLibrary();
    try (Options options = new Options().setCompressionType(CompressionType.NO_COMPRESSION);
        RocksDB db = RocksDB.open(options, state.toString());
        FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush);
    }
    Path table;
    try (Stream<Path> files = Files.list(state)) {
      table = files.filter(f -> f.toString().endsWith(".sst")).max(Comparator.comparingLong(f -> f.toFile().length()))
          .orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(table);
    for (int i = 0; i < FLIPPED_BYTES; i++) {
      bytes[bytes.length / 2 + i] ^= 0x5a;
    }
    Files.write(table, bytes);
    System.out.println("RecoverIT: flipped " + FLIPPED_BYTES + " bytes in the middle of " + table.getFileName() + " ("
        + bytes.length + " bytes)");
    return table;
  }

  /**
   * Every acknowledged write is read back linearizably. Each read is retried until answered (a
   * read refused while the member catches up or the group elects says nothing about the data);
   * what it answers must be the acknowledged value.
   */
  private void assertAllAcknowledgedThrough(VeilraftClient reader) throws Exception {
    for (var entry : acknowledged.entrySet()) {
      AtomicReference<KvResponse> read = new AtomicReference<>();
      AtomicReference<Exception> lastError = new AtomicReference<>();
      boolean answered = Await.until(() -> {
        try {
          read.set(KvResponse.parseFrom(reader.query(KvApp.NAME, get(entry.getKey()).toByteArray())));
          return true;
        } catch (Exception catchingUp) {
          lastError.set(catchingUp);
          return false;
        }
      }, READ_TIMEOUT);
      assertThat(answered).as("the recovered member answers a linearizable read of %s; last error: %s", entry.getKey(),
          lastError.get()).isTrue();
      assertThat(read.get().getValue().toStringUtf8()).as("key %s", entry.getKey()).isEqualTo(entry.getValue());
    }
  }
}
