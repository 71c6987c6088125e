package dev.veilraft.node;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.GenesisException;
import dev.veilraft.membership.proto.Genesis;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Lays out a local cluster on loopback under one directory: a simulated TEE vendor, a genesis
 * whose policy allows the given measurement, and one configuration file per node. Used by the
 * demo and by the cluster tests.
 */
public final class LocalCluster {
  public static final String CLUSTER_NAME = "demo";
  public static final String POLICY_NAME = "demo";
  public static final long JOIN_WINDOW_MS = 60_000;

  private LocalCluster() {}

  /** What was laid out. */
  public record Layout(Path root, Path vendorDir, Path genesisFile, GenesisDocument genesis, List<NodeConfig> nodes,
      List<Path> configFiles) {
    /** The HTTPS API of node {@code index} (0-based). */
    public java.net.URI api(int index) {
      return java.net.URI.create("https://" + nodes.get(index).api().address());
    }

    /** A client of node {@code index} that verifies the cluster against the genesis policy. */
    public dev.veilraft.client.VeilraftClient connect(int index) throws dev.veilraft.client.ClientException {
      return dev.veilraft.client.VeilraftClient.connect(api(index), genesis.policy(),
          new dev.veilraft.crypto.attestation.AttestationVerifier(), java.time.Clock.systemUTC(), genesis.clusterId());
    }
  }

  public static Layout create(Path root, int nodes, byte[] allowedMeasurement) throws IOException {
    Files.createDirectories(root);
    Path vendorDir = root.resolve("sim-vendor");
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(vendorDir);
    GenesisDocument genesis = genesis(CLUSTER_NAME, POLICY_NAME, vendor, List.of(allowedMeasurement));
    Path genesisFile = root.resolve("genesis.bin");
    genesis.write(genesisFile);
    List<NodeConfig> configs = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      NodeConfig config = new NodeConfig(root.resolve("node" + i), genesisFile,
          new NodeConfig.Endpoint("127.0.0.1", freePort()), new NodeConfig.Endpoint("127.0.0.1", freePort()),
          NodeConfig.PLATFORM_SIMULATED, new NodeConfig.Simulated(vendorDir), null, null);
      Path file = root.resolve("node" + i + ".yaml");
      Files.writeString(file, config.toYaml());
      configs.add(config);
      files.add(file);
    }
    return new Layout(root, vendorDir, genesisFile, genesis, configs, files);
  }

  /** A genesis for a cluster of simulated members whose policy allows {@code measurements}. */
  public static GenesisDocument genesis(String clusterName, String policyName, SimulatedSnpVendor vendor,
      List<byte[]> measurements) throws IOException {
    Policy.Builder policy = Policy.newBuilder().setName(policyName).setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()));
    measurements.forEach(m -> policy.addAllowedMeasurements(ByteString.copyFrom(m)));
    Genesis genesis = Genesis.newBuilder().setClusterName(clusterName).setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(9)
        .setSimulatedRootCert(ByteString.copyFrom(vendor.arkDer())).build();
    try {
      return GenesisDocument.create(genesis);
    } catch (GenesisException e) {
      throw new IOException("generated genesis is invalid: " + e.getMessage(), e);
    }
  }

  /** A genesis for a cluster of real-TEE members judged by {@code policy}. */
  public static GenesisDocument genesis(String clusterName, Policy policy) throws IOException {
    Genesis genesis = Genesis.newBuilder().setClusterName(clusterName).setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(9).build();
    try {
      return GenesisDocument.create(genesis);
    } catch (GenesisException e) {
      throw new IOException("genesis is invalid: " + e.getMessage(), e);
    }
  }

  /** Local listening ports are picked below the kernel's ephemeral range (32768.. on Linux). */
  static final int LISTEN_PORT_MIN = 20_000;
  static final int LISTEN_PORT_MAX = 32_000;
  private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
      new java.util.concurrent.atomic.AtomicInteger(LISTEN_PORT_MIN
          + new java.util.Random().nextInt(LISTEN_PORT_MAX - LISTEN_PORT_MIN));

  /**
   * A TCP port on loopback that is free now. Ports come from below the ephemeral range, so the
   * outgoing connections of nodes already running (which take ephemeral ports) cannot grab a port
   * between this check and the node binding it; successive calls hand out distinct ports.
   */
  public static int freePort() throws IOException {
    for (int attempt = 0; attempt < LISTEN_PORT_MAX - LISTEN_PORT_MIN; attempt++) {
      int port = LISTEN_PORT_MIN + Math.floorMod(NEXT_PORT.getAndIncrement() - LISTEN_PORT_MIN,
          LISTEN_PORT_MAX - LISTEN_PORT_MIN);
      try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
        return socket.getLocalPort();
      } catch (IOException taken) {
        // Try the next one.
      }
    }
    throw new IOException("no free TCP port on loopback in " + LISTEN_PORT_MIN + ".." + LISTEN_PORT_MAX);
  }

  public static String describe(GenesisDocument genesis) {
    return "cluster " + genesis.genesis().getClusterName() + " " + Hashes.shortHex(genesis.clusterId(), 6)
        + ", policy '" + genesis.policy().getName() + "'";
  }
}
