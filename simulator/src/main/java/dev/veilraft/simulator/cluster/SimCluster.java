package dev.veilraft.simulator.cluster;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import dev.veilraft.simulator.net.NetworkControl;

/**
 * A simulated cluster of real veilraft nodes: in this JVM ({@link InJvmCluster}) or one JVM per
 * node ({@link ProcessCluster}). Slots are numbered from 0 and named n1, n2, ...; the first
 * {@link SimLayout#members()} slots form the cluster, later ones are spares. Faults act on slots.
 * Implementations are thread-safe: the workload, the fault schedule and the observer call them
 * concurrently.
 */
public interface SimCluster extends AutoCloseable {
  /** "in-jvm" or "processes". */
  String mode();

  SimLayout layout();

  /** Starts the first {@code members} slots: slot 0 founds the cluster, the others join through it. */
  void startAll() throws SimException, InterruptedException;

  /** Starts a spare (or a stopped) slot: it joins through a running member, or restarts from its disk. */
  void start(int slot) throws SimException, InterruptedException;

  /** A crash: SIGKILL in process mode, an abrupt stop of the node in this JVM. */
  void crash(int slot) throws InterruptedException;

  boolean running(int slot);

  /**
   * Writes a thread dump of slot's node into its log (process mode: SIGQUIT, which the JVM answers
   * on its standard output; in this JVM: every thread of the JVM), for a run that ends with a node
   * stuck. Returns where it went, or why not.
   */
  String dumpThreads(int slot);

  /** A running member's view; empty when it is down or does not answer. */
  Optional<NodeStatus> status(int slot);

  /** The slot of the node that believes it leads, if one does. */
  Optional<Integer> leader();

  default URI api(int slot) {
    return layout().api(slot);
  }

  /**
   * The node's INSECURE plain-HTTP loopback address ({@code http://127.0.0.1:port}), where the
   * simulator's Cashu wallet reaches the mint's front end; every simulated node has one.
   */
  default URI insecurePlainHttp(int slot) {
    var plain = layout().config(slot).insecurePlainHttp();
    if (plain == null || plain.port() == 0) {
      throw new IllegalStateException(SimLayout.name(slot) + " has no plain HTTP connector in its configuration");
    }
    return URI.create("http://" + plain.host() + ":" + plain.port());
  }

  default Path dataDir(int slot) {
    return layout().config(slot).dataDir();
  }

  /** The per-link network (process mode), or empty when this mode cannot fault links. */
  Optional<NetworkControl> network();

  /** Whether {@link #pause} works (SIGSTOP needs a process per node). */
  boolean canPause();

  void pause(int slot) throws SimException;

  void resume(int slot) throws SimException;

  /** Whether {@link #skewClock} works (this JVM hands each node its own clock). */
  boolean canSkewClock();

  /** Sets slot's local clock to run {@code offset} ahead (negative: behind) of real time. */
  void skewClock(int slot, Duration offset) throws SimException;

  /** Whether {@link #fillDisk} works (a tmpfs per node's data directory, process mode as root). */
  default boolean canFillDisk() {
    return false;
  }

  /** Fills slot's disk to the last page; returns the ballast's size in bytes. */
  default long fillDisk(int slot) throws SimException {
    throw new SimException("UNSUPPORTED", "disk faults need --processes and root");
  }

  /**
   * Frees what {@link #fillDisk} took. A node whose replica halted on the full disk ends its
   * process; this returns once it has (bounded), so that a caller finds it stopped, not ending.
   */
  default void freeDisk(int slot) throws SimException, InterruptedException {
    throw new SimException("UNSUPPORTED", "disk faults need --processes and root");
  }

  /** The exit status of slot's last process when it ended (process mode), else empty. */
  default Optional<Integer> exitStatus(int slot) {
    return Optional.empty();
  }

  /** Where each node writes its log (process mode: the node's console output). */
  Path logOf(int slot);

  @Override
  void close();
}
