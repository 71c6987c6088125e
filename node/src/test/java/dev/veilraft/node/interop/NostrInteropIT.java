package dev.veilraft.node.interop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.node.demo.DiskScan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * nostr-tools from the npm registry (pinned in src/test/interop/package-lock.json) against a
 * three-node cluster's relay: the NIP-11 document, an event published through one node arriving
 * live on a subscription at another, REQ filters (authors, kinds, #e/#p/#t, ids, since/until,
 * limit, several filters) answered alike by both nodes, and events with a bad signature or a bad id
 * refused with OK false and an "invalid:" reason.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NostrInteropIT {
  private static final int NODES = 3;
  private static final int NIP_DELETION = 9;
  private static final Duration SCRIPT_RUN_TIMEOUT = Duration.ofMinutes(2);
  private static final Duration PROCESS_TIMEOUT = SCRIPT_RUN_TIMEOUT.plusSeconds(30);
  /** Contents of notes the script publishes and the relay stores (see nostr-interop.mjs). */
  private static final List<String> STORED_CONTENTS = List.of("hello from node A", "third note");
  private static final List<String> FILTERS = List.of("authors", "kinds", "#e", "#p", "#t", "ids", "since/until", "limit",
      "two filters", "no match");

  @TempDir
  static Path root;

  private NodeJs nodeJs;
  private InteropCluster cluster;

  private LogCapture logs;

  @BeforeAll
  void start() throws Exception {
    nodeJs = NodeJs.prepare();
    logs = LogCapture.attach();
    cluster = InteropCluster.start(root, NODES);
  }

  @AfterAll
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (logs != null) {
      logs.close();
    }
  }

  @Test
  void nostrToolsPublishesThroughOneNodeReceivesOnAnotherAndForgedEventsAreRefused() throws Exception {
    // The founder (usually the leader) is A (publishes), a joiner is B (subscribes); REQs run on both.
    ProcessRun run = nodeJs.run("nostr-interop.mjs", List.of(cluster.relayUrl(0), cluster.relayUrl(1)),
        Map.of("NOSTR_INTEROP_TIMEOUT_MS", Long.toString(SCRIPT_RUN_TIMEOUT.toMillis())), PROCESS_TIMEOUT);

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.passed()).as(run.describe()).startsWith("nip11", "connect", "live", "publish").endsWith("done")
        .contains("bad_signature", "bad_id");
    assertThat(run.steps("req")).extracting(s -> s.get("filter").asText()).containsExactlyElementsOf(FILTERS);
    assertThat(run.step("bad_signature").orElseThrow().get("reason").asText()).startsWith("invalid:");
    assertThat(run.step("bad_id").orElseThrow().get("reason").asText()).startsWith("invalid:");
    List<Integer> nips = new ArrayList<>();
    run.step("nip11").orElseThrow().get("supported_nips").forEach(nip -> nips.add(nip.asInt()));
    assertThat(nips).contains(1, 11);
    if (nips.contains(NIP_DELETION)) {
      assertThat(run.passed()).as("the relay lists NIP-09, so deletion is checked").contains("delete");
    }

    // The notes' contents went through consensus and into every member's store, as ciphertext only: no log line
    // and no file of any member (Raft log, state store, snapshots) holds them.
    List<Path> dataDirs = cluster.dataDirs();
    cluster.close();
    cluster = null;
    for (String content : STORED_CONTENTS) {
      assertThat(logs.containing(content)).as(content).isEmpty();
      assertThat(DiskScan.scan(dataDirs, Hashes.utf8(content)).hits()).as(content).isEmpty();
    }
  }
}
