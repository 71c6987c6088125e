package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import dev.veilraft.bench.load.PooledTarget;
import dev.veilraft.consensus.ratis.PlaintextBaseline;
import dev.veilraft.node.LocalCluster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The baseline: {@code size} {@link PlaintextServerMain} JVMs (veilraft's Raft properties, a state
 * machine without crypto) started from the benchmark jar, and the Ratis async client in this JVM.
 */
public final class PlaintextCluster implements BenchCluster {
  private final List<ServerProcess> nodes;
  private final List<PlaintextBaseline.Peer> peers;
  private final List<PlaintextBaseline.Client> clients = new ArrayList<>();
  private LoadTarget target;

  private PlaintextCluster(List<ServerProcess> nodes, List<PlaintextBaseline.Peer> peers) {
    this.nodes = nodes;
    this.peers = peers;
  }

  /** Starts the servers under {@code root} (all at once: the group is static) and connects {@code clients} clients. */
  public static PlaintextCluster start(Path root, Path benchJar, int size, List<String> jvmOptions, boolean peerTls,
      int clients) throws IOException, InterruptedException {
    List<PlaintextBaseline.Peer> peers = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      peers.add(new PlaintextBaseline.Peer("p" + i, "127.0.0.1:" + LocalCluster.freePort()));
    }
    String peerList = peers.stream().map(p -> p.id() + "=" + p.address()).collect(Collectors.joining(","));
    Path tlsDir = root.resolve("tls-ids");
    List<ServerProcess> nodes = new ArrayList<>();
    PlaintextCluster cluster = new PlaintextCluster(nodes, peers);
    try {
      for (PlaintextBaseline.Peer peer : peers) {
        List<String> args = new ArrayList<>(List.of(peer.id(), root.resolve(peer.id()).toString(), peerList));
        if (peerTls) {
          args.add(tlsDir.toString());
        }
        nodes.add(ServerProcess.launch("plaintext-" + peer.id(), jvmOptions, benchJar, PlaintextServerMain.class.getName(),
            args, root.resolve(peer.id() + ".log")));
      }
      for (ServerProcess node : nodes) {
        node.awaitReady();
      }
      Optional<PlaintextBaseline.Tls> tls = peerTls ? Optional.of(BaselineTls.create(tlsDir)) : Optional.empty();
      List<LoadTarget> targets = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        PlaintextBaseline.Client client = PlaintextBaseline.Client.connect(
            PlaintextServerMain.settings(root.resolve("client"), "127.0.0.1", 0), peers, tls);
        cluster.clients.add(client);
        targets.add(new PlaintextTarget(client));
      }
      cluster.target = new PooledTarget(targets);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  @Override
  public String mode() {
    return "plaintext";
  }

  @Override
  public List<ServerProcess> nodes() {
    return nodes;
  }

  @Override
  public int leaderIndex() {
    String leader = clients.get(0).leaderId().orElse(peers.get(0).id());
    for (int i = 0; i < peers.size(); i++) {
      if (peers.get(i).id().equals(leader)) {
        return i;
      }
    }
    return 0;
  }

  @Override
  public LoadTarget target() {
    return target;
  }

  @Override
  public void close() {
    // Servers first: a client closing while its servers still answer can wait on them.
    nodes.parallelStream().forEach(ServerProcess::close);
    if (target != null) {
      target.close();
    }
  }
}
