package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.membership.ProtocolVersions;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.VeilraftNode;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a live one-node cluster: 'status' reads it, and joins it with the wrong genesis fail clearly. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliClusterIT {
  private Path root;
  private LocalCluster.Layout layout;
  private VeilraftNode founder;

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @BeforeAll
  void startFounder(@TempDir Path dir) throws Exception {
    root = dir;
    layout = LocalCluster.create(root.resolve("cluster"), 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    founder = VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC());
  }

  @AfterAll
  void stop() {
    if (founder != null) {
      founder.close();
    }
  }

  @Test
  void statusShowsTheClusterLeaderIndexesAndMembers() throws Exception {
    // Proves 'status --config' pins the node by its identity.pem and prints leader, epoch, indexes and the member row.
    CliRun status = run("status", "--config", layout.configFiles().get(0).toString());
    System.out.println(status.out());
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("cluster   demo (" + layout.genesis().clusterIdHex().substring(0, 16))
        .contains("epoch     " + founder.replica().view().epoch()).contains("leader    " + founder.nodeId())
        .contains("index     commit ").contains(founder.nodeId() + "*").contains("voter").contains("local")
        .containsPattern("SIM\\S*\\s+[0-9a-f]{16}…\\s+1\\s+\\d+s ago\\s+0\\s")
        .contains("protocol 1 (this node applies up to 1)");
  }

  @Test
  void statusJsonCarriesTheFieldsMachinesNeedAndAWrongPinIsRefused() throws Exception {
    // Proves --json prints the node's status with leader, commit index and lag, and a wrong --node-id fails with exit 1.
    String url = founder.apiUrl().toString();
    CliRun json = run("status", "--url", url, "--node-id", founder.nodeId(), "--json");
    assertThat(json.exit()).as(json.err()).isZero();
    var status = new ObjectMapper().readTree(json.out());
    assertThat(status.path("leader_id").asText()).isEqualTo(founder.nodeId());
    assertThat(status.path("commit_index").asLong()).isPositive();
    assertThat(status.path("members").get(0).path("lag_entries").asLong()).isZero();
    assertThat(status.path("protocol_version").asLong()).as("a genesis without a version starts at 1").isEqualTo(1);
    assertThat(status.path("build_protocol_version_max").asLong()).isEqualTo(ProtocolVersions.BUILD_MAX);
    assertThat(status.path("members").get(0).path("protocol_version_max").asLong())
        .as("the founder advertised its build's version").isEqualTo(ProtocolVersions.BUILD_MAX);
    assertThat(status.has("halted")).isFalse();

    CliRun wrongPin = run("status", "--url", url, "--node-id", "00".repeat(16));
    assertThat(wrongPin.exit()).isEqualTo(1);
    assertThat(wrongPin.err()).contains("unreachable").contains(url);
    assertThat(run("status").exit()).isEqualTo(2);
  }

  @Test
  void joiningWithAnotherClustersGenesisFailsNamingTheGenesis() throws Exception {
    // Proves a node whose genesis is not the peer's cluster exits 1 with WRONG_CLUSTER, naming its genesis file.
    // Same vendor, same measurement, another cluster name: another cluster id. The hello is refused before
    // the endorsement is looked at, so the joiner needs none.
    var otherGenesis = LocalCluster.genesis("other", LocalCluster.POLICY_NAME,
        dev.veilraft.crypto.attestation.SimulatedSnpVendor.openOrCreate(layout.vendorDir()),
        java.util.List.of(CodeMeasurement.ofRunningCode(VeilraftNode.class)));
    Path genesisFile = root.resolve("other-genesis.bin");
    otherGenesis.write(genesisFile);
    var base = layout.nodes().get(0);
    var joiner = new dev.veilraft.node.NodeConfig(root.resolve("joiner"), genesisFile,
        new dev.veilraft.node.NodeConfig.Endpoint("127.0.0.1", LocalCluster.freePort()),
        new dev.veilraft.node.NodeConfig.Endpoint("127.0.0.1", LocalCluster.freePort()), base.platform(),
        base.simulated(), null, null);
    Path config = java.nio.file.Files.writeString(root.resolve("joiner.yaml"), joiner.toYaml());
    CliRun join = run("node", "join", "--config", config.toString(), "--peer",
        founder.apiUrl().toString());
    assertThat(join.exit()).isEqualTo(1);
    assertThat(join.out()).contains("FAILED WRONG_CLUSTER").contains(genesisFile.toString())
        .contains("another cluster");
  }
}
