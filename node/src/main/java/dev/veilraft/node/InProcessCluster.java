package dev.veilraft.node;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A cluster of simulated members (INSECURE) in this JVM, laid out by {@link LocalCluster}, each
 * also serving its API over plain HTTP on loopback (INSECURE, local only), so that Cashu wallets
 * and Nostr clients talk to the apps without TLS: the mint at {@code http://127.0.0.1:PORT/cashu},
 * the relay at {@code ws://127.0.0.1:PORT/nostr}. Used by the interop tests and the apps
 * benchmark; the nodes share this JVM's CPUs with whatever else runs in it.
 */
public final class InProcessCluster implements AutoCloseable {
  private final List<VeilraftNode> nodes;

  private InProcessCluster(List<VeilraftNode> nodes) {
    this.nodes = nodes;
  }

  /**
   * Founds the cluster with the first member of {@code layout}, joins the others through it, and
   * waits until every member has applied every join (epoch = size) and votes; throws when that
   * takes longer than {@code readyTimeout}, having closed what it started.
   */
  public static InProcessCluster start(LocalCluster.Layout layout, Duration readyTimeout)
      throws NodeException, InterruptedException {
    int size = layout.nodes().size();
    List<VeilraftNode> nodes = new ArrayList<>();
    InProcessCluster cluster = new InProcessCluster(nodes);
    try {
      nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
      for (int i = 1; i < size; i++) {
        nodes.add(VeilraftNode.join(layout.nodes().get(i), layout.api(0), Clock.systemUTC(), null));
      }
      boolean ready = Await.until(() -> nodes.stream().allMatch(n -> n.replica().view().epoch() == size
          && n.consensus().votingMembers().size() == size), readyTimeout);
      if (!ready) {
        throw new IllegalStateException("the " + size + "-node cluster under " + layout.root() + " was not ready within "
            + readyTimeout + ": " + nodes.stream().map(n -> "epoch " + n.replica().view().epoch() + " voters "
            + n.consensus().votingMembers().size()).collect(Collectors.joining(", ")));
      }
      return cluster;
    } catch (NodeException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** The plain HTTP base of node {@code index} (0-based), {@code http://127.0.0.1:PORT}. */
  public URI http(int index) {
    return nodes.get(index).insecurePlainHttpUrl().orElseThrow(() -> new IllegalStateException(
        "node " + index + " serves no plain HTTP: LocalCluster configures insecurePlainHttp for local clusters"));
  }

  /** The Cashu mint URL of node {@code index}, without a trailing slash. */
  public String mintUrl(int index) {
    return http(index) + "/cashu";
  }

  /** The Nostr relay's WebSocket URL on node {@code index}. */
  public URI relayUrl(int index) {
    URI http = http(index);
    return URI.create("ws://" + http.getHost() + ":" + http.getPort() + "/nostr");
  }

  public int size() {
    return nodes.size();
  }

  /** Node {@code index} (0-based). */
  public VeilraftNode node(int index) {
    return nodes.get(index);
  }

  /** The index of the node that leads the Raft group now, or -1 when none knows itself leader. */
  public int leaderIndex() {
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i).consensus().isLeader()) {
        return i;
      }
    }
    return -1;
  }

  /** Every node's data directory (keys, Raft log, state store), for confidentiality scans. */
  public List<Path> dataDirs() {
    return nodes.stream().map(VeilraftNode::dataDir).toList();
  }

  @Override
  public void close() {
    nodes.forEach(VeilraftNode::close);
  }
}
