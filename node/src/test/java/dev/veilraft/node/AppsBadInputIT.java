package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.api.WebSockets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the apps through a real node's HTTP and WebSocket server: each gets the protocol's
 * own error (a Cashu error code and detail; a Nostr NOTICE, OK false or a close with a reason),
 * the connection or server keeps serving, and the mint's state does not move.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AppsBadInputIT {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  static Path root;

  private VeilraftNode node;
  private LocalCluster.Layout layout;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    layout = TestClusters.create(root, 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    node = VeilraftNode.start(layout.nodes().get(0), Clock.systemUTC());
  }

  @AfterAll
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.insecurePlainHttpUrl().orElseThrow() + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void cashuBadBodiesGetErrorCodesAndChangeNothing() throws Exception {
    // Malformed JSON, wrong types, huge numbers, invalid points, unknown keysets: 400 with a code and detail, no state change.
    HttpResponse<String> keys = http.send(HttpRequest.newBuilder(URI.create(node.insecurePlainHttpUrl().orElseThrow()
        + "/cashu/v1/keys")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(keys.statusCode()).as(keys.body()).isEqualTo(200);
    java.util.List<String> before = mintRecords();
    String point = "02" + "00".repeat(32);
    String[] bodies = {
        "{not json", "[]", "{\"inputs\": \"x\", \"outputs\": []}",
        "{\"inputs\":[{\"amount\":1e400,\"id\":\"00ffd48b8f5ecf80\",\"secret\":\"s\",\"C\":\"" + point + "\"}],\"outputs\":[]}",
        "{\"inputs\":[{\"amount\":1,\"id\":\"00ffd48b8f5ecf80\",\"secret\":\"s\",\"C\":\"" + point + "\"}],\"outputs\":[]}",
        "{\"inputs\":[{\"amount\":18446744073709551617,\"id\":\"00ffd48b8f5ecf80\",\"secret\":\"s\",\"C\":\"zz\"}],"
            + "\"outputs\":[]}"};
    for (String body : bodies) {
      HttpResponse<String> answer = post("/cashu/v1/swap", body);
      assertThat(answer.statusCode()).as(body).isEqualTo(400);
      JsonNode error = JSON.readTree(answer.body());
      assertThat(error.get("code").isInt()).as(answer.body()).isTrue();
      assertThat(error.get("detail").asText()).as(answer.body()).isNotBlank();
    }
    HttpResponse<String> hugeAmount = post("/cashu/v1/mint/quote/bolt11", "{\"amount\": 9007199254740993, \"unit\": \"sat\"}");
    assertThat(hugeAmount.statusCode()).isEqualTo(400);
    HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(URI.create(node.insecurePlainHttpUrl().orElseThrow()
        + "/cashu/v1/nothing")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(unknown.statusCode()).isBetween(400, 404);
    assertThat(mintRecords()).as("the mint's state did not move").isEqualTo(before);
  }

  @Test
  void anOrdinaryClientCannotVouchForLightningNorUnlockOthersDirectMessages() throws Exception {
    // Anyone may seal events to the group key (POST /v1/events): a request claiming an invoice was paid is refused
    // unless a member's front end tagged it, so nobody can mark their own unpaid quote paid and mint unbacked ecash.
    HttpResponse<String> quote = post("/cashu/v1/mint/quote/bolt11", "{\"amount\": 64, \"unit\": \"sat\"}");
    assertThat(quote.statusCode()).as(quote.body()).isEqualTo(200);
    String id = JSON.readTree(quote.body()).get("quote").asText();
    var client = layout.connect(0);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.call("cashu",
        ("{\"op\":\"mint_quote_paid\",\"quote\":\"" + id + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .hasMessageContaining("only a member's own front end");
    HttpResponse<String> state = http.send(HttpRequest.newBuilder(URI.create(node.insecurePlainHttpUrl().orElseThrow()
        + "/cashu/v1/mint/quote/bolt11/" + id)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(state.statusCode()).isEqualTo(200);
  }

  /** Every record of the mint's namespace (key and value), as hex. */
  private java.util.List<String> mintRecords() throws Exception {
    return node.replica().store().scan("app/cashu", null, null, 1000).stream()
        .map(r -> dev.veilraft.crypto.Hashes.hex(r.key()) + "=" + dev.veilraft.crypto.Hashes.hex(r.value())).toList();
  }

  @Test
  void nostrBadFramesGetNoticesAndOversizedOnesACloseWithAReason() throws Exception {
    // Garbage and oversized-but-readable messages get NOTICEs on a connection that keeps working; a frame over the
    // transport bound closes the connection with 1009 and a reason.
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    CompletableFuture<String> closed = new CompletableFuture<>();
    URI base = node.insecurePlainHttpUrl().orElseThrow();
    WebSocket socket = http.newWebSocketBuilder().buildAsync(URI.create("ws://" + base.getHost() + ":" + base.getPort()
        + "/nostr"), new WebSocket.Listener() {
          private final StringBuilder partial = new StringBuilder();

          @Override
          public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
              received.add(partial.toString());
              partial.setLength(0);
            }
            webSocket.request(1);
            return null;
          }

          @Override
          public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
          }
        }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    String greeting = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(greeting).startsWith("[\"AUTH\"");
    for (String bad : new String[] {"not json", "{}", "[\"REQ\"]", "[\"EVENT\", 1]", "[\"REQ\", \"s\", {\"limit\": 1e999}]",
        "[\"CLOSE\", 5]", "x".repeat(300_000)}) {
      socket.sendText(bad, true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      String answer = received.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertThat(answer).as(bad.length() > 40 ? bad.substring(0, 40) + "..." : bad).isNotNull()
          .matches("\\[\"(NOTICE|CLOSED|OK)\".*");
    }
    socket.sendText("[\"REQ\", \"after\", {\"kinds\": [1], \"limit\": 1}]", true).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertThat(received.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the connection still serves").startsWith("[\"EOSE\"");
    socket.sendText("y".repeat(WebSockets.TEXT_MESSAGE_BYTES_MAX + 1), true);
    assertThat(closed.get(WAIT.toSeconds(), TimeUnit.SECONDS)).startsWith("1009 ").hasSizeGreaterThan(5);
  }
}
