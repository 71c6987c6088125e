package dev.veilraft.node.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts for MultiHostIT: one Linux network namespace per host, each joined to a bridge in the root
 * namespace by a veth pair, so the test JVM (root namespace) reaches every host through the bridge
 * and the hosts reach each other through it. Names carry this JVM's pid ({@code vr<pid>-n1},
 * {@code vr<pid>br}, {@code vr<pid>h1}), so concurrent runs never collide, and the subnet is one
 * that no interface of the machine uses yet.
 *
 * <p>{@link #close()} removes every namespace, link and process it created and may be called any
 * number of times; {@link #removeLeftovers} removes what earlier runs whose JVM is gone left
 * behind (a crashed run must not break the next one).
 */
final class NetnsTopology implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(NetnsTopology.class);
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);
  /** Injected one-way delay per host, and its jitter, where the kernel has netem. */
  static final String NETEM_DELAY = "20ms";
  static final String NETEM_JITTER = "5ms";
  /** Without netem (kernels built without CONFIG_NET_SCH_NETEM) each host's link is rate-limited instead. */
  static final String TBF_RATE = "50mbit";
  /** Candidate subnets are 10.213.N.0/24; the bridge takes .1 and host i takes .(10 + i). */
  static final String SUBNET_PREFIX = "10.213.";
  static final int SUBNETS = 250;
  private static final Pattern OUR_NAMESPACE = Pattern.compile("vr(\\d+)-n\\d+");
  private static final Pattern OUR_LINK = Pattern.compile("vr(\\d+)(?:br|h\\d+)");

  private final Path ip;
  private final Path tc;
  private final String prefix;
  private final String subnet;
  private final int hosts;
  private String shaping = "none";
  private boolean closed;

  private NetnsTopology(Path ip, Path tc, int hosts, String subnet) {
    this.ip = ip;
    this.tc = tc;
    this.prefix = "vr" + ProcessHandle.current().pid();
    this.hosts = hosts;
    this.subnet = subnet;
  }

  /** Creates {@code hosts} namespaces on a fresh subnet; on any failure removes what it made and throws. */
  static NetnsTopology create(Path ip, Path tc, int hosts) throws IOException {
    NetnsTopology topology = new NetnsTopology(ip, tc, hosts, freeSubnet(ip));
    try {
      topology.build();
      return topology;
    } catch (IOException | RuntimeException e) {
      topology.close();
      throw e;
    }
  }

  String namespace(int host) {
    return prefix + "-n" + host;
  }

  /** The address of host {@code host} (1-based). */
  String address(int host) {
    return subnet + (10 + host);
  }

  /** How traffic between hosts is shaped: netem delay, or a tbf rate limit when the kernel has no netem. */
  String shaping() {
    return shaping;
  }

  private String bridge() {
    return prefix + "br";
  }

  private String hostSide(int host) {
    return prefix + "h" + host;
  }

  private String namespaceSide(int host) {
    return prefix + "c" + host;
  }

  private void build() throws IOException {
    ip("link", "add", bridge(), "type", "bridge");
    ip("addr", "add", subnet + "1/24", "dev", bridge());
    ip("link", "set", bridge(), "up");
    for (int host = 1; host <= hosts; host++) {
      String ns = namespace(host);
      ip("netns", "add", ns);
      ip("link", "add", hostSide(host), "type", "veth", "peer", "name", namespaceSide(host));
      ip("link", "set", namespaceSide(host), "netns", ns);
      ip("link", "set", hostSide(host), "master", bridge());
      ip("link", "set", hostSide(host), "up");
      ip("-n", ns, "link", "set", "lo", "up");
      ip("-n", ns, "addr", "add", address(host) + "/24", "dev", namespaceSide(host));
      ip("-n", ns, "link", "set", namespaceSide(host), "up");
      shape(host);
    }
  }

  /** Delays every packet a host sends (netem), or rate-limits it where this kernel has no netem. */
  private void shape(int host) throws IOException {
    List<String> device = List.of("dev", namespaceSide(host), "root");
    HostCommands.Result netem = tc(host, concat(List.of("qdisc", "add"), device,
        List.of("netem", "delay", NETEM_DELAY, NETEM_JITTER)));
    if (netem.ok()) {
      shaping = "netem delay " + NETEM_DELAY + " ± " + NETEM_JITTER + " per host";
      return;
    }
    if (!netem.output().contains("qdisc kind is unknown")) {
      throw new IOException("tc netem failed: " + netem.describe());
    }
    HostCommands.Result tbf = tc(host, concat(List.of("qdisc", "add"), device,
        List.of("tbf", "rate", TBF_RATE, "burst", "64kb", "latency", "100ms")));
    if (!tbf.ok()) {
      throw new IOException("tc tbf failed (and this kernel has no netem): " + tbf.describe());
    }
    shaping = "tbf rate " + TBF_RATE + " per host (this kernel has no netem, so no delay is injected)";
  }

  /** Cuts host {@code host} off the network: its link to the bridge goes down, both directions. */
  void cut(int host) throws IOException {
    ip("link", "set", hostSide(host), "down");
  }

  /** Undoes {@link #cut}. */
  void restore(int host) throws IOException {
    ip("link", "set", hostSide(host), "up");
  }

  /** Removes every namespace (and the processes still in it), link and the bridge of this topology. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int host = 1; host <= hosts; host++) {
      removeNamespace(ip, namespace(host));
      removeLink(ip, hostSide(host));
    }
    removeLink(ip, bridge());
  }

  /**
   * Removes the namespaces and links of earlier runs whose JVM no longer runs, and the node processes
   * those runs left inside their namespaces.
   */
  static void removeLeftovers(Path ip) throws IOException {
    for (String line : HostCommands.run(List.of(ip.toString(), "netns", "list"), Map.of(), COMMAND_TIMEOUT)
        .output().lines().toList()) {
      String name = line.split("\\s+")[0];
      if (ownedByAGoneRun(OUR_NAMESPACE.matcher(name))) {
        LOG.info("removing namespace {} left by an earlier run", name);
        removeNamespace(ip, name);
      }
    }
    for (String line : HostCommands.run(List.of(ip.toString(), "-o", "link", "show"), Map.of(), COMMAND_TIMEOUT)
        .output().lines().toList()) {
      String[] fields = line.split(":\\s+");
      if (fields.length > 1) {
        String name = fields[1].split("@")[0];
        if (ownedByAGoneRun(OUR_LINK.matcher(name))) {
          LOG.info("removing link {} left by an earlier run", name);
          removeLink(ip, name);
        }
      }
    }
  }

  private static boolean ownedByAGoneRun(Matcher name) {
    if (!name.matches()) {
      return false;
    }
    long pid = Long.parseLong(name.group(1));
    return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).isEmpty();
  }

  /** Kills what runs in the namespace (node JVMs this test started), then deletes it; absent is fine. */
  private static void removeNamespace(Path ip, String name) {
    try {
      HostCommands.Result pids = HostCommands.run(List.of(ip.toString(), "netns", "pids", name), Map.of(),
          COMMAND_TIMEOUT);
      if (pids.ok()) {
        for (String pid : pids.output().lines().map(String::strip).filter(s -> s.matches("\\d+")).toList()) {
          ProcessHandle.of(Long.parseLong(pid)).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      HostCommands.Result deleted = HostCommands.run(List.of(ip.toString(), "netns", "del", name), Map.of(),
          COMMAND_TIMEOUT);
      if (!deleted.ok() && !deleted.output().contains("No such file")) {
        LOG.warn("could not delete namespace {}: {}", name, deleted.describe());
      }
    } catch (IOException e) {
      LOG.warn("could not delete namespace {}: {}", name, e.getMessage());
    }
  }

  private static void removeLink(Path ip, String name) {
    try {
      HostCommands.Result deleted = HostCommands.run(List.of(ip.toString(), "link", "del", name), Map.of(),
          COMMAND_TIMEOUT);
      if (!deleted.ok() && !deleted.output().contains("Cannot find device")) {
        LOG.warn("could not delete link {}: {}", name, deleted.describe());
      }
    } catch (IOException e) {
      LOG.warn("could not delete link {}: {}", name, e.getMessage());
    }
  }

  /** A 10.213.N.0/24 that no address or route of the machine touches; N starts from this JVM's pid. */
  private static String freeSubnet(Path ip) throws IOException {
    String inUse = HostCommands.run(List.of(ip.toString(), "-4", "-o", "addr", "show"), Map.of(), COMMAND_TIMEOUT)
        .output() + HostCommands.run(List.of(ip.toString(), "-4", "route", "show"), Map.of(), COMMAND_TIMEOUT).output();
    long start = ProcessHandle.current().pid();
    for (int i = 0; i < SUBNETS; i++) {
      String candidate = SUBNET_PREFIX + ((start + i) % SUBNETS) + ".";
      if (!inUse.contains(candidate)) {
        return candidate;
      }
    }
    throw new IOException("no free subnet " + SUBNET_PREFIX + "N.0/24 on this machine");
  }

  private void ip(String... arguments) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ip.toString());
    command.addAll(List.of(arguments));
    HostCommands.Result result = HostCommands.run(command, Map.of(), COMMAND_TIMEOUT);
    if (!result.ok()) {
      throw new IOException(result.describe());
    }
  }

  private HostCommands.Result tc(int host, List<String> arguments) throws IOException {
    return HostCommands.run(concat(List.of(ip.toString(), "netns", "exec", namespace(host), tc.toString()), arguments),
        Map.of(), COMMAND_TIMEOUT);
  }

  @SafeVarargs
  private static List<String> concat(List<String>... parts) {
    List<String> all = new ArrayList<>();
    for (List<String> part : parts) {
      all.addAll(part);
    }
    return all;
  }
}
