package dev.veilraft.node.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.node.demo.DiskScan;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference Cashu wallet, @cashu/cashu-ts from the npm registry (pinned in
 * src/test/interop/package-lock.json), against a three-node cluster's mint through two different
 * nodes: keys, a mint quote paid by the fake Lightning backend, minting with DLEQ proofs, a replayed
 * mint refused, NUT-07 states, a swap, a receive, a melt, and one set of proofs spent concurrently
 * through both nodes, of which exactly one spend may win.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CashuInteropIT {
  private static final int NODES = 3;
  /** The script's own bound; it reports the step it was in when this passes. */
  private static final Duration SCRIPT_RUN_TIMEOUT = Duration.ofMinutes(3);
  /** The harness kills the script after this, should the script's own bound not fire. */
  private static final Duration PROCESS_TIMEOUT = SCRIPT_RUN_TIMEOUT.plusSeconds(30);
  private static final List<String> STEPS = List.of("info", "keys", "mint_quote", "mint", "mint_replay", "check_state",
      "swap", "receive", "melt", "double_spend", "done");

  @TempDir
  static Path root;

  private NodeJs nodeJs;
  private InteropCluster cluster;

  private LogCapture logs;

  @BeforeAll
  void start() throws Exception {
    // Node.js first: when it is missing the class is skipped before a cluster is paid for.
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
  void referenceWalletMintsSwapsMeltsAndCannotSpendTheSameProofsTwiceThroughTwoNodes() throws Exception {
    // The founder (usually the leader) is A and a joiner is B; every operation is checked from the other node too.
    ProcessRun run = nodeJs.run("cashu-interop.mjs", List.of(cluster.mintUrl(0), cluster.mintUrl(1)),
        Map.of("CASHU_INTEROP_TIMEOUT_MS", Long.toString(SCRIPT_RUN_TIMEOUT.toMillis())), PROCESS_TIMEOUT);

    assertThat(run.exitCode()).as(run.describe()).isZero();
    assertThat(run.passed()).as(run.describe()).containsExactlyElementsOf(STEPS);
    JsonNode mint = run.step("mint").orElseThrow();
    assertThat(mint.get("amount").asInt()).isEqualTo(100);
    assertThat(run.step("mint_replay").orElseThrow().get("code").asInt()).as("quote already issued").isEqualTo(20002);
    JsonNode doubleSpend = run.step("double_spend").orElseThrow();
    assertThat(doubleSpend.get("loser_code").asInt()).as("proofs already spent").isEqualTo(11001);
    assertThat(doubleSpend.get("winner").asText()).isIn("A", "B");

    // The mint's master seed (every keyset's private keys derive from it) was drawn inside the group and lives only
    // in encrypted state: it is in no log line and in no file of any member, raw or hex.
    byte[] seed = cluster.node(0).replica().store().get("app/cashu", "seed".getBytes(StandardCharsets.US_ASCII))
        .orElseThrow(() -> new AssertionError("the mint created no seed"));
    assertThat(seed).hasSize(32);
    for (int i = 1; i < cluster.size(); i++) {
      assertThat(cluster.node(i).replica().store().get("app/cashu", "seed".getBytes(StandardCharsets.US_ASCII)))
          .as("every replica derived the same seed").hasValueSatisfying(s -> assertThat(s).isEqualTo(seed));
    }
    List<Path> dataDirs = cluster.dataDirs();
    cluster.close();
    cluster = null;
    assertThat(logs.size()).isPositive();
    assertThat(logs.containing(Hashes.hex(seed))).isEmpty();
    assertThat(DiskScan.scan(dataDirs, seed).hits()).isEmpty();
    assertThat(DiskScan.scan(dataDirs, Hashes.utf8(Hashes.hex(seed))).hits()).isEmpty();
  }
}
