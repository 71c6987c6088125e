package dev.veilraft.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.bench.load.LoadTarget;
import dev.veilraft.bench.load.PooledTarget;
import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.client.NodeHttp;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.cli.Main;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * veilraft as an operator runs it: a cluster laid out by {@link LocalCluster} on loopback
 * (simulated TEE, attested joins, HPKE-sealed events, encrypted state), each node its own JVM
 * started from the node jar with {@code veilraft node start|join}, and a verifying
 * {@link dev.veilraft.client.VeilraftClient} of the leader's API in this JVM.
 */
public final class ConfidentialCluster implements BenchCluster {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String mode;
  private final LocalCluster.Layout layout;
  private final List<ServerProcess> nodes;
  private int leader;
  private LoadTarget target;
  /** Reads the nodes' /v1/status. */
  private final NodeHttp statusHttp = new NodeHttp();

  private ConfidentialCluster(String mode, LocalCluster.Layout layout, List<ServerProcess> nodes) {
    this.mode = mode;
    this.layout = layout;
    this.nodes = nodes;
  }

  /**
   * Lays out {@code size} nodes under {@code root} whose genesis allows exactly {@code nodeJar}
   * launched with {@code jvmOptions}, starts the founder, joins the others through it one by one,
   * and connects {@code clients} clients (each with its own client id) to the leader. {@code mode}
   * names it in the results ({@code confidential}, or {@code confidential-b} for a second build
   * under comparison). With {@code singleShotSealing} the clients seal every request with its own
   * HPKE context (node jars that predate client sessions understand only that). A positive {@code
   * eventRequests} sets how many event requests each client keeps unanswered (else the SDK's default).
   * With {@code putsReturnPrevious} each put asks for the previous value in its answer.
   */
  public static ConfidentialCluster start(String mode, Path root, Path nodeJar, int size, List<String> jvmOptions,
      int clients, boolean singleShotSealing, int eventRequests, boolean putsReturnPrevious)
      throws IOException, InterruptedException, ClientException {
    byte[] measurement = CodeMeasurement.ofJar(nodeJar, CodeMeasurement.launchConfig(jvmOptions));
    LocalCluster.Layout layout = LocalCluster.create(root, size, measurement);
    List<ServerProcess> nodes = new ArrayList<>();
    ConfidentialCluster cluster = new ConfidentialCluster(mode, layout, nodes);
    List<LoadTarget> targets = new ArrayList<>();
    try {
      String founderApi = layout.api(0).toString();
      for (int i = 0; i < size; i++) {
        List<String> args = new ArrayList<>(List.of("node", i == 0 ? "start" : "join", "--config",
            layout.configFiles().get(i).toString()));
        if (i > 0) {
          args.addAll(List.of("--peer", founderApi));
        }
        ServerProcess node = ServerProcess.launch(mode + "-node" + (i + 1), jvmOptions, nodeJar, Main.class.getName(),
            args, root.resolve("node" + (i + 1) + ".log"));
        nodes.add(node);
        node.awaitReady();
      }
      cluster.leader = cluster.findLeader();
      for (int i = 0; i < clients; i++) {
        VeilraftClient client = layout.connect(cluster.leader);
        if (eventRequests > 0) {
          client.eventRequestsInFlightMax(eventRequests);
        }
        targets.add(new ConfidentialTarget(singleShotSealing ? client.sealEachRequestSeparately() : client,
            putsReturnPrevious));
      }
      cluster.target = new PooledTarget(targets);
      return cluster;
    } catch (IOException | InterruptedException | ClientException | RuntimeException e) {
      if (cluster.target == null) {
        targets.forEach(LoadTarget::close);
      }
      cluster.close();
      throw e;
    }
  }

  /** The node whose /v1/status says it leads (the founder when none says so yet). */
  private int findLeader() throws IOException {
    NodeHttp http = statusHttp;
    for (int i = 0; i < nodes.size(); i++) {
      URI status = layout.api(i).resolve("/v1/status");
      try {
        JsonNode json = JSON.readTree(http.get(status).body());
        if (json.path("leader").asBoolean(false)) {
          return i;
        }
      } catch (ClientException e) {
        throw new IOException("cannot read " + status + ": " + e.getMessage(), e);
      }
    }
    return 0;
  }

  /** The applied index in the /v1/status of the node last seen leading; -1 when it cannot be read. */
  @Override
  public long leaderAppliedIndex() {
    URI status = layout.api(leader).resolve("/v1/status");
    try {
      return JSON.readTree(statusHttp.get(status).body()).path("applied_index").asLong(-1);
    } catch (IOException | ClientException | RuntimeException e) {
      return -1;
    }
  }

  public LocalCluster.Layout layout() {
    return layout;
  }

  @Override
  public String mode() {
    return mode;
  }

  @Override
  public List<ServerProcess> nodes() {
    return nodes;
  }

  @Override
  public int leaderIndex() {
    try {
      leader = findLeader();
    } catch (IOException e) {
      // Keep the last known leader.
    }
    return leader;
  }

  @Override
  public LoadTarget target() {
    return target;
  }

  @Override
  public void close() {
    // Stopped in parallel: each takes up to a few seconds to shut its Raft server down.
    nodes.parallelStream().forEach(ServerProcess::close);
    if (target != null) {
      target.close();
    }
    statusHttp.close();
  }
}
