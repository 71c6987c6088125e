package dev.veilraft.simulator.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.node.LocalCluster;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinkProxyTest {
  @TempDir Path dir;
  private ServerSocket echo;
  private ProxyNetwork network;
  private int port;

  @BeforeEach
  void start() throws Exception {
    port = LocalCluster.freePort();
    echo = new ServerSocket(port, 50, InetAddress.getByName(ProxyNetwork.BIND_ADDRESS));
    Thread t = new Thread(() -> {
      while (!echo.isClosed()) {
        try {
          Socket s = echo.accept();
          Thread echoer = new Thread(() -> {
            try (s) {
              s.getInputStream().transferTo(s.getOutputStream());
            } catch (Exception closed) {
              // The client went away.
            }
          });
          echoer.setDaemon(true);
          echoer.start();
        } catch (Exception e) {
          return;
        }
      }
    });
    t.setDaemon(true);
    t.start();
    // Slot 0 is a client-only node; slot 1 runs the echo server.
    network = ProxyNetwork.start(new int[] {LocalCluster.freePort(), port}, dir, 1);
  }

  @AfterEach
  void stop() throws Exception {
    network.close();
    echo.close();
  }

  private Socket dialThroughLink() throws Exception {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getByName(ProxyNetwork.proxyAddress(0, 1)), port), 5_000);
    s.setSoTimeout(10_000);
    return s;
  }

  private static byte[] roundTrip(Socket s, String text) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(text.getBytes());
    out.flush();
    InputStream in = s.getInputStream();
    return in.readNBytes(text.length());
  }

  @Test
  void bytesFlowBothWaysThroughAHealthyLink() throws Exception {
    // Proves the proxy is transparent: what the client sends reaches the target and the answer comes back.
    try (Socket s = dialThroughLink()) {
      assertThat(new String(roundTrip(s, "hello"))).isEqualTo("hello");
    }
    // The proxy counts a chunk after writing it on, so the answer can arrive before its count: await it, bounded.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
    while (network.bytesForwarded() < 10 && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    assertThat(network.bytesForwarded()).isEqualTo(10);
  }

  @Test
  void aCutLinkHoldsTrafficAndDeliversItAfterTheHeal() throws Exception {
    // Proves a partition is a black hole that loses nothing: bytes sent during the cut arrive after it heals.
    try (Socket s = dialThroughLink()) {
      assertThat(new String(roundTrip(s, "before"))).isEqualTo("before");
      network.set(0, 1, LinkBehaviour.CUT);
      CompletableFuture<byte[]> during = CompletableFuture.supplyAsync(() -> {
        try {
          return roundTrip(s, "during");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertThat(during).failsWithin(700, TimeUnit.MILLISECONDS);
      network.healAll();
      assertThat(new String(during.get(10, TimeUnit.SECONDS))).isEqualTo("during");
    }
  }

  @Test
  void hostsFilesSendEveryPeerNameToItsLinkProxy() {
    // Proves the naming scheme: a node resolves itself to its bind address and each peer to the link's proxy.
    String text = ProxyNetwork.hostsFileText(1, 3);
    assertThat(text).contains("127.0.0.1 n2.sim").contains("127.2.1.1 n1.sim").contains("127.2.3.1 n3.sim");
  }
}
