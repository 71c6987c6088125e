package dev.veilraft.bench.apps;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.InProcessCluster;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The benchmark's cluster: an {@link InProcessCluster} (simulated members, INSECURE, in this JVM,
 * each also serving plain HTTP on loopback), so the benchmark's Cashu and Nostr clients talk to
 * the apps exactly as a wallet or a Nostr client would, without TLS. The nodes share this JVM's
 * CPUs with the clients, which a reader of the numbers must keep in mind.
 */
final class AppsCluster implements AutoCloseable {
  /** Founding, two attested joins and their key rotations, on a shared machine. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final InProcessCluster cluster;

  private AppsCluster(InProcessCluster cluster) {
    this.cluster = cluster;
  }

  /**
   * Lays out {@code size} members under {@code root}, founds the cluster with the first, joins
   * the others through it, and waits until every member has applied every join (epoch {@code
   * size}) and votes.
   */
  static AppsCluster start(Path root, int size) throws IOException, NodeException, InterruptedException {
    LocalCluster.Layout layout = LocalCluster.create(root, size, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    return new AppsCluster(InProcessCluster.start(layout, READY_TIMEOUT));
  }

  /** The plain HTTP base of node {@code index} (0-based), {@code http://127.0.0.1:PORT}. */
  URI http(int index) {
    return cluster.http(index);
  }

  /** The Cashu mint URL of node {@code index}, without a trailing slash. */
  String mintUrl(int index) {
    return cluster.mintUrl(index);
  }

  /** The Nostr relay's WebSocket URL on node {@code index}. */
  URI relayUrl(int index) {
    return cluster.relayUrl(index);
  }

  int size() {
    return cluster.size();
  }

  /** The index of the node that leads the Raft group now, or -1 when none knows itself leader. */
  int leaderIndex() {
    return cluster.leaderIndex();
  }

  @Override
  public void close() {
    cluster.close();
  }
}
