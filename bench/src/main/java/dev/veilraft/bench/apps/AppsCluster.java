package dev.veilraft.bench.apps;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.Await;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster of simulated members (INSECURE) in this JVM, each also serving its API over plain
 * HTTP on loopback, so the benchmark's Cashu and Nostr clients talk to the apps exactly as a
 * wallet or a Nostr client would, without TLS: the mint at {@code http://127.0.0.1:PORT/cashu},
 * the relay at {@code ws://127.0.0.1:PORT/nostr}. The nodes share this JVM's CPUs with the
 * clients, which a reader of the numbers must keep in mind.
 */
final class AppsCluster implements AutoCloseable {
  /** Founding, two attested joins and their key rotations, on a shared machine. */
  static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final List<VeilraftNode> nodes;

  private AppsCluster(List<VeilraftNode> nodes) {
    this.nodes = nodes;
  }

  /**
   * Lays out {@code size} members under {@code root}, founds the cluster with the first, joins
   * the others through it, and waits until every member has applied every join (epoch {@code
   * size}) and votes.
   */
  static AppsCluster start(Path root, int size) throws IOException, NodeException, InterruptedException {
    LocalCluster.Layout layout = LocalCluster.create(root, size, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    List<VeilraftNode> nodes = new ArrayList<>();
    AppsCluster cluster = new AppsCluster(nodes);
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
    } catch (NodeException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The plain HTTP base of node {@code index} (0-based), {@code http://127.0.0.1:PORT}. */
  URI http(int index) {
    return nodes.get(index).insecurePlainHttpUrl().orElseThrow(() -> new IllegalStateException(
        "node " + index + " serves no plain HTTP: LocalCluster configures insecurePlainHttp for local clusters"));
  }

  /** The Cashu mint URL of node {@code index}, without a trailing slash. */
  String mintUrl(int index) {
    return http(index) + "/cashu";
  }

  /** The Nostr relay's WebSocket URL on node {@code index}. */
  URI relayUrl(int index) {
    URI http = http(index);
    return URI.create("ws://" + http.getHost() + ":" + http.getPort() + "/nostr");
  }

  int size() {
    return nodes.size();
  }

  /** The index of the node that leads the Raft group now, or -1 when none knows itself leader. */
  int leaderIndex() {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).consensus().isLeader()) {
        return i;
      }
    }
    return -1;
  }

  @Override
  public void close() {
    nodes.forEach(VeilraftNode::close);
  }
}
