package dev.veilraft.node.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.node.Await;
import dev.veilraft.node.demo.KvWorkload;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Three veilraft nodes on three hosts over a real network, without Docker: Linux network
 * namespaces joined by veth pairs and a bridge, with tc netem delay where the kernel has it (see
 * {@link NetnsTopology}). Every step runs the container image's scripts from docker/bin against
 * the packaged jar: the simulated-TEE setup (operator keys, a genesis all operators signed,
 * endorsements), then the node runner in each namespace. The cluster forms through joins; a client
 * in the root namespace writes through the bridge; the leader's host is cut off and restored; then
 * every write the cluster acknowledged must be readable through every node, the restored one too.
 *
 * <p>Needs root and the {@code ip} and {@code tc} commands: CI runs it as root; elsewhere it skips
 * with the reason (under CI=true it fails instead). Every namespace, link and process it creates is
 * removed after the tests, on failure too, and at JVM exit should the JVM be stopped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiHostIT {
  private static final Logger LOG = LoggerFactory.getLogger(MultiHostIT.class);
  static final int HOSTS = 3;
  static final int RAFT_PORT = 7001;
  static final int API_PORT = 8443;
  static final Duration SETUP_TIMEOUT = Duration.ofMinutes(5);
  static final Duration NODE_START_TIMEOUT = Duration.ofMinutes(3);
  static final Duration CLUSTER_SETTLE_TIMEOUT = Duration.ofMinutes(2);
  static final Duration PHASE_TIMEOUT = Duration.ofMinutes(3);
  static final Duration CATCH_UP_TIMEOUT = Duration.ofMinutes(3);
  /** Writes acknowledged before the cut, while the leader's host is cut off, and after it is back. */
  static final int WRITES_BEFORE = 60;
  static final int WRITES_DURING = 60;
  static final int WRITES_AFTER = 30;
  static final int IN_FLIGHT_MAX = 8;
  static final int LOG_TAIL_LINES = 40;
  /**
   * Node JVMs: small heaps for a shared 2-core CI machine, and C1 only (a test node lives about a
   * minute: C2's compilations cost more CPU than they save); none of these options changes the
   * measurement.
   */
  static final String NODE_JAVA_OPTIONS = "-Xmx320m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
  /**
   * The setup's CLI calls are short-lived JVMs, but not C1-only: 'genesis create' generates the
   * simulated vendor's two RSA-4096 keys, whose BigInteger arithmetic is intrinsified only by C2
   * (measured: 12 to 18 s of CPU with C1 alone, 4 s with C2).
   */
  static final String CLI_JAVA_OPTIONS = "-XX:+UseSerialGC";
  private static final Pattern SETUP_OK = Pattern.compile("(?m)^SETUP OK .* measurement=([0-9a-f]{96})$");
  private static final Pattern READY = Pattern.compile(
      "(?m)^READY node=([0-9a-f]+) api=(\\S+) epoch=([0-9]+) measurement=([0-9a-f]{96})$");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path work;

  private Path ip;
  private NetnsTopology topology;
  private final List<Process> nodes = new CopyOnWriteArrayList<>();
  private final Map<Integer, String> readyLines = new ConcurrentHashMap<>();
  private Thread cleanupAtExit;
  private String allowedMeasurement;
  private GenesisDocument genesis;

  @BeforeAll
  void startThreeHosts() throws Exception {
    requirePrivileges();
    NetnsTopology.removeLeftovers(ip);
    topology = NetnsTopology.create(ip, HostCommands.executable("tc").orElseThrow(), HOSTS);
    cleanupAtExit = new Thread(this::stopEverything, "multihost-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanupAtExit);
    LOG.info("hosts {} .. {}, traffic shaping: {}", topology.address(1), topology.address(HOSTS), topology.shaping());

    List<Path> configs = new ArrayList<>();
    for (int host = 1; host <= HOSTS; host++) {
      configs.add(writeNodeConfig(host));
    }
    HostCommands.Result setup = HostCommands.run(List.of(script("veilraft-setup-simulated")), Map.of(
        "VEILRAFT_NODE_CONFIGS", String.join(" ", configs.stream().map(Path::toString).toList()),
        "VEILRAFT_CLUSTER_NAME", "multihost",
        "VEILRAFT_CLUSTER_DIR", work.resolve("cluster").toString(),
        "VEILRAFT_OPERATORS_DIR", work.resolve("operators").toString(),
        "VEILRAFT_JAR", nodeJar().toString(),
        "JAVA", HostCommands.javaExecutable().toString(),
        "VEILRAFT_JAVA_OPTS", CLI_JAVA_OPTIONS), SETUP_TIMEOUT);
    Matcher ok = SETUP_OK.matcher(setup.output());
    assertThat(setup.ok() && ok.find()).as("setup: %s", setup.describe()).isTrue();
    allowedMeasurement = ok.group(1);
    genesis = GenesisDocument.read(work.resolve("cluster").resolve("genesis.bin"));

    LOG.info("setup done: genesis signed by 3 operators, 3 nodes endorsed, measurement {}", allowedMeasurement);

    // As in compose.yaml: node1 founds the cluster, then node2 and node3 join through it at the same time.
    awaitReady(1, launchNode(1, configs.get(0), null));
    Map<Integer, Process> joiners = new HashMap<>();
    for (int host = 2; host <= HOSTS; host++) {
      joiners.put(host, launchNode(host, configs.get(host - 1), api(1)));
    }
    for (Map.Entry<Integer, Process> joiner : joiners.entrySet()) {
      awaitReady(joiner.getKey(), joiner.getValue());
    }
    LOG.info("cluster formed: {}", readyLines.values());
  }

  @AfterAll
  void stopEverything() {
    for (Process node : nodes) {
      node.destroy();
    }
    for (Process node : nodes) {
      try {
        if (!node.waitFor(15, TimeUnit.SECONDS)) {
          node.destroyForcibly();
        }
      } catch (InterruptedException e) {
        node.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    if (topology != null) {
      topology.close();
    }
    if (cleanupAtExit != null && Thread.currentThread() != cleanupAtExit) {
      try {
        Runtime.getRuntime().removeShutdownHook(cleanupAtExit);
      } catch (IllegalStateException shuttingDown) {
        // The hook is running or about to: it does the same, idempotently.
      }
    }
  }

  @Test
  @Order(1)
  void clusterFormsThroughJoinsAcrossHosts() throws Exception {
    // node1 founded the cluster (epoch 1) and node2 and node3 joined it through node1's address on the bridge;
    // each reports the measurement 'veilraft measure JAR' printed for the setup, and a client in the root
    // namespace verifies three members and a group key rotated since the founding.
    for (int host = 1; host <= HOSTS; host++) {
      Matcher ready = READY.matcher(readyLines.get(host));
      assertThat(ready.find()).isTrue();
      assertThat(ready.group(2)).isEqualTo(api(host).toString());
      assertThat(ready.group(4)).as("node%d's measurement", host).isEqualTo(allowedMeasurement);
    }
    Matcher founder = READY.matcher(readyLines.get(1));
    assertThat(founder.find() && founder.group(3).equals("1")).as("node1 founded at epoch 1").isTrue();
    VeilraftClient client = connect(2);
    assertThat(client.cluster().body().getMembersCount()).isEqualTo(HOSTS);
    // Two joins at once may share one rotation: each joiner's 'ready' rotates unless an epoch followed its admission.
    assertThat(client.cluster().body().getEpoch()).isGreaterThanOrEqualTo(2);
  }

  @Test
  @Order(2)
  void acknowledgedWritesSurviveCuttingTheLeadersHost() throws Exception {
    // With the leader's host cut off, the other two elect a new leader and keep accepting writes; after the link
    // is back, every write that was acknowledged before, during or after the cut is readable through every node.
    int leader = awaitLeader(Set.of(1, 2, 3));
    awaitMetric(leader, "veilraft_voters", HOSTS);
    int through = leader == 1 ? 2 : 1;
    KvWriter writer = new KvWriter(connect(through), IN_FLIGHT_MAX);
    assertThat(writer.writeUntilAcknowledged(WRITES_BEFORE, PHASE_TIMEOUT)).as("writes before the cut").isTrue();

    topology.cut(leader);
    LOG.info("cut host {} (the leader) off the network; writing through node{}", leader, through);
    try {
      List<Integer> others = new ArrayList<>(List.of(1, 2, 3));
      others.remove(Integer.valueOf(leader));
      int newLeader = awaitLeader(Set.copyOf(others));
      assertThat(newLeader).isNotEqualTo(leader);
      assertThat(writer.writeUntilAcknowledged(WRITES_BEFORE + WRITES_DURING, PHASE_TIMEOUT))
          .as("writes while host %d is cut off", leader).isTrue();
    } finally {
      topology.restore(leader);
    }
    LOG.info("restored host {}", leader);
    assertThat(writer.writeUntilAcknowledged(WRITES_BEFORE + WRITES_DURING + WRITES_AFTER, PHASE_TIMEOUT))
        .as("writes after the link is back").isTrue();
    Map<Integer, byte[]> acknowledged = writer.finish(PHASE_TIMEOUT);
    LOG.info("{} writes acknowledged, {} failed (sent while the cluster was electing)", acknowledged.size(),
        writer.failures());

    for (int host = 1; host <= HOSTS; host++) {
      int node = host;
      List<String> lost = new ArrayList<>();
      boolean allRead = Await.until(() -> missingThrough(node, acknowledged, lost), CATCH_UP_TIMEOUT);
      assertThat(allRead).as("through node%d every acknowledged write is readable; missing: %s", node, lost).isTrue();
    }
  }

  /** True when every acknowledged write reads back through {@code host}; otherwise lists the missing keys. */
  private boolean missingThrough(int host, Map<Integer, byte[]> acknowledged, List<String> missing) {
    missing.clear();
    try {
      VeilraftClient client = connect(host);
      for (Map.Entry<Integer, byte[]> write : acknowledged.entrySet()) {
        KvResponse read = KvResponse.parseFrom(client.query(KvApp.NAME,
            KvRequests.get(KvWorkload.key(write.getKey())).toByteArray()));
        if (!read.getFound() || !Arrays.equals(read.getValue().toByteArray(), write.getValue())) {
          missing.add("key " + write.getKey() + (read.getFound() ? " (another value)" : " (not found)"));
        }
      }
    } catch (Exception e) {
      missing.add("node" + host + " unreachable: " + e.getMessage());
    }
    return missing.isEmpty();
  }

  private void requirePrivileges() throws IOException {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      HostCommands.unavailable("MultiHostIT needs Linux network namespaces");
    }
    Optional<Path> ipCommand = HostCommands.executable("ip");
    if (ipCommand.isEmpty() || HostCommands.executable("tc").isEmpty()) {
      HostCommands.unavailable("MultiHostIT needs the 'ip' and 'tc' commands (iproute2)");
    }
    ip = ipCommand.get();
    if (!"0".equals(HostCommands.run(List.of("id", "-u"), Map.of(), NetnsTopology.COMMAND_TIMEOUT).output().strip())) {
      HostCommands.unavailable("MultiHostIT needs root to create network namespaces (CI runs it as root)");
    }
    String probe = "vr" + ProcessHandle.current().pid() + "-probe";
    HostCommands.Result added = HostCommands.run(List.of(ip.toString(), "netns", "add", probe), Map.of(),
        NetnsTopology.COMMAND_TIMEOUT);
    HostCommands.run(List.of(ip.toString(), "netns", "del", probe), Map.of(), NetnsTopology.COMMAND_TIMEOUT);
    if (!added.ok()) {
      HostCommands.unavailable("this machine refuses network namespaces even to root: " + added.describe());
    }
    assertThat(nodeJar()).as("the node jar is built in the package phase").isRegularFile();
  }

  private Path writeNodeConfig(int host) throws IOException {
    String address = topology.address(host);
    Path file = work.resolve("node" + host + ".yaml");
    Files.writeString(file, String.join("\n",
        "# host " + host + " of MultiHostIT, in namespace " + topology.namespace(host),
        "dataDir: " + work.resolve("node" + host),
        "genesis: " + work.resolve("cluster").resolve("genesis.bin"),
        "raft: { host: " + address + ", port: " + RAFT_PORT + " }",
        "api: { host: " + address + ", port: " + API_PORT + " }",
        "platform: simulated",
        "simulated: { vendorDir: " + work.resolve("cluster").resolve("sim-vendor") + " }",
        ""));
    return file;
  }

  /** Runs the image's node runner (docker/bin/veilraft-node) in host {@code host}'s namespace. */
  private Process launchNode(int host, Path config, URI peer) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(ip.toString(), "netns", "exec", topology.namespace(host),
        script("veilraft-node")).redirectErrorStream(true).redirectOutput(log(host).toFile());
    Map<String, String> env = builder.environment();
    env.put("VEILRAFT_CONFIG", config.toString());
    env.put("VEILRAFT_JAR", nodeJar().toString());
    env.put("JAVA", HostCommands.javaExecutable().toString());
    env.put("VEILRAFT_JAVA_OPTS", NODE_JAVA_OPTIONS);
    env.put("VEILRAFT_ENDORSEMENT_WAIT_S", "0");
    if (peer != null) {
      env.put("VEILRAFT_PEER", peer.toString());
    }
    Process process = builder.start();
    nodes.add(process);
    return process;
  }

  /** Waits for the node's READY line (or its FAILED line, or its exit: then the test fails with the line). */
  private void awaitReady(int host, Process process) throws InterruptedException {
    Path log = log(host);
    String[] outcome = new String[1];
    boolean answered = Await.until(() -> {
      outcome[0] = statusLine(log);
      return outcome[0] != null || !process.isAlive();
    }, NODE_START_TIMEOUT);
    outcome[0] = outcome[0] != null ? outcome[0] : statusLine(log);
    assertThat(outcome[0]).as("node%d answered within %s (%s); end of %s:%n%s", host, NODE_START_TIMEOUT,
        answered ? "it exited" : "no answer", log, tail(log)).isNotNull().startsWith("READY ");
    readyLines.put(host, outcome[0]);
  }

  private static Path log(int host) {
    return work.resolve("node" + host + ".log");
  }

  /** The last lines of a node's log, for a failure message (CI keeps no temporary directories). */
  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static String statusLine(Path log) {
    try {
      return Files.readAllLines(log).stream().filter(l -> l.startsWith("READY ") || l.startsWith("FAILED "))
          .reduce((a, b) -> b).orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  /** Waits until exactly one of {@code hosts} reports itself leader, and returns it. */
  private int awaitLeader(Set<Integer> hosts) throws InterruptedException {
    int[] leader = new int[1];
    boolean found = Await.until(() -> {
      List<Integer> leaders = hosts.stream().filter(h -> NodeMetricsProbe.value(api(h), "veilraft_is_leader") == 1)
          .toList();
      leader[0] = leaders.size() == 1 ? leaders.get(0) : 0;
      return leader[0] != 0;
    }, CLUSTER_SETTLE_TIMEOUT);
    assertThat(found).as("one leader among hosts %s", hosts).isTrue();
    return leader[0];
  }

  private void awaitMetric(int host, String metric, double expected) throws InterruptedException {
    assertThat(Await.until(() -> NodeMetricsProbe.value(api(host), metric) == expected, CLUSTER_SETTLE_TIMEOUT))
        .as("node%d reports %s %s", host, metric, expected).isTrue();
  }

  private VeilraftClient connect(int host) throws Exception {
    return VeilraftClient.connect(api(host), genesis.policy(), new AttestationVerifier(), Clock.systemUTC(),
        genesis.clusterId());
  }

  private URI api(int host) {
    return URI.create("https://" + topology.address(host) + ":" + API_PORT);
  }

  private static String script(String name) {
    return HostCommands.dockerDir().resolve("bin").resolve(name).toString();
  }

  private static Path nodeJar() {
    return HostCommands.repositoryRoot().resolve("node").resolve("target").resolve("veilraft.jar");
  }
}
