package dev.veilraft.node.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.InProcessCluster;
import dev.veilraft.node.TestClusters;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.node.demo.DiskScan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference clients other people use, from the npm registry (pinned in
 * src/test/interop/package-lock.json), against one three-node cluster in this JVM, through two
 * different nodes each:
 *
 * <ul>
 *   <li>the Cashu wallet @cashu/cashu-ts against the mint: keys, a mint quote paid by the fake
 *       Lightning backend, minting with DLEQ proofs, a replayed mint refused, NUT-07 states, a swap,
 *       a receive, a melt, and one set of proofs spent concurrently through both nodes, of which
 *       exactly one spend may win;
 *   <li>nostr-tools against the relay: the NIP-11 document, an event published through one node
 *       arriving live on a subscription at another, REQ filters (authors, kinds, #e/#p/#t, ids,
 *       since/until, limit, several filters) answered alike by both nodes, and events with a bad
 *       signature or a bad id refused with OK false and an "invalid:" reason;
 *   <li>then, the cluster stopped: neither the mint's seed nor a stored note is in any log line or
 *       in any file of any member.
 * </ul>
 *
 * <p>The two apps keep separate state and every Nostr event is signed by keys made for the run,
 * so the clients share one cluster (and one {@code npm ci}) without disturbing each other.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AppsInteropIT {
  private static final int NODES = 3;
  /** Founding, two attested joins and their key rotations, on a shared CI machine. */
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  /** The Cashu script's own bound; it reports the step it was in when this passes. */
  private static final Duration CASHU_RUN_TIMEOUT = Duration.ofMinutes(3);
  private static final Duration NOSTR_RUN_TIMEOUT = Duration.ofMinutes(2);
  /** The harness kills a script after its own bound plus this, should the script's bound not fire. */
  private static final Duration KILL_AFTER_SCRIPT_BOUND = Duration.ofSeconds(30);
  private static final List<String> CASHU_STEPS = List.of("info", "keys", "mint_quote", "mint", "mint_replay",
      "check_state", "swap", "receive", "melt", "double_spend", "done");
  private static final int NIP_DELETION = 9;
  /** Contents of notes the Nostr script publishes and the relay stores (see nostr-interop.mjs). */
  private static final List<String> STORED_NOTES = List.of("hello from node A", "third note");
  private static final List<String> NOSTR_FILTERS = List.of("authors", "kinds", "#e", "#p", "#t", "ids", "since/until",
      "limit", "two filters", "no match");

  @TempDir
  static Path root;

  private NodeJs nodeJs;
  private InProcessCluster cluster;
  private LogCapture logs;
  /** The mint's master seed, read from the replicas by the Cashu test for the final scans. */
  private byte[] mintSeed;

  @BeforeAll
  void start() throws Exception {
    // Node.js first: when it is missing the class is skipped before a cluster is paid for.
    nodeJs = NodeJs.prepare();
    logs = LogCapture.attach();
    cluster = InProcessCluster.start(TestClusters.create(root, NODES, CodeMeasurement.ofRunningCode(VeilraftNode.class)),
        READY_TIMEOUT);
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
  @Order(1)
  void referenceWalletMintsSwapsMeltsAndCannotSpendTheSameProofsTwiceThroughTwoNodes() throws Exception {
    // The founder (usually the leader) is A and a joiner is B; every operation is checked from the other node too.
    ProcessRun run = nodeJs.run("cashu-interop.mjs", List.of(cluster.mintUrl(0), cluster.mintUrl(1)),
        Map.of("CASHU_INTEROP_TIMEOUT_MS", Long.toString(CASHU_RUN_TIMEOUT.toMillis())),
        CASHU_RUN_TIMEOUT.plus(KILL_AFTER_SCRIPT_BOUND));

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.passed()).as(run.describe()).containsExactlyElementsOf(CASHU_STEPS);
    JsonNode mint = run.step("mint").orElseThrow();
    assertThat(mint.get("amount").asInt()).isEqualTo(100);
    assertThat(run.step("mint_replay").orElseThrow().get("code").asInt()).as("quote already issued").isEqualTo(20002);
    JsonNode doubleSpend = run.step("double_spend").orElseThrow();
    assertThat(doubleSpend.get("loser_code").asInt()).as("proofs already spent").isEqualTo(11001);
    assertThat(doubleSpend.get("winner").asText()).isIn("A", "B");

    // The mint's master seed (every keyset's private keys derive from it) was drawn inside the group.
    byte[] seed = cluster.node(0).replica().store().get("app/cashu", "seed".getBytes(StandardCharsets.US_ASCII))
        .orElseThrow(() -> new AssertionError("the mint created no seed"));
    assertThat(seed).hasSize(32);
    for (int i = 1; i < cluster.size(); i++) {
      assertThat(cluster.node(i).replica().store().get("app/cashu", "seed".getBytes(StandardCharsets.US_ASCII)))
          .as("every replica derived the same seed").hasValueSatisfying(s -> assertThat(s).isEqualTo(seed));
    }
    mintSeed = seed;
  }

  @Test
  @Order(2)
  void nostrToolsPublishesThroughOneNodeReceivesOnAnotherAndForgedEventsAreRefused() throws Exception {
    // The founder (usually the leader) is A (publishes), a joiner is B (subscribes); REQs run on both.
    ProcessRun run = nodeJs.run("nostr-interop.mjs", List.of(cluster.relayUrl(0).toString(), cluster.relayUrl(1).toString()),
        Map.of("NOSTR_INTEROP_TIMEOUT_MS", Long.toString(NOSTR_RUN_TIMEOUT.toMillis())),
        NOSTR_RUN_TIMEOUT.plus(KILL_AFTER_SCRIPT_BOUND));

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.passed()).as(run.describe()).startsWith("nip11", "connect", "live", "publish").endsWith("done")
        .contains("bad_signature", "bad_id");
    assertThat(run.steps("req")).extracting(s -> s.get("filter").asText()).containsExactlyElementsOf(NOSTR_FILTERS);
    assertThat(run.step("bad_signature").orElseThrow().get("reason").asText()).startsWith("invalid:");
    assertThat(run.step("bad_id").orElseThrow().get("reason").asText()).startsWith("invalid:");
    List<Integer> nips = new ArrayList<>();
    run.step("nip11").orElseThrow().get("supported_nips").forEach(nip -> nips.add(nip.asInt()));
    assertThat(nips).contains(1, 11);
    if (nips.contains(NIP_DELETION)) {
      assertThat(run.passed()).as("the relay lists NIP-09, so deletion is checked").contains("delete");
    }
  }

  @Test
  @Order(3)
  void theMintSeedAndTheNotesReachNoLogLineAndNoFileOfAnyMember() throws Exception {
    // The seed and the notes went through consensus and into every member's store, as ciphertext only: no log line
    // and no file of any member (Raft log, state store, snapshots) holds them, raw or (the seed) hex.
    List<Path> dataDirs = cluster.dataDirs();
    cluster.close();
    cluster = null;
    assertThat(logs.size()).isPositive();
    for (String note : STORED_NOTES) {
      assertThat(logs.containing(note)).as(note).isEmpty();
      assertThat(DiskScan.scan(dataDirs, Hashes.utf8(note)).hits()).as(note).isEmpty();
    }
    assertThat(mintSeed).as("the Cashu test (order 1) read the mint's seed from the replicas").isNotNull();
    assertThat(logs.containing(Hashes.hex(mintSeed))).isEmpty();
    assertThat(DiskScan.scan(dataDirs, mintSeed).hits()).isEmpty();
    assertThat(DiskScan.scan(dataDirs, Hashes.utf8(Hashes.hex(mintSeed))).hits()).isEmpty();
  }
}
