package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.node.logging.FormatSelectingEncoder;
import dev.veilraft.node.logging.LogFormat;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The node's observability on a real two-node cluster (a founder and one joiner, the cheapest with a join): /readyz, /metrics, POST /v1/verify, the
 * routes against the OpenAPI description, the audit trail of joins, and that no plaintext value,
 * key or epoch secret of a kv workload reaches any log line, at DEBUG, in text and in JSON.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityIT {
  private static final int NODES = 2;
  /** Loggers raised to DEBUG for the test: all of veilraft's own code, where a leak would come from. */
  private static final List<String> DEBUG_LOGGERS = List.of("dev.veilraft", Audit.LOGGER);

  @TempDir
  static Path root;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<VeilraftNode> nodes = new ArrayList<>();
  private final Map<String, Level> levelsBefore = new HashMap<>();
  private final String marker = "obs-" + Hashes.hex(random(6)) + "-";
  private LocalCluster.Layout layout;
  private BothFormats capture;

  @BeforeAll
  void startCluster() throws Exception {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    for (String name : DEBUG_LOGGERS) {
      Logger logger = context.getLogger(name);
      levelsBefore.put(name, logger.getLevel());
      logger.setLevel(Level.DEBUG);
    }
    capture = BothFormats.attach(context);
    layout = LocalCluster.create(root, NODES + 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    nodes.add(VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC()));
    for (int i = 1; i < NODES; i++) {
      nodes.add(VeilraftNode.join(layout.nodes().get(i), layout.api(0), Clock.systemUTC(), null));
    }
  }

  @AfterAll
  void stopCluster() {
    nodes.forEach(VeilraftNode::close);
    if (capture != null) {
      capture.close();
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    levelsBefore.forEach((name, level) -> context.getLogger(name).setLevel(level));
  }

  private static byte[] random(int bytes) {
    byte[] out = new byte[bytes];
    new SecureRandom().nextBytes(out);
    return out;
  }

  private URI plain(int node, String path) {
    return nodes.get(node).insecurePlainHttpUrl().orElseThrow().resolve(path);
  }

  private HttpResponse<String> get(int node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(plain(node, path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int node, String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(plain(node, path)).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(1)
  void everyMemberBecomesReadyAndSaysWhyWhenNot() throws Exception {
    // Proves /readyz turns 200 on every member (admitted, epoch key, leader, caught up) with no unmet condition.
    for (int i = 0; i < NODES; i++) {
      int node = i;
      assertThat(Await.until(() -> {
        try {
          return get(node, "/readyz").statusCode() == 200;
        } catch (Exception e) {
          return false;
        }
      }, Duration.ofSeconds(20))).as("node %d ready", i).isTrue();
      JsonNode body = json.readTree(get(i, "/readyz").body());
      assertThat(body.get("ready").asBoolean()).isTrue();
      assertThat(body.get("unmet")).isEmpty();
      assertThat(get(i, "/healthz").statusCode()).isEqualTo(200);
    }
  }

  @Test
  @Order(2)
  void aRogueJoinIsRefusedAuditedAndCountedByReason() throws Exception {
    // Proves a join with an altered measurement is refused, logged as join.rejected and counted by its reason enum.
    NodeConfig rogue = layout.nodes().get(NODES);
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(rogue.dataDir().resolve("simulated-chip"),
        SimulatedSnpVendor.openOrCreate(layout.vendorDir()));
    SimulatedSnpAttester altered = SimulatedSnpAttester.create(chip,
        CodeMeasurement.of(Hashes.sha384(marker.getBytes(StandardCharsets.UTF_8)), List.of()));
    assertThatThrownBy(() -> VeilraftNode.join(rogue, layout.api(1), Clock.systemUTC(), altered))
        .isInstanceOfSatisfying(NodeException.class, e -> assertThat(e.code()).isEqualTo("MEASUREMENT_NOT_ALLOWED"));

    String scrape = get(1, "/metrics").body();
    assertThat(scrape).contains("veilraft_join_rejections_total{reason=\"MEASUREMENT_NOT_ALLOWED\"} 1.0")
        .contains("veilraft_join_rejections_total{reason=\"DEBUG_ENABLED\"} 0.0")
        .contains("veilraft_join_rejections_total{reason=\"OTHER\"} 0.0")
        .contains("veilraft_join_rejections_total{reason=\"PROTOCOL_VERSION_UNSUPPORTED\"} 0.0");
    assertThat(capture.text("join.rejected")).anySatisfy(l -> assertThat(l).contains("reason=MEASUREMENT_NOT_ALLOWED"));
  }

  @Test
  @Order(3)
  void aKvWorkloadWithDistinctivePlaintextLeavesNoTraceInAnyLogLine() throws Exception {
    // Proves no key, value, or epoch secret of a workload appears in any captured line, at DEBUG, text or JSON.
    List<String> secrets = new ArrayList<>();
    for (int i = 0; i < NODES; i++) {
      VeilraftClient client = layout.connect(i);
      for (int op = 0; op < 4; op++) {
        String key = marker + "key-" + i + "-" + op;
        String value = marker + "value-" + Hashes.hex(random(8));
        secrets.add(key);
        secrets.add(value);
        KvRequest put = KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder()
            .setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value))).build();
        KvResponse.parseFrom(client.call(KvApp.NAME, put.toByteArray()));
        KvRequest read = KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder()
            .setKey(ByteString.copyFromUtf8(key))).build();
        assertThat(KvResponse.parseFrom(client.query(KvApp.NAME, read.toByteArray())).getValue().toStringUtf8())
            .isEqualTo(value);
      }
    }
    // Bad input logs its reasons; none may echo the body.
    assertThat(http.send(HttpRequest.newBuilder(plain(NODES - 1, "/v1/events")).POST(HttpRequest.BodyPublishers.ofString(
        marker + "garbage-event")).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(400);
    for (VeilraftNode node : nodes) {
      node.replica().keyring().all().forEach(secret -> {
        secrets.add(Hashes.hex(secret.secretBytes()));
        secrets.add(Base64.getEncoder().encodeToString(secret.secretBytes()));
      });
    }

    assertThat(capture.size()).as("lines captured").isGreaterThan(50);
    assertThat(LoggerFactory.getLogger(VeilraftNode.class).isDebugEnabled()).as("captured at DEBUG").isTrue();
    for (String secret : secrets) {
      assertThat(capture.containing(secret)).as("log lines containing %s", secret).isEmpty();
      assertThat(capture.containing(Hashes.hex(secret.getBytes(StandardCharsets.UTF_8)))).isEmpty();
    }
    assertThat(capture.containing(marker)).as("nothing of the workload's marker is logged").isEmpty();
  }

  @Test
  @Order(4)
  void theJoinsWereAuditedInBothFormats() throws Exception {
    // Proves the audit trail holds the founding, a hello and an admission per joiner, and key rotations, as text and
    // JSON, and that every captured JSON line is one JSON object.
    assertThat(capture.text("cluster.initialized")).hasSize(1);
    assertThat(capture.text("join.hello ")).hasSizeGreaterThanOrEqualTo(NODES - 1);
    assertThat(capture.text("join.admitted ")).hasSize(NODES - 1);
    assertThat(capture.text("member.active ")).hasSizeGreaterThanOrEqualTo(NODES - 1); // a retried ready repeats it
    // Epochs 1 (founding) to NODES (one per join), each created by exactly one node.
    assertThat(capture.text("key.rotated ")).hasSizeGreaterThanOrEqualTo(NODES);
    List<JsonNode> admitted = new ArrayList<>();
    for (String line : capture.json("join.admitted")) {
      admitted.add(json.readTree(line));
    }
    for (String line : capture.json("")) {
      assertThat(json.readTree(line).get("level")).as("every JSON line parses: %s", line).isNotNull();
    }
    assertThat(admitted).hasSize(NODES - 1).allSatisfy(j -> {
      assertThat(j.get("loggerName").asText()).isEqualTo(Audit.LOGGER);
      assertThat(j.get("kvpList").toString()).contains("\"event\":\"join.admitted\"").contains("\"operator\":\"local\"");
    });
  }

  @Test
  @Order(5)
  void metricsCoverCommitApplyAttestationAgeAndRequestsWithBoundedTags() throws Exception {
    // Proves the scrape has commit index, apply latency, an attestation age per member, and route-pattern request tags.
    assertThat(get(0, "/no/such/" + marker).statusCode()).isEqualTo(404);
    assertThat(get(0, "/cashu/v1/info").statusCode()).isEqualTo(200);
    String scrape = get(0, "/metrics").body();

    assertThat(scrape).contains("veilraft_commit_index ").contains("veilraft_apply_seconds_count ")
        .contains("veilraft_epoch_age_seconds ").contains("veilraft_ready 1.0")
        .contains("veilraft_halted 0.0").contains("veilraft_protocol_version 1.0")
        .contains("veilraft_build_protocol_version_max 1.0").contains("veilraft_client_event_answers_taken ");
    for (VeilraftNode node : nodes) {
      assertThat(scrape).contains("veilraft_attestation_age_seconds{member=\"" + node.nodeId() + "\"}");
    }
    assertThat(scrape.lines().filter(l -> l.startsWith("veilraft_attestation_age_seconds{"))).hasSize(NODES);
    assertThat(scrape).contains("route=\"/v1/cluster\"").contains("route=\"unmatched\"").contains("route=\"/cashu/**\"")
        .contains("status=\"2xx\"").contains("status=\"4xx\"").doesNotContain(marker);
    long applied = scrape.lines().filter(l -> l.startsWith("veilraft_apply_seconds_count "))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElse(0);
    assertThat(applied).isGreaterThan(10);
  }

  @Test
  @Order(6)
  void attestationJsonPipedIntoVerifyPassesAsInsecureAndAStaleNonceFails() throws Exception {
    // Proves GET /v1/attestation's answer verifies at POST /v1/verify (simulated, INSECURE) and a wrong nonce fails.
    String nonce = Hashes.hex(random(32));
    String attestation = get(NODES - 1, "/v1/attestation?nonce=" + nonce).body();

    JsonNode fresh = json.readTree(post(0, "/v1/verify", attestation).body());
    JsonNode stale = json.readTree(post(0, "/v1/verify?nonce=" + Hashes.hex(random(32)), attestation).body());

    assertThat(fresh.get("verdict").asText()).as(fresh.toString()).isEqualTo("PASSED");
    assertThat(fresh.get("security").asText()).startsWith("INSECURE");
    assertThat(fresh.get("report_data_checked").asBoolean()).isTrue();
    assertThat(fresh.get("claims").get("platform").asText()).isEqualTo("SIMULATED_SNP");
    assertThat(fresh.get("node_id").asText()).isEqualTo(nodes.get(NODES - 1).nodeId());
    String forged = post(0, "/v1/verify", attestation.replace(nodes.get(NODES - 1).nodeId(), nodes.get(0).nodeId())).body();
    assertThat(json.readTree(forged).get("code").asText()).isEqualTo("NODE_ID_MISMATCH");
    assertThat(stale.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(stale.get("failures").get(0).get("reason").asText()).isEqualTo("REPORT_DATA_MISMATCH");
    assertThat(nodes.get(0).replica().view().members()).hasSize(NODES);
  }

  @Test
  @Order(7)
  void theLiveRouteTableMatchesTheOpenApiDescription() throws Exception {
    // Proves a running node (apps included) registers exactly the described routes, prefixes and WebSockets.
    var api = nodes.get(0).api();
    assertThat(OpenApiTest.describedRoutes()).isEqualTo(api.routes());
    assertThat(OpenApiTest.listed("x-veilraft-app-prefixes", "prefix")).isEqualTo(api.prefixRoutes());
    assertThat(OpenApiTest.listed("x-veilraft-websockets", "path")).isEqualTo(api.webSocketRoutes());
    HttpResponse<String> served = get(0, OpenApi.PATH);
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.body()).startsWith("openapi: 3.1.0");
  }

  /**
   * Every log event of this JVM encoded by the production encoder in both formats. Bounded: keeps at
   * most {@link #LINES_MAX} events.
   */
  static final class BothFormats extends AppenderBase<ILoggingEvent> implements AutoCloseable {
    static final int LINES_MAX = 200_000;
    private final FormatSelectingEncoder textEncoder = new FormatSelectingEncoder();
    private final FormatSelectingEncoder jsonEncoder = new FormatSelectingEncoder();
    private final List<String> textLines = new ArrayList<>();
    private final List<String> jsonLines = new ArrayList<>();

    static BothFormats attach(LoggerContext context) {
      BothFormats capture = new BothFormats();
      capture.setContext(context);
      capture.setName("observability-capture");
      for (var encoder : List.of(capture.textEncoder, capture.jsonEncoder)) {
        encoder.setContext(context);
        encoder.setFormat(encoder == capture.jsonEncoder ? LogFormat.JSON : LogFormat.TEXT);
        encoder.start();
      }
      capture.start();
      context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
      return capture;
    }

    @Override
    protected synchronized void append(ILoggingEvent event) {
      if (textLines.size() < LINES_MAX) {
        textLines.add(new String(textEncoder.encode(event), StandardCharsets.UTF_8));
        jsonLines.add(new String(jsonEncoder.encode(event), StandardCharsets.UTF_8));
      }
    }

    synchronized int size() {
      return textLines.size();
    }

    /** Text lines containing {@code needle}. */
    synchronized List<String> text(String needle) {
      return textLines.stream().filter(l -> l.contains(needle)).toList();
    }

    /** JSON lines containing {@code needle}. */
    synchronized List<String> json(String needle) {
      return jsonLines.stream().filter(l -> l.contains(needle)).toList();
    }

    /** Lines of either format containing {@code needle} (case-insensitive). */
    synchronized List<String> containing(String needle) {
      String lower = needle.toLowerCase(java.util.Locale.ROOT);
      List<String> out = new ArrayList<>();
      for (List<String> lines : List.of(textLines, jsonLines)) {
        lines.stream().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains(lower)).forEach(out::add);
      }
      return out;
    }

    @Override
    public void close() {
      ((LoggerContext) getContext()).getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
      stop();
    }
  }
}
