package dev.veilraft.simulator.cluster;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.InsecureFileOffsetClock;
import dev.veilraft.simulator.net.NetworkControl;
import dev.veilraft.simulator.net.ProxyNetwork;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One JVM per node, launched from the node jar as an operator would ({@code veilraft node start}
 * or {@code node join}). A crash is SIGKILL, a pause SIGSTOP/SIGCONT. With proxies, every node's
 * Raft traffic to every peer passes through that link's {@link ProxyNetwork} proxy, so partitions,
 * delay and loss act on the real gRPC transport. Clock skew would need a node option (see the
 * simulator README), so this mode cannot skew clocks.
 */
public final class ProcessCluster implements SimCluster {
  /** How long a node may take to print READY or FAILED. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  /**
   * How long a node halted on a full disk may take to end its process: it closes its servers
   * first, and halts without them after VeilraftNode.DISK_FAILURE_EXIT_BOUND (30 s).
   */
  static final Duration DISK_FAILURE_EXIT_WAIT = Duration.ofSeconds(45);
  /** How long a node that printed FAILED may take to exit by itself before it is killed. */
  static final Duration FAILED_EXIT_WAIT = Duration.ofSeconds(10);
  /** JVM options of every node: small heaps, so nine nodes fit on a laptop; none changes the measurement. */
  static final List<String> JVM_OPTIONS = List.of("-Xmx320m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  private static final long POLL_MS = 50;

  private final SimLayout layout;
  private final Path nodeJar;
  private final ProxyNetwork network;
  private final Path hostsDir;
  private final Process[] processes;
  private final Object[] slotLocks;
  private final StatusClient statusClient;

  private volatile DiskMounts disks;
  private volatile boolean clockSkew;

  private ProcessCluster(SimLayout layout, Path nodeJar, ProxyNetwork network, Path hostsDir) {
    this.layout = layout;
    this.nodeJar = nodeJar;
    this.network = network;
    this.hostsDir = hostsDir;
    this.statusClient = new StatusClient(java.util.Set.copyOf(layout.nodeIds()));
    this.processes = new Process[layout.slots()];
    this.slotLocks = new Object[layout.slots()];
    for (int i = 0; i < slotLocks.length; i++) {
      slotLocks[i] = new Object();
    }
  }

  /**
   * Lays out {@code members + spares} slots under {@code root} for nodes launched from
   * {@code nodeJar}; with {@code proxies}, Raft traffic goes through a proxy per directed link.
   */
  public static ProcessCluster create(Path root, int members, int spares, Path nodeJar, boolean proxies, long seed)
      throws IOException {
    if (!Files.isRegularFile(nodeJar)) {
      throw new IOException("node jar " + nodeJar + " does not exist (build it: mvn -q -DskipTests package -pl node)");
    }
    // A private copy: a rebuild of the original during the run must not change the code a restarted node runs.
    Path copy = root.resolve("node.jar");
    Files.createDirectories(root);
    Files.copy(nodeJar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    nodeJar = copy;
    byte[] measurement = CodeMeasurement.ofJar(nodeJar, List.of());
    SimLayout layout = SimLayout.create(root, members, spares, measurement,
        slot -> proxies ? ProxyNetwork.hostName(slot) : ProxyNetwork.BIND_ADDRESS);
    ProxyNetwork network = null;
    Path hostsDir = root.resolve("hosts");
    if (proxies) {
      int[] ports = new int[layout.slots()];
      for (int i = 0; i < ports.length; i++) {
        ports[i] = layout.config(i).raft().port();
      }
      network = ProxyNetwork.start(ports, hostsDir, seed);
    }
    return new ProcessCluster(layout, nodeJar, network, hostsDir);
  }

  /**
   * Puts every slot's data directory on a size-limited tmpfs ({@link DiskMounts}), before any node
   * starts, so the {@code disk} fault can fill a node's disk; {@link #close} undoes it.
   */
  public void enableDiskFaults() throws SimException {
    disks = new DiskMounts();
    for (int slot = 0; slot < layout.slots(); slot++) {
      disks.mount(dataDir(slot));
    }
  }

  @Override
  public boolean canFillDisk() {
    return disks != null;
  }

  @Override
  public long fillDisk(int slot) throws SimException {
    if (disks == null) {
      throw new SimException("UNSUPPORTED", "this cluster's disks are not size-limited (enableDiskFaults was not called)");
    }
    return disks.fill(dataDir(slot));
  }

  @Override
  public void freeDisk(int slot) throws SimException, InterruptedException {
    if (disks == null) {
      return;
    }
    disks.free(dataDir(slot));
    // A node ending itself closes its API first: no status can mean "exiting" as well as "busy".
    // Wait (bounded) until it ended or answers as a node that did not halt on its disk.
    Process process = processes[slot];
    long deadline = System.nanoTime() + DISK_FAILURE_EXIT_WAIT.toNanos();
    while (process != null && process.isAlive() && System.nanoTime() < deadline) {
      Optional<NodeStatus> status = status(slot);
      if (status.isPresent() && !status.get().haltedOnDiskFailure()) {
        return;
      }
      process.waitFor(POLL_MS, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public Optional<Integer> exitStatus(int slot) {
    Process process = processes[slot];
    return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
  }

  @Override
  public String mode() {
    return "processes";
  }

  @Override
  public SimLayout layout() {
    return layout;
  }

  public Path nodeJar() {
    return nodeJar;
  }

  /** The process of a running slot (its pid goes into cluster.json). */
  public Optional<Process> process(int slot) {
    return Optional.ofNullable(processes[slot]).filter(Process::isAlive);
  }

  @Override
  public void startAll() throws SimException, InterruptedException {
    for (int i = 0; i < layout.members(); i++) {
      start(i);
    }
  }

  @Override
  public void start(int slot) throws SimException, InterruptedException {
    Process process;
    Path log = logOf(slot);
    long offset;
    synchronized (slotLocks[slot]) {
      if (running(slot)) {
        return;
      }
      Optional<Integer> peer = peerFor(slot);
      boolean member = Files.isDirectory(layout.config(slot).dataDir().resolve("raft"));
      if (peer.isEmpty() && slot != 0 && !member) {
        throw new SimException("NO_PEER", SimLayout.name(slot) + " has never joined and no member runs to join through");
      }
      List<String> command = new ArrayList<>();
      command.add(javaExecutable());
      command.addAll(JVM_OPTIONS);
      if (network != null) {
        command.add("-Djdk.net.hosts.file=" + ProxyNetwork.hostsFile(hostsDir, slot));
      }
      if (clockSkew) {
        // The node's INSECURE clock-offset hook (simulations with skew only): skewClock writes this file.
        command.add("-D" + InsecureFileOffsetClock.PROPERTY + "=" + clockOffsetFile(slot));
      }
      command.addAll(List.of("-cp", nodeJar.toString(), "dev.veilraft.node.cli.Main", "node"));
      String configFile = layout.configFile(slot).toString();
      command.addAll(peer.isEmpty() ? List.of("start", "--config", configFile)
          : List.of("join", "--config", configFile, "--peer", layout.api(peer.get()).toString()));
      try {
        offset = Files.exists(log) ? Files.size(log) : 0;
        process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
      } catch (IOException e) {
        throw new SimException("LAUNCH_FAILED", "cannot launch " + SimLayout.name(slot) + ": " + e.getMessage(), e);
      }
      processes[slot] = process;
    }
    String outcome = awaitOutcome(process, log, offset);
    if (outcome == null || !outcome.startsWith("READY ")) {
      if (outcome != null) {
        // A node that printed FAILED exits by itself, with a status that says why (74: its disk).
        process.waitFor(FAILED_EXIT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      }
      process.destroyForcibly();
      String reason = outcome == null ? (process.isAlive() ? "no READY line within " + START_TIMEOUT
          : "exited with " + process.exitValue()) + "; see " + log : outcome.substring("FAILED ".length());
      String code = outcome == null ? "START_FAILED" : reason.split(" ", 2)[0];
      throw new SimException(code, SimLayout.name(slot) + " did not start: " + reason);
    }
  }

  private Optional<Integer> peerFor(int slot) {
    Optional<Integer> leader = leader().filter(l -> l != slot);
    if (leader.isPresent()) {
      return leader;
    }
    for (int i = 0; i < processes.length; i++) {
      if (i != slot && running(i)) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  /** The READY or FAILED line the node printed after {@code offset} of its log, or null when it died silent. */
  private static String awaitOutcome(Process process, Path log, long offset) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      String line = statusLine(log, offset);
      if (line != null) {
        return line;
      }
      if (!process.isAlive()) {
        return statusLine(log, offset);
      }
      Thread.sleep(POLL_MS);
    }
    return null;
  }

  private static String statusLine(Path log, long offset) {
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      if (file.length() <= offset) {
        return null;
      }
      byte[] tail = new byte[(int) Math.min(file.length() - offset, 4 << 20)];
      file.seek(offset);
      file.readFully(tail);
      String found = null;
      for (String line : new String(tail, StandardCharsets.UTF_8).split("\n")) {
        if (line.startsWith("READY ") || line.startsWith("FAILED ")) {
          found = line.strip();
        }
      }
      return found;
    } catch (IOException e) {
      return null;
    }
  }

  @Override
  public void crash(int slot) throws InterruptedException {
    Process process = processes[slot];
    if (process != null) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  /** Stops a node politely (SIGTERM), as {@code local down} does. */
  public void stop(int slot) throws InterruptedException {
    Process process = processes[slot];
    if (process != null) {
      process.destroy();
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
  }

  @Override
  public boolean running(int slot) {
    Process p = processes[slot];
    return p != null && p.isAlive();
  }

  @Override
  public Optional<NodeStatus> status(int slot) {
    if (!running(slot)) {
      return Optional.empty();
    }
    return statusClient.fetch(layout.api(slot), layout.nodeIds().get(slot));
  }

  @Override
  public Optional<Integer> leader() {
    for (int i = 0; i < processes.length; i++) {
      Optional<NodeStatus> s = status(i);
      if (s.isPresent() && s.get().leader()) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<NetworkControl> network() {
    return Optional.ofNullable(network);
  }

  @Override
  public boolean canPause() {
    return true;
  }

  @Override
  public void pause(int slot) throws SimException {
    signal(slot, "STOP");
  }

  @Override
  public void resume(int slot) throws SimException {
    signal(slot, "CONT");
  }

  @Override
  public String dumpThreads(int slot) {
    try {
      signal(slot, "QUIT");
      return "thread dump in " + logOf(slot);
    } catch (SimException e) {
      return "no thread dump: " + e.getMessage();
    }
  }

  private void signal(int slot, String signal) throws SimException {
    Process p = processes[slot];
    if (p == null || !p.isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new SimException("SIGNAL_FAILED", "kill -" + signal + " " + p.pid() + " failed");
      }
    } catch (IOException e) {
      throw new SimException("SIGNAL_FAILED", "cannot run kill -" + signal + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SimException("SIGNAL_FAILED", "interrupted", e);
    }
  }

  @Override
  public boolean canSkewClock() {
    return clockSkew;
  }

  /**
   * Starts every node from now on with the INSECURE clock-offset hook, so {@link #skewClock}
   * works; only simulations with skew call it (local clusters keep real clocks).
   */
  public void enableClockSkew() {
    clockSkew = true;
  }

  /** Where slot's node reads its clock offset (outside its data directory, so the disk scan skips it). */
  Path clockOffsetFile(int slot) {
    return layout.cluster().root().resolve(SimLayout.name(slot) + ".clock-offset-ms");
  }

  /**
   * Writes the offset the node's INSECURE clock hook reads (it re-reads within about 100 ms);
   * written to a temporary file and moved, so the node never reads half a number.
   */
  @Override
  public void skewClock(int slot, Duration offset) throws SimException {
    if (!clockSkew) {
      throw new SimException("UNSUPPORTED", "nodes were started without the clock-offset hook (enableClockSkew)");
    }
    Path file = clockOffsetFile(slot);
    Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.writeString(temporary, Long.toString(offset.toMillis()));
      Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.io.IOException e) {
      throw new SimException("SKEW_FAILED", "cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Path logOf(int slot) {
    return layout.cluster().root().resolve(SimLayout.name(slot) + ".log");
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      Process p = processes[i];
      if (p != null && p.isAlive()) {
        try {
          resume(i);
        } catch (SimException e) {
          // Killing it anyway.
        }
        p.destroyForcibly();
      }
    }
    for (Process p : processes) {
      if (p != null) {
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    if (network != null) {
      network.close();
    }
    if (disks != null) {
      // Every tmpfs goes, also after a failed run; what cannot be undone is said, with the mount point.
      disks.unmountAll().forEach(problem -> System.err.println("simulate: " + problem));
    }
  }

  static String javaExecutable() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
