package dev.veilraft.node;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.GenesisException;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Lays out a local cluster on loopback under one directory: a simulated TEE vendor, a genesis
 * whose policy allows the given measurement, and one configuration file per node. Used by the
 * demo and by the cluster tests.
 *
 * <p>Operators: {@link #create(Path, int, byte[])} lays out one operator, {@value #LOCAL_OPERATOR},
 * whose key pair is created under {@code root/operators} (reused when present, so the same root
 * keeps the same cluster id) and signs the genesis; it may run every member and its diversity rule
 * is off (one operator runs the whole local cluster). The overload with operator names creates one
 * key pair per operator there and has every one sign. The {@code genesis(...)} helpers without a
 * directory sign with a throwaway {@value #LOCAL_OPERATOR} key that is discarded at once: such a
 * cluster is valid but can never be governed.
 */
public final class LocalCluster {
  public static final String CLUSTER_NAME = "demo";
  public static final String POLICY_NAME = "demo";
  public static final long JOIN_WINDOW_MS = 60_000;
  public static final int MEMBERS_MAX = 9;
  /** The operator of a single-operator local cluster. */
  public static final String LOCAL_OPERATOR = "local";
  public static final String OPERATORS_DIR = "operators";

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

    /** The private key file (PKCS#8 PEM) of operator {@code name}, e.g. {@value LocalCluster#LOCAL_OPERATOR}. */
    public Path operatorKey(String name) {
      return root.resolve(OPERATORS_DIR).resolve(name + ".key");
    }

    /** Operator {@code name}'s endorsement of the node whose identity key is {@code nodeIdentitySpki}. */
    public OperatorEndorsement endorse(String name, byte[] nodeIdentitySpki) throws IOException {
      try {
        return Endorsements.sign(OperatorKey.load(operatorKey(name)), name, genesis.clusterId(), nodeIdentitySpki);
      } catch (CryptoException e) {
        throw new IOException(e.getMessage(), e);
      }
    }
  }

  public static Layout create(Path root, int nodes, byte[] allowedMeasurement) throws IOException {
    return create(root, nodes, allowedMeasurement, List.of(LOCAL_OPERATOR), 1,
        g -> g.setRules(g.getRules().toBuilder().setDiversity(DiversityAction.DIVERSITY_OFF)));
  }

  /**
   * A local cluster run by {@code operators} (one key pair each under {@code root/operators},
   * reused when present), governed by {@code threshold} of them, each allowed every member;
   * {@code customize} may change the genesis (rules, limits, node limits) before all operators
   * sign it.
   */
  public static Layout create(Path root, int nodes, byte[] allowedMeasurement, List<String> operators, int threshold,
      UnaryOperator<Genesis.Builder> customize) throws IOException {
    Files.createDirectories(root);
    Path vendorDir = root.resolve("sim-vendor");
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(vendorDir);
    Map<String, OperatorKey> keys = new LinkedHashMap<>();
    for (String name : operators) {
      keys.put(name, operatorKey(root.resolve(OPERATORS_DIR), name));
    }
    Genesis.Builder builder = simulatedGenesisBuilder(CLUSTER_NAME, POLICY_NAME, vendor, List.of(allowedMeasurement));
    keys.forEach((name, key) -> builder.addOperators(operator(name, key, MEMBERS_MAX)));
    builder.setGovernanceThreshold(threshold);
    GenesisDocument genesis = signedGenesis(customize.apply(builder).build(), keys);
    Path genesisFile = root.resolve("genesis.bin");
    genesis.write(genesisFile);
    List<NodeConfig> configs = new ArrayList<>();
    List<Path> files = new ArrayList<>();
    for (int i = 1; i <= nodes; i++) {
      NodeConfig config = new NodeConfig(root.resolve("node" + i), genesisFile,
          new NodeConfig.Endpoint("127.0.0.1", freePort()), new NodeConfig.Endpoint("127.0.0.1", freePort()),
          NodeConfig.PLATFORM_SIMULATED, new NodeConfig.Simulated(vendorDir), null, null)
          .withInsecurePlainHttp(new NodeConfig.Endpoint("127.0.0.1", freePort()));
      Path file = root.resolve("node" + i + ".yaml");
      Files.writeString(file, config.toYaml());
      configs.add(config);
      files.add(file);
      String operator = operators.get((i - 1) % operators.size());
      endorse(config, genesis, operator, keys.get(operator));
    }
    return new Layout(root, vendorDir, genesisFile, genesis, configs, files);
  }

  /**
   * Creates the node's sealed keys (as {@code veilraft node init} does) and writes {@code operator}'s
   * endorsement of it where the node looks for it (as {@code veilraft operator endorse} does).
   */
  public static void endorse(NodeConfig config, GenesisDocument genesis, String operator, OperatorKey key)
      throws IOException {
    try {
      var nodeKeys = VeilraftNode.init(config, java.time.Clock.systemUTC());
      Files.write(config.endorsementFile(), dev.veilraft.membership.Endorsements.sign(key, operator,
          genesis.clusterId(), nodeKeys.identity().spki()).toByteArray());
    } catch (NodeException e) {
      throw new IOException("cannot prepare " + config.dataDir() + ": " + e.getMessage(), e);
    }
  }

  /**
   * A genesis for a cluster of simulated members whose policy allows {@code measurements}, signed
   * by a throwaway operator (see the class comment: it cannot be governed).
   */
  public static GenesisDocument genesis(String clusterName, String policyName, SimulatedSnpVendor vendor,
      List<byte[]> measurements) throws IOException {
    return throwawayOperatorGenesis(simulatedGenesisBuilder(clusterName, policyName, vendor, measurements));
  }

  /**
   * A genesis for a cluster of real-TEE members judged by {@code policy}, signed by a throwaway
   * operator (see the class comment: it cannot be governed).
   */
  public static GenesisDocument genesis(String clusterName, Policy policy) throws IOException {
    return throwawayOperatorGenesis(hardwareGenesisBuilder(clusterName, policy));
  }

  /** A simulated cluster's genesis without operators: add them, then {@link GenesisDocument#create}. */
  public static Genesis.Builder simulatedGenesisBuilder(String clusterName, String policyName, SimulatedSnpVendor vendor,
      List<byte[]> measurements) {
    Policy.Builder policy = Policy.newBuilder().setName(policyName).setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()));
    measurements.forEach(m -> policy.addAllowedMeasurements(ByteString.copyFrom(m)));
    return Genesis.newBuilder().setClusterName(clusterName).setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(MEMBERS_MAX)
        .setSimulatedRootCert(ByteString.copyFrom(vendor.arkDer()));
  }

  /** A hardware cluster's genesis without operators: add them, then {@link GenesisDocument#create}. */
  public static Genesis.Builder hardwareGenesisBuilder(String clusterName, Policy policy) {
    return Genesis.newBuilder().setClusterName(clusterName).setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(MEMBERS_MAX);
  }

  /** An operator entry for a genesis or a set_operators proposal. */
  public static Operator operator(String name, OperatorKey key, int nodesMax) {
    return Operator.newBuilder().setName(name).setPublicKeySpki(ByteString.copyFrom(key.publicKeySpki()))
        .setNodesMax(nodesMax).build();
  }

  /**
   * Operator {@code name}'s key pair in {@code dir} ({@code name.key}, 0600, and {@code name.pub}):
   * loaded when the private key file exists, generated otherwise.
   */
  public static OperatorKey operatorKey(Path dir, String name) throws IOException {
    Path privateFile = dir.resolve(name + ".key");
    try {
      if (Files.exists(privateFile)) {
        return OperatorKey.load(privateFile);
      }
    } catch (CryptoException e) {
      throw new IOException(e.getMessage(), e);
    }
    Files.createDirectories(dir);
    OperatorKey key = OperatorKey.generate();
    key.writePrivateKey(privateFile);
    Files.deleteIfExists(dir.resolve(name + ".pub"));
    key.writePublicKey(dir.resolve(name + ".pub"));
    return key;
  }

  /** Validates {@code genesis} and signs it with every key of {@code keys} (operator name to key). */
  public static GenesisDocument signedGenesis(Genesis genesis, Map<String, OperatorKey> keys) throws IOException {
    try {
      GenesisDocument doc = GenesisDocument.create(genesis);
      for (Map.Entry<String, OperatorKey> e : keys.entrySet()) {
        doc = doc.sign(e.getKey(), e.getValue());
      }
      doc.requireFullySigned();
      return doc;
    } catch (GenesisException e) {
      throw new IOException("genesis is invalid: " + e.getMessage(), e);
    }
  }

  private static GenesisDocument throwawayOperatorGenesis(Genesis.Builder builder) throws IOException {
    OperatorKey throwaway = OperatorKey.generate();
    builder.addOperators(operator(LOCAL_OPERATOR, throwaway, builder.getMembersMax())).setGovernanceThreshold(1)
        .setRules(MembershipRules.newBuilder().setDiversity(DiversityAction.DIVERSITY_OFF));
    return signedGenesis(builder.build(), Map.of(LOCAL_OPERATOR, throwaway));
  }

  /** Local listening ports are picked below the kernel's ephemeral range (32768.. on Linux). */
  static final int LISTEN_PORT_MIN = 20_000;
  static final int LISTEN_PORT_MAX = 32_000;
  /** The smallest slice: a test JVM lays out a few hundred ports over its run. */
  static final int PORT_SLICE_PORTS_MIN = 1_000;
  /**
   * Test configuration hook: JVMs that lay out clusters at the same time (the build's parallel test
   * JVMs) each take their own slice of the port range, {@code "k/n"} (slice k of n, 1-based), so
   * that one JVM never hands out a port another has handed out but whose node has not bound it yet.
   * Unset: the whole range.
   */
  public static final String PORT_SLICE_PROPERTY = "veilraft.localCluster.portSlice";
  private static final int[] PORT_SLICE = portSlice(System.getProperty(PORT_SLICE_PROPERTY));
  private static final java.util.concurrent.atomic.AtomicInteger NEXT_PORT =
      new java.util.concurrent.atomic.AtomicInteger(new java.util.Random().nextInt(PORT_SLICE[1] - PORT_SLICE[0]));

  /** The [min, max) of this JVM's ports for {@link #PORT_SLICE_PROPERTY} = {@code slice}. */
  static int[] portSlice(String slice) {
    if (slice == null || slice.isBlank()) {
      return new int[] {LISTEN_PORT_MIN, LISTEN_PORT_MAX};
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,3})/([0-9]{1,3})").matcher(slice.strip());
    int k = m.matches() ? Integer.parseInt(m.group(1)) : 0;
    int n = m.matches() ? Integer.parseInt(m.group(2)) : 0;
    if (n < 1 || k < 1 || k > n || (LISTEN_PORT_MAX - LISTEN_PORT_MIN) / n < PORT_SLICE_PORTS_MIN) {
      throw new IllegalArgumentException("system property " + PORT_SLICE_PROPERTY + " is '" + slice
          + "', expected k/n with 1 <= k <= n and at most " + (LISTEN_PORT_MAX - LISTEN_PORT_MIN) / PORT_SLICE_PORTS_MIN
          + " slices");
    }
    int width = (LISTEN_PORT_MAX - LISTEN_PORT_MIN) / n;
    return new int[] {LISTEN_PORT_MIN + (k - 1) * width, LISTEN_PORT_MIN + k * width};
  }

  /**
   * A TCP port on loopback that is free now. Ports come from below the ephemeral range, so the
   * outgoing connections of nodes already running (which take ephemeral ports) cannot grab a port
   * between this check and the node binding it; successive calls hand out distinct ports.
   */
  public static int freePort() throws IOException {
    int width = PORT_SLICE[1] - PORT_SLICE[0];
    for (int attempt = 0; attempt < width; attempt++) {
      int port = PORT_SLICE[0] + Math.floorMod(NEXT_PORT.getAndIncrement(), width);
      try (ServerSocket socket = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        socket.setReuseAddress(true);
        return socket.getLocalPort();
      } catch (IOException taken) {
        // Try the next one.
      }
    }
    throw new IOException("no free TCP port on loopback in " + PORT_SLICE[0] + ".." + (PORT_SLICE[1] - 1));
  }

  public static String describe(GenesisDocument genesis) {
    return "cluster " + genesis.genesis().getClusterName() + " " + Hashes.shortHex(genesis.clusterId(), 6)
        + ", policy '" + genesis.policy().getName() + "'";
  }
}
