package dev.veilraft.simulator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.simulator.cluster.ProcessCluster;
import dev.veilraft.simulator.cluster.SimLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code DIR/cluster.json}: what a client needs to reach a local cluster. Written atomically once
 * every node is a voter; removed by {@code local down}.
 *
 * <pre>
 * {
 *   "cluster_id": "hex", "cluster_name": "demo", "genesis": "/DIR/genesis.bin",
 *   "client_policy": "/DIR/client-policy.yaml", "supervisor_pid": 1234,
 *   "nodes": [ {"name": "n1", "id": "hex", "api": "https://127.0.0.1:20001",
 *               "websocket": "wss://127.0.0.1:20001/nostr", "raft": "127.0.0.1:20002",
 *               "pid": 1235, "config": "/DIR/node1.yaml", "log": "/DIR/n1.log"}, ... ]
 * }
 * </pre>
 */
public final class ClusterJson {
  public static final String FILE = "cluster.json";
  public static final String POLICY_FILE = "client-policy.yaml";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ClusterJson() {}

  public static Path write(Path dir, ProcessCluster cluster, Path policyFile) throws IOException {
    SimLayout layout = cluster.layout();
    ObjectNode root = JSON.createObjectNode();
    root.put("cluster_id", layout.cluster().genesis().clusterIdHex());
    root.put("cluster_name", layout.cluster().genesis().genesis().getClusterName());
    root.put("genesis", layout.cluster().genesisFile().toAbsolutePath().toString());
    root.put("client_policy", policyFile.toAbsolutePath().toString());
    root.put("supervisor_pid", ProcessHandle.current().pid());
    root.put("insecure", "simulated TEE: for development only");
    ArrayNode nodes = root.putArray("nodes");
    for (int slot = 0; slot < layout.members(); slot++) {
      ObjectNode n = nodes.addObject();
      var config = layout.config(slot);
      n.put("name", SimLayout.name(slot));
      n.put("id", layout.nodeIds().get(slot));
      n.put("api", "https://" + config.api().address());
      n.put("websocket", "wss://" + config.api().address() + "/nostr");
      n.put("raft", config.raft().address());
      n.put("pid", cluster.process(slot).map(Process::pid).orElse(-1L));
      n.put("config", layout.configFile(slot).toAbsolutePath().toString());
      n.put("log", cluster.logOf(slot).toAbsolutePath().toString());
    }
    Path file = dir.resolve(FILE);
    Path tmp = dir.resolve(FILE + ".tmp");
    Files.write(tmp, JSON.writeValueAsBytes(root));
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  /** The process ids a cluster.json names: the supervisor first, then every node. */
  public static List<Long> pids(Path file) throws IOException {
    JsonNode root = JSON.readTree(file.toFile());
    List<Long> pids = new ArrayList<>();
    if (root.hasNonNull("supervisor_pid")) {
      pids.add(root.get("supervisor_pid").asLong());
    }
    root.path("nodes").forEach(n -> {
      if (n.path("pid").asLong(-1) > 0) {
        pids.add(n.get("pid").asLong());
      }
    });
    return pids;
  }

  /**
   * A client policy file ({@code veilraft verify --policy} format) that accepts exactly this
   * cluster's simulated members: its measurements and its simulated root. INSECURE by design.
   */
  public static Path writeClientPolicy(Path dir, Policy policy) throws IOException {
    StringBuilder y = new StringBuilder();
    y.append("# Client policy of a local veilraft cluster: simulated TEE, INSECURE, for development only.\n");
    y.append("name: ").append(policy.getName()).append('\n');
    y.append("measurements:\n");
    policy.getAllowedMeasurementsList().forEach(m -> y.append("  - ").append(Hashes.hex(m.toByteArray())).append('\n'));
    y.append("allow_simulated: true\n");
    y.append("simulated_root_sha256: ").append(Hashes.hex(policy.getSimulatedRootSha256().toByteArray())).append('\n');
    Path file = dir.resolve(POLICY_FILE);
    Files.writeString(file, y.toString());
    return file;
  }
}
