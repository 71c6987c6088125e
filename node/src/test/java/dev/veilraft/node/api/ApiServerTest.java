package dev.veilraft.node.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.seal.SimulatedFileSealer;
import dev.veilraft.crypto.seal.WebTlsKey;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiServerTest {
  private ApiServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private static final X509TrustManager TRUST_ALL = new X509TrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  @Test
  void prefixRoutesAnswerOverPlainHttpWithCorsAndExactRoutesWin() throws Exception {
    // App protocols mounted under a prefix get the relative path, query and Accept header; exact routes still win.
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()), null, "127.0.0.1", 0);
    server.route("GET", "/app/exact", (body, query) -> "exact".getBytes(StandardCharsets.UTF_8));
    server.routePrefix("/app", request -> CompletableFuture.completedFuture(HttpAnswer.json(201,
        "{\"method\":\"" + request.method() + "\",\"path\":\"" + request.path() + "\",\"query\":\"" + request.query()
            + "\",\"accept\":\"" + request.accept() + "\",\"body\":" + request.body().length + "}")));
    server.start();
    HttpClient http = HttpClient.newHttpClient();
    String base = "http://127.0.0.1:" + server.insecurePlainPort();
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/app/v1/swap?x=1"))
        .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(201);
    assertThat(post.body()).isEqualTo("{\"method\":\"POST\",\"path\":\"/v1/swap\",\"query\":\"x=1\",\"accept\":"
        + "\"application/json\",\"body\":2}");
    assertThat(post.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    HttpResponse<String> preflight = http.send(HttpRequest.newBuilder(URI.create(base + "/app/v1/swap"))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(preflight.statusCode()).isEqualTo(204);
    assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValueSatisfying(
        v -> assertThat(v).contains("POST"));
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/app/exact")).build(),
        HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("exact");
    assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/application")).build(),
        HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
  }

  @Test
  void aBodyWithoutContentLengthIsReadWholeAndOneThatEndsBeforeItsDeclaredLengthIsRefused() throws Exception {
    // A body is read into an array of its declared Content-Length; a chunked one (no length) is read up to the limit
    // as before; one that ends before its declared length is refused with 400 BAD_BODY.
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()), null, "127.0.0.1", 0);
    server.routeAsync("POST", "/v1/echo", (body, query) -> CompletableFuture.completedFuture(body));
    server.start();
    String chunked = "POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "5\r\nhello\r\n1\r\n,\r\n6\r\n world\r\n0\r\n\r\n";
    String answer = exchange(chunked);
    assertThat(answer).startsWith("HTTP/1.1 200").endsWith("\r\n\r\nhello, world");
    String shortBody = "POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
        + "four";
    assertThat(exchange(shortBody, true)).startsWith("HTTP/1.1 400").contains("BAD_BODY");
  }

  private String exchange(String request) throws Exception {
    return exchange(request, false);
  }

  /**
   * Sends {@code request} over plain HTTP/1.1, closing the sending half after it when {@code endEarly} (the server
   * then sees the body end), and reads the answer until the server closes.
   */
  private String exchange(String request, boolean endEarly) throws Exception {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.insecurePlainPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      if (endEarly) {
        socket.shutdownOutput();
      }
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void webSocketRouteCarriesTextBothWaysAndClosesWithAReason() throws Exception {
    // A connection handler receives text, answers through its sink (in order), and can close with a code and reason.
    server = new ApiServer("127.0.0.1", 0, NodeIdentity.generate(Instant.now()), null, "127.0.0.1", 0);
    server.routeWebSocket("/ws", sink -> new WebSockets.Connection() {
      @Override
      public void onText(String text) {
        if (text.equals("bye")) {
          sink.close(4000, "asked to leave");
          return;
        }
        for (int i = 0; i < 3; i++) {
          sink.send(text + i);
        }
      }

      @Override
      public void onClose() {}
    });
    server.start();
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    CompletableFuture<String> closed = new CompletableFuture<>();
    WebSocketClient client = new WebSocketClient();
    client.start();
    try {
      Session session = client.connect(new Recorder(received, closed), URI.create("ws://127.0.0.1:" + server.insecurePlainPort() + "/ws")).get(10, TimeUnit.SECONDS);
      session.sendText("hi", Callback.NOOP);
      for (int i = 0; i < 3; i++) {
        assertThat(received.poll(10, TimeUnit.SECONDS)).isEqualTo("hi" + i);
      }
      session.sendText("bye", Callback.NOOP);
      assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo("4000 asked to leave");
    } finally {
      client.stop();
    }
  }

  @Test
  void sniForTheWebNameGetsTheWebCertificateOthersTheIdentity(@TempDir Path dir) throws Exception {
    // A client asking by SNI for the web certificate's name gets it; a client without SNI gets the identity certificate.
    NodeIdentity identity = NodeIdentity.generate(Instant.now());
    WebTlsKey key = WebTlsKey.loadOrCreate(dir, SimulatedFileSealer.openOrCreate(dir.resolve("seal.key")));
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, key.selfSignedPem(List.of("mint.example.org"), Instant.now().minusSeconds(60),
        Duration.ofDays(1)));
    server = new ApiServer("127.0.0.1", 0, identity, key.entry(WebTlsKey.readChain(chain)), null, 0);
    server.start();
    assertThat(peerKey("mint.example.org")).isEqualTo(key.spki());
    assertThat(peerKey(null)).isEqualTo(identity.spki());
    assertThat(peerKey("other.example.org")).isEqualTo(identity.spki());
    assertThat(server.insecurePlainPort()).isEqualTo(-1);
  }

  /** A client endpoint; public because Jetty calls listener methods through method handles. */
  public static final class Recorder implements Session.Listener.AutoDemanding {
    private final BlockingQueue<String> received;
    private final CompletableFuture<String> closed;

    Recorder(BlockingQueue<String> received, CompletableFuture<String> closed) {
      this.received = received;
      this.closed = closed;
    }

    @Override
    public void onWebSocketText(String message) {
      received.add(message);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
      closed.complete(statusCode + " " + reason);
    }
  }

  private byte[] peerKey(String sni) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {TRUST_ALL}, new SecureRandom());
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", server.port())) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      return socket.getSession().getPeerCertificates()[0].getPublicKey().getEncoded();
    }
  }
}
