package dev.veilraft.simulator.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A proxy per directed link between the nodes of a process-mode cluster. Each node's Raft host is
 * a name ({@code n3.sim}); each node JVM gets its own hosts file ({@code -Djdk.net.hosts.file})
 * that maps its own name to its real bind address (127.0.0.1) and every peer's name to the
 * loopback address {@code 127.A.B.1} where the proxy of link A→B listens on B's Raft port. Linux
 * routes all of 127/8 to the loopback device, so no setup is needed. Peer TLS is pinned to
 * attested keys, not to host names, so the proxies stay invisible to the nodes.
 */
public final class ProxyNetwork implements NetworkControl, AutoCloseable {
  /** Slots addressable by the 127.A.B.1 scheme (A, B are slot + 1). */
  public static final int slotsMax = 250;
  public static final String BIND_ADDRESS = "127.0.0.1";

  private final int slots;
  private final LinkProxy[][] links;
  private final AtomicLong forwarded = new AtomicLong();

  private ProxyNetwork(int slots) {
    this.slots = slots;
    this.links = new LinkProxy[slots][slots];
  }

  /** The Raft host name of a slot. */
  public static String hostName(int slot) {
    return "n" + (slot + 1) + ".sim";
  }

  /** Where the proxy of link {@code from → to} listens. */
  static String proxyAddress(int from, int to) {
    return "127." + (from + 1) + "." + (to + 1) + ".1";
  }

  /**
   * Starts a proxy for every ordered pair of slots; {@code raftPorts[i]} is slot i's Raft port.
   * Writes {@code hostsDir/n<i>.hosts} for each slot.
   */
  public static ProxyNetwork start(int[] raftPorts, Path hostsDir, long seed) throws IOException {
    int slots = raftPorts.length;
    if (slots > slotsMax) {
      throw new IllegalArgumentException(slots + " slots, at most " + slotsMax);
    }
    ProxyNetwork network = new ProxyNetwork(slots);
    try {
      for (int from = 0; from < slots; from++) {
        for (int to = 0; to < slots; to++) {
          if (from != to) {
            network.links[from][to] = new LinkProxy(hostName(from) + "->" + hostName(to),
                new InetSocketAddress(InetAddress.getByName(proxyAddress(from, to)), raftPorts[to]),
                new InetSocketAddress(InetAddress.getByName(BIND_ADDRESS), raftPorts[to]), seed * 31 + from * 1000L + to,
                network.forwarded);
          }
        }
      }
      Files.createDirectories(hostsDir);
      for (int slot = 0; slot < slots; slot++) {
        Files.writeString(hostsFile(hostsDir, slot), hostsFileText(slot, slots));
      }
    } catch (IOException | RuntimeException e) {
      network.close();
      throw e;
    }
    return network;
  }

  public static Path hostsFile(Path hostsDir, int slot) {
    return hostsDir.resolve("n" + (slot + 1) + ".hosts");
  }

  static String hostsFileText(int self, int slots) {
    List<String> lines = new ArrayList<>();
    lines.add("# written by the veilraft simulator: this node's view of its peers' Raft hosts");
    lines.add("127.0.0.1 localhost");
    for (int slot = 0; slot < slots; slot++) {
      lines.add((slot == self ? BIND_ADDRESS : proxyAddress(self, slot)) + " " + hostName(slot));
    }
    return String.join("\n", lines) + "\n";
  }

  @Override
  public int slots() {
    return slots;
  }

  @Override
  public void set(int from, int to, LinkBehaviour behaviour) {
    if (from != to) {
      links[from][to].set(behaviour);
    }
  }

  @Override
  public LinkBehaviour get(int from, int to) {
    return from == to ? LinkBehaviour.HEALTHY : links[from][to].behaviour();
  }

  @Override
  public void healAll() {
    for (int from = 0; from < slots; from++) {
      for (int to = 0; to < slots; to++) {
        set(from, to, LinkBehaviour.HEALTHY);
      }
    }
  }

  @Override
  public long bytesForwarded() {
    return forwarded.get();
  }

  @Override
  public void close() {
    for (LinkProxy[] row : links) {
      for (LinkProxy proxy : row) {
        if (proxy != null) {
          proxy.close();
        }
      }
    }
  }
}
