package dev.veilraft.simulator.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.node.ConfigException;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The files of a simulated cluster: the {@link LocalCluster} layout (simulated vendor, signed
 * genesis, one configuration and endorsement per slot) with the simulator's settings written into
 * each slot's configuration file. Slots {@code 0..members-1} are the cluster's members; the slots
 * after them are spares that join later or play attackers. Slot {@code i} is named {@code n(i+1)}.
 *
 * @param cluster the layout as {@link LocalCluster} made it (its genesis, vendor and operator keys)
 * @param configs each slot's configuration as the simulator wrote it (use these, not the layout's)
 * @param nodeIds each slot's node id (from the identity key {@code veilraft node init} created)
 */
public record SimLayout(LocalCluster.Layout cluster, List<NodeConfig> configs, int members, List<String> nodeIds) {
  /** Entries between snapshots: low, so runs take snapshots and purge logs during faults. */
  public static final int SNAPSHOT_THRESHOLD_ENTRIES = 200;
  /** Election timeouts of simulated nodes: Raft's defaults for a LAN, shorter than the node's. */
  public static final int ELECTION_TIMEOUT_MIN_MS = 600;
  public static final int ELECTION_TIMEOUT_MAX_MS = 1200;
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * Lays out {@code members + spares} slots under {@code root} for code measuring
   * {@code measurement}; {@code raftHost} gives each slot's Raft host (its address is committed
   * in its member record and every peer dials it).
   */
  public static SimLayout create(Path root, int members, int spares, byte[] measurement, IntFunction<String> raftHost)
      throws IOException {
    LocalCluster.Layout base = LocalCluster.create(root, members + spares, measurement);
    List<NodeConfig> configs = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < base.nodes().size(); i++) {
      Path file = base.configFiles().get(i);
      NodeConfig sim = simulated(base.nodes().get(i), raftHost.apply(i), file);
      Files.writeString(file, sim.toYaml());
      configs.add(sim);
      ids.add(nodeIdOf(sim));
    }
    return new SimLayout(base, List.copyOf(configs), members, List.copyOf(ids));
  }

  /**
   * The configuration with the simulator's Raft host, election timeouts and snapshot threshold,
   * edited as YAML so every other key (present or added later) stays as the layout wrote it.
   */
  private static NodeConfig simulated(NodeConfig config, String raftHost, Path file) throws IOException {
    ObjectNode tree = (ObjectNode) YAML.readTree(config.toYaml());
    ((ObjectNode) tree.get("raft")).put("host", raftHost);
    tree.put("electionTimeoutMinMs", ELECTION_TIMEOUT_MIN_MS);
    tree.put("electionTimeoutMaxMs", ELECTION_TIMEOUT_MAX_MS);
    tree.put("snapshotThresholdEntries", SNAPSHOT_THRESHOLD_ENTRIES);
    try {
      return NodeConfig.parse(YAML.writeValueAsString(tree), file.toString());
    } catch (ConfigException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** The node id of a slot whose keys exist, from the identity certificate {@code node init} wrote. */
  static String nodeIdOf(NodeConfig config) throws IOException {
    Path pem = config.dataDir().resolve(VeilraftNode.IDENTITY_FILE);
    try {
      List<byte[]> certs = Certificates.readAll(Files.readAllBytes(pem), pem.toString());
      return Certificates.nodeId(Certificates.parse(certs.get(0), pem.toString()));
    } catch (CryptoException e) {
      throw new IOException(pem + ": " + e.getMessage(), e);
    }
  }

  public int slots() {
    return configs.size();
  }

  public static String name(int slot) {
    return "n" + (slot + 1);
  }

  public NodeConfig config(int slot) {
    return configs.get(slot);
  }

  public Path configFile(int slot) {
    return cluster.configFiles().get(slot);
  }

  public URI api(int slot) {
    return URI.create("https://" + config(slot).api().address());
  }
}
