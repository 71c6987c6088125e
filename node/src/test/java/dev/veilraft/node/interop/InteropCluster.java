package dev.veilraft.node.interop;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.Await;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.VeilraftNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster of simulated members in this JVM whose nodes also serve plain HTTP on loopback
 * (INSECURE, local tests only), as the Cashu and Nostr clients of the interop scripts expect:
 * the mint at {@code http://127.0.0.1:PORT/cashu}, the relay at {@code ws://127.0.0.1:PORT/nostr}.
 */
final class InteropCluster implements AutoCloseable {
  /** Founding, two attested joins and their key rotations, on a shared CI machine. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

  private final List<VeilraftNode> nodes;

  private InteropCluster(List<VeilraftNode> nodes) {
    this.nodes = nodes;
  }

  /**
   * Founds a cluster of {@code size} members under {@code root} and waits until every member has
   * applied every join (epoch {@code size}) and votes.
   */
  static InteropCluster start(Path root, int size) throws Exception {
    LocalCluster.Layout layout = dev.veilraft.node.TestClusters.create(root, size, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    List<VeilraftNode> nodes = new ArrayList<>();
    InteropCluster cluster = new InteropCluster(nodes);
    try {
      nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
      for (int i = 1; i < size; i++) {
        nodes.add(VeilraftNode.join(layout.nodes().get(i), layout.api(0), Clock.systemUTC(), null));
      }
      boolean ready = Await.until(() -> nodes.stream().allMatch(n -> n.replica().view().epoch() == size
          && n.consensus().votingMembers().size() == size), READY_TIMEOUT);
      if (!ready) {
        throw new IllegalStateException("the " + size + "-node cluster under " + root + " was not ready within "
            + READY_TIMEOUT + ": " + nodes.stream().map(n -> "epoch " + n.replica().view().epoch() + " voters "
            + n.consensus().votingMembers().size()).collect(Collectors.joining(", ")));
      }
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  /** The plain HTTP base of node {@code index} (0-based), {@code http://127.0.0.1:PORT}. */
  URI http(int index) {
    return nodes.get(index).insecurePlainHttpUrl().orElseThrow(() -> new IllegalStateException(
        "node " + index + " serves no plain HTTP: LocalCluster configures insecurePlainHttp for local clusters"));
  }

  /** The Cashu mint URL a wallet uses for node {@code index}. */
  String mintUrl(int index) {
    return http(index) + "/cashu";
  }

  /** The Nostr relay's WebSocket URL on node {@code index}. */
  String relayUrl(int index) {
    URI http = http(index);
    return "ws://" + http.getHost() + ":" + http.getPort() + "/nostr";
  }

  int size() {
    return nodes.size();
  }

  /** Node {@code index} (0-based). */
  dev.veilraft.node.VeilraftNode node(int index) {
    return nodes.get(index);
  }

  /** Every node's data directory (keys, Raft log, state store), for confidentiality scans. */
  List<Path> dataDirs() {
    return nodes.stream().map(VeilraftNode::dataDir).toList();
  }

  @Override
  public void close() {
    nodes.forEach(VeilraftNode::close);
  }
}
