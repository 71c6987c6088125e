package dev.veilraft.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.node.Await;
import dev.veilraft.node.PolicyFile;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvResponse;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code veilraft local up} gives app authors a working federation on one machine, and
 * {@code local down} takes it away: the cluster description it writes is enough for a client,
 * using only the client policy file it names, to verify the cluster and use every node.
 */
class LocalClusterIT {
  private static final Duration UP_TIMEOUT = Duration.ofSeconds(180);
  @TempDir Path root;
  private Process up;

  @AfterEach
  void stopSupervisor() {
    if (up != null && up.isAlive()) {
      up.destroyForcibly();
    }
  }

  @Test
  void localUpServesEveryNodeAndLocalDownStopsThem() throws Exception {
    // Proves cluster.json names the voting nodes (two, to keep CI short), each answering a verified client, and
    // that down stops them all.
    Path dir = root.resolve("cluster");
    Path log = root.resolve("up.log");
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    // `local up` lays out the ports: in this test JVM's slice of the range, so that it never takes a port the build's
    // other test JVM handed out to a node not yet started.
    String slice = System.getProperty(dev.veilraft.node.LocalCluster.PORT_SLICE_PROPERTY);
    if (slice != null) {
      command.add("-D" + dev.veilraft.node.LocalCluster.PORT_SLICE_PROPERTY + "=" + slice);
    }
    command.addAll(List.of("-cp", SimulateIT.SHADED_JAR.toString(), SimulatorMain.class.getName(), "local", "up",
        "--nodes", "2", "--dir", dir.toString(), "--node-jar", SimulateIT.SHADED_JAR.toString()));
    up = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Path json = dir.resolve("cluster.json");
    boolean ready = Await.until(() -> Files.exists(json) || !up.isAlive(), UP_TIMEOUT);
    assertThat(ready && Files.exists(json)).as("cluster.json written; output:%n%s", Files.exists(log)
        ? Files.readString(log) : "").isTrue();
    assertThat(Await.until(() -> read(log).contains("LOCAL UP nodes=2"), Duration.ofSeconds(10))).isTrue();

    JsonNode cluster = new ObjectMapper().readTree(json.toFile());
    assertThat(cluster.get("nodes")).hasSize(2);
    Policy policy = PolicyFile.read(Path.of(cluster.get("client_policy").asText()));
    List<Long> pids = new ArrayList<>();
    int i = 0;
    for (JsonNode node : cluster.get("nodes")) {
      pids.add(node.get("pid").asLong());
      assertThat(node.get("raft").asText()).matches("127\\.0\\.0\\.1:\\d+");
      assertThat(node.get("websocket").asText()).startsWith("wss://127.0.0.1:");
      VeilraftClient client = VeilraftClient.connect(URI.create(node.get("api").asText()), policy,
          new AttestationVerifier(), Clock.systemUTC(), null);
      assertThat(client.cluster().members()).hasSize(2);
      client.call(KvApp.NAME, KvRequests.put("local-" + i, "value-" + i).toByteArray());
      KvResponse read = KvResponse.parseFrom(client.query(KvApp.NAME, KvRequests.get("local-" + i).toByteArray()));
      assertThat(read.getValue().toStringUtf8()).isEqualTo("value-" + i);
      i++;
    }
    assertThat(pids).allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

    StringWriter out = new StringWriter();
    CommandLine cli = SimulatorMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    assertThat(cli.execute("local", "down", "--dir", dir.toString())).as(out.toString()).isZero();
    assertThat(out.toString()).contains("LOCAL DOWN");
    assertThat(json).doesNotExist();
    assertThat(Await.until(() -> pids.stream().noneMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive)
        .orElse(false)), Duration.ofSeconds(30))).as("every node process stopped").isTrue();
    assertThat(Await.until(() -> !up.isAlive(), Duration.ofSeconds(30))).as("the supervisor stopped").isTrue();
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (java.io.IOException e) {
      return "";
    }
  }
}
