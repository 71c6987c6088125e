package dev.veilraft.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.bench.load.LoadTarget;
import dev.veilraft.bench.load.PooledTarget;
import io.vertx.core.Vertx;
import dev.veilraft.node.LocalCluster;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A reference point, not veilraft: an etcd cluster (the {@code etcd} binary, e.g. Debian's
 * etcd-server 3.4) of {@code size} members on loopback, WAL fsync on (its default), driven through
 * its own gRPC API by jetcd clients on the leader ({@link EtcdTarget}, one Vert.x instance for
 * all), as etcd's own benchmark tool drives it: the reference the etcd figures come from.
 * Its JSON gateway (HTTP/1.1, which this mode drove until session 23) adds a JSON translation and
 * an internal gRPC hop to every put; it is still used here for health and leader checks.
 */
public final class EtcdCluster implements BenchCluster {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final List<ServerProcess> nodes;
  private final List<URI> clients;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  /** The jetcd clients made so far, closed with the cluster even when its start failed half way. */
  private final List<LoadTarget> targets = new ArrayList<>();
  private LoadTarget target;

  private EtcdCluster(List<ServerProcess> nodes, List<URI> clients) {
    this.nodes = nodes;
    this.clients = clients;
  }

  public static EtcdCluster start(Path root, Path etcdBinary, int size, int clientCount) throws IOException, InterruptedException {
    if (clientCount < 1) {
      throw new IllegalArgumentException("an etcd cluster needs at least one client, got " + clientCount);
    }
    List<String> names = new ArrayList<>();
    List<String> peerUrls = new ArrayList<>();
    List<URI> clients = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      names.add("e" + i);
      peerUrls.add("http://127.0.0.1:" + LocalCluster.freePort());
      clients.add(URI.create("http://127.0.0.1:" + LocalCluster.freePort()));
    }
    String initial = java.util.stream.IntStream.range(0, size).mapToObj(i -> names.get(i) + "=" + peerUrls.get(i))
        .collect(Collectors.joining(","));
    List<ServerProcess> nodes = new ArrayList<>();
    EtcdCluster cluster = new EtcdCluster(nodes, clients);
    boolean started = false;
    try {
      for (int i = 0; i < size; i++) {
        List<String> command = List.of(etcdBinary.toString(), "--name", names.get(i),
            "--data-dir", root.resolve(names.get(i)).toString(),
            "--listen-client-urls", clients.get(i).toString(), "--advertise-client-urls", clients.get(i).toString(),
            "--listen-peer-urls", peerUrls.get(i), "--initial-advertise-peer-urls", peerUrls.get(i),
            "--initial-cluster", initial, "--initial-cluster-state", "new", "--initial-cluster-token", "veilraft-bench");
        nodes.add(ServerProcess.launch("etcd-" + names.get(i), command, root.resolve(names.get(i) + ".log")));
      }
      for (int i = 0; i < size; i++) {
        URI health = clients.get(i).resolve("/health");
        nodes.get(i).awaitReady(() -> cluster.healthy(health));
      }
      URI leader = clients.get(cluster.leaderIndex());
      Vertx vertx = Vertx.vertx();
      for (int i = 0; i < clientCount; i++) {
        cluster.targets.add(new EtcdTarget(leader, vertx));
      }
      cluster.target = new PooledTarget(cluster.targets);
      started = true;
      return cluster;
    } finally {
      if (!started) {
        cluster.close();
      }
    }
  }

  private boolean healthy(URI health) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(health).timeout(REQUEST_TIMEOUT).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && r.body().contains("true");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public String mode() {
    return "etcd";
  }

  @Override
  public List<ServerProcess> nodes() {
    return nodes;
  }

  /** The member whose maintenance status names itself the leader (the first when none answers so). */
  @Override
  public int leaderIndex() {
    for (int i = 0; i < clients.size(); i++) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(clients.get(i).resolve("/v3/maintenance/status"))
            .timeout(REQUEST_TIMEOUT).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
            HttpResponse.BodyHandlers.ofString());
        JsonNode status = JSON.readTree(r.body());
        String leader = status.path("leader").asText("");
        if (!leader.isEmpty() && leader.equals(status.path("header").path("member_id").asText())) {
          return i;
        }
      } catch (IOException e) {
        // Try the next member.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
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
    try {
      for (LoadTarget client : targets) {
        try {
          client.close();
        } catch (RuntimeException e) {
          // Closing the others and the etcd processes matters more than this client's complaint.
        }
      }
    } finally {
      nodes.parallelStream().forEach(ServerProcess::close);
    }
  }
}
