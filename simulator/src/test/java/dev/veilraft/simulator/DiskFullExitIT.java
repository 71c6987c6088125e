package dev.veilraft.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.node.Await;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.simulator.cluster.DiskMounts;
import dev.veilraft.simulator.cluster.ProcessCluster;
import dev.veilraft.simulator.workload.ClientFactory;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node process whose disk fills ends itself with exit status 74 and a log line that names the
 * failed write, so that its supervisor restarts it; restarted once the disk has room, it serves
 * every write it acknowledged. A real node process from the shaded jar on a real tmpfs (the
 * simulator's disk fault), which needs root: outside CI the test is skipped with the reason, in
 * CI it fails without it.
 */
class DiskFullExitIT {
  /** Values large enough that the writes outgrow what RocksDB and Ratis preallocated before the disk filled. */
  private static final int VALUE_BYTES = 8192;
  private static final int WRITES_UNTIL_EXIT_MAX = 2000;
  private static final Duration EXIT_WAIT = Duration.ofSeconds(60);
  @TempDir Path root;

  @Test
  void aNodeWhoseDiskFillsEndsItsProcessAndResumesOnceTheDiskHasRoom() throws Exception {
    // Proves the process contract of a disk failure: exit status 74, a log line saying why and what to do, and a
    // restart from the same disk that holds every acknowledged write.
    requireRoot();
    Map<String, String> acknowledged = new LinkedHashMap<>();
    try (ProcessCluster cluster = ProcessCluster.create(root.resolve("cluster"), 1, 0, SimulateIT.SHADED_JAR, false, 1);
        ClientFactory clients = new ClientFactory(cluster)) {
      cluster.enableDiskFaults();
      cluster.startAll();
      VeilraftClient client = clients.connect(0);
      for (int i = 0; i < 5; i++) {
        client.call(KvApp.NAME, KvRequests.put("k" + i, "v" + i).toByteArray());
        acknowledged.put("k" + i, "v" + i);
      }

      cluster.fillDisk(0);
      String filler = "v".repeat(VALUE_BYTES);
      for (int i = 5; i < 5 + WRITES_UNTIL_EXIT_MAX && cluster.running(0); i++) {
        try {
          client.call(KvApp.NAME, KvRequests.put("k" + i, i + filler).toByteArray());
          acknowledged.put("k" + i, i + filler);
        } catch (Exception refused) {
          // The write that found the disk full, and any after it: not acknowledged.
        }
      }
      boolean ended = Await.until(() -> !cluster.running(0), EXIT_WAIT);
      String log = Files.readString(cluster.logOf(0));
      assertThat(ended).as("the node ended its process; its log:%n%s", log).isTrue();
      assertThat(cluster.exitStatus(0)).contains(VeilraftNode.DISK_FAILURE_EXIT_STATUS);
      assertThat(log).contains("disk failure: ").contains("No space left on device")
          .contains("with status " + VeilraftNode.DISK_FAILURE_EXIT_STATUS + " so that its supervisor restarts it");

      cluster.freeDisk(0);
      cluster.start(0);
      VeilraftClient reader = clients.connect(0);
      for (var e : acknowledged.entrySet()) {
        KvResponse read = KvResponse.parseFrom(reader.query(KvApp.NAME, KvRequests.get(e.getKey()).toByteArray()));
        assertThat(read.getValue().toStringUtf8()).as("acknowledged %s", e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  private void requireRoot() {
    Optional<String> unavailable = DiskMounts.unavailableReason(root);
    if (unavailable.isEmpty()) {
      return;
    }
    String ci = System.getenv("CI");
    if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
      fail(unavailable.get() + "; CI must run this test");
    }
    Assumptions.assumeTrue(false, unavailable.get());
  }
}
