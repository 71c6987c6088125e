package dev.veilraft.simulator.cluster;

import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.simulator.net.NetworkControl;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Every node in this JVM: real Ratis servers, RocksDB stores and HTTPS APIs on loopback, each node
 * with its own clock (so its clock can be skewed). A crash stops the node abruptly but inside one
 * JVM it still closes its files; pauses and per-link network faults need a process per node
 * ({@link ProcessCluster}): in one JVM every node shares one resolver and one source address, so
 * a proxy cannot tell which node dials it.
 */
public final class InJvmCluster implements SimCluster {
  private final SimLayout layout;
  private final VeilraftNode[] nodes;
  private final SkewableClock[] clocks;
  private final Object[] slotLocks;

  private InJvmCluster(SimLayout layout) {
    this.layout = layout;
    int slots = layout.slots();
    this.nodes = new VeilraftNode[slots];
    this.clocks = new SkewableClock[slots];
    this.slotLocks = new Object[slots];
    for (int i = 0; i < slots; i++) {
      clocks[i] = new SkewableClock();
      slotLocks[i] = new Object();
    }
  }

  /** Lays out {@code members + spares} slots under {@code root} for the code this JVM runs. */
  public static InJvmCluster create(Path root, int members, int spares) throws IOException {
    byte[] measurement = CodeMeasurement.ofRunningCode(VeilraftNode.class);
    return new InJvmCluster(SimLayout.create(root, members, spares, measurement, slot -> "127.0.0.1"));
  }

  @Override
  public String mode() {
    return "in-jvm";
  }

  @Override
  public SimLayout layout() {
    return layout;
  }

  @Override
  public void startAll() throws SimException, InterruptedException {
    for (int i = 0; i < layout.members(); i++) {
      start(i);
    }
  }

  @Override
  public void start(int slot) throws SimException, InterruptedException {
    synchronized (slotLocks[slot]) {
      if (nodes[slot] != null) {
        return;
      }
      Optional<Integer> peer = peerFor(slot);
      if (peer.isEmpty() && slot != 0 && !java.nio.file.Files.isDirectory(layout.config(slot).dataDir().resolve("raft"))) {
        throw new SimException("NO_PEER", SimLayout.name(slot) + " has never joined and no member runs to join through");
      }
      try {
        VeilraftNode node = peer.isEmpty() ? VeilraftNode.start(layout.config(slot), clocks[slot])
            : VeilraftNode.join(layout.config(slot), layout.api(peer.get()), clocks[slot], null);
        nodes[slot] = node;
      } catch (NodeException e) {
        throw new SimException(e.code(), SimLayout.name(slot) + " did not start: " + e.getMessage(), e);
      }
    }
  }

  /** A running node to join through: the leader if one is known, else any running node; none: found or restart. */
  private Optional<Integer> peerFor(int slot) {
    Optional<Integer> leader = leader().filter(l -> l != slot);
    if (leader.isPresent()) {
      return leader;
    }
    for (int i = 0; i < nodes.length; i++) {
      if (i != slot && running(i)) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  @Override
  public void crash(int slot) {
    VeilraftNode node;
    synchronized (slotLocks[slot]) {
      node = nodes[slot];
      nodes[slot] = null;
    }
    if (node != null) {
      node.close();
    }
  }

  @Override
  public boolean running(int slot) {
    return nodes[slot] != null;
  }

  /** The running node in a slot (attacks and tests use it), or empty. */
  public Optional<VeilraftNode> node(int slot) {
    return Optional.ofNullable(nodes[slot]);
  }

  @Override
  public Optional<NodeStatus> status(int slot) {
    VeilraftNode node = nodes[slot];
    if (node == null) {
      return Optional.empty();
    }
    try {
      var view = node.replica().view();
      var consensus = node.consensus();
      List<Long> held = new ArrayList<>();
      for (EpochSecret secret : node.replica().keyring().all()) {
        held.add(secret.epoch());
      }
      held.sort(null);
      return Optional.of(new NodeStatus(node.nodeId(), view.epoch(), view.initialized() ? Hashes.hex(view.keyId()) : "",
          consensus != null && consensus.isLeader(), view.memberIds(),
          consensus == null ? java.util.Map.of() : consensus.configurationRoles(), held, node.replica().appliedIndex(),
          consensus == null ? -1 : consensus.commitIndex(), consensus == null ? -1 : consensus.lastAppliedIndex(),
          view.voters().stream().map(m -> m.getNodeId()).toList(), node.replica().haltedOnDiskFailure()));
    } catch (RuntimeException e) {
      // A node closing under us: no status at this instant.
      return Optional.empty();
    }
  }

  @Override
  public Optional<Integer> leader() {
    for (int i = 0; i < nodes.length; i++) {
      VeilraftNode node = nodes[i];
      if (node != null && node.consensus() != null && node.consensus().isLeader()) {
        return Optional.of(i);
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<NetworkControl> network() {
    return Optional.empty();
  }

  @Override
  public boolean canPause() {
    return false;
  }

  @Override
  public void pause(int slot) throws SimException {
    throw new SimException("UNSUPPORTED", "pause needs a process per node: run with --processes");
  }

  @Override
  public void resume(int slot) throws SimException {
    throw new SimException("UNSUPPORTED", "resume needs a process per node: run with --processes");
  }

  @Override
  public boolean canSkewClock() {
    return true;
  }

  @Override
  public void skewClock(int slot, Duration offset) {
    clocks[slot].setOffset(offset);
  }

  @Override
  public String dumpThreads(int slot) {
    StringBuilder dump = new StringBuilder("thread dump for ").append(SimLayout.name(slot))
        .append(" (every thread of this JVM):");
    for (java.lang.management.ThreadInfo t : java.lang.management.ManagementFactory.getThreadMXBean()
        .dumpAllThreads(true, true)) {
      dump.append('\n').append('"').append(t.getThreadName()).append("\" ").append(t.getThreadState());
      if (t.getLockName() != null) {
        dump.append(" on ").append(t.getLockName());
      }
      for (StackTraceElement frame : t.getStackTrace()) {
        dump.append("\n\tat ").append(frame);
      }
    }
    org.slf4j.LoggerFactory.getLogger(InJvmCluster.class).warn("{}", dump);
    return "thread dump in " + logOf(slot);
  }

  @Override
  public Path logOf(int slot) {
    return layout.cluster().root().resolve("simulator.log");
  }

  @Override
  public URI api(int slot) {
    return layout.api(slot);
  }

  @Override
  public void close() {
    for (int i = 0; i < nodes.length; i++) {
      crash(i);
    }
  }
}
