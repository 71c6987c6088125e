package dev.veilraft.simulator.workload.cashu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A Cashu wallet's HTTP calls to one node's mint ({@code /cashu/v1/...}) over the node's INSECURE
 * plain-HTTP loopback connector (simulated clusters only). Every call is bounded by
 * {@link #CALL_TIMEOUT}. An answer is classified the way the history needs it: {@code ok} (200),
 * {@code refused} (400 with a Cashu error code: the mint refused, nothing happened) or
 * {@code unknown} (no answer, a timeout, a 5xx: the request may or may not have been applied).
 */
public final class MintHttp {
  /** A call not answered within this is indeterminate; shorter than the front end's own 60 s commit wait. */
  public static final Duration CALL_TIMEOUT = Duration.ofSeconds(10);
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(3);
  /** Longest error text kept in the history. */
  static final int ERROR_CHARS_MAX = 200;
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http;
  private final URI mintUrl;

  /** {@code base} is the node's plain HTTP address, {@code http://127.0.0.1:port}. */
  public MintHttp(HttpClient http, URI base) {
    this.http = http;
    this.mintUrl = URI.create(base.toString() + "/cashu");
  }

  public static HttpClient newClient() {
    return HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
  }

  /** The outcome of one call. */
  public record Answer(Kind kind, JsonNode body, String error) {
    /** How a call ended. */
    public enum Kind { OK, REFUSED, UNKNOWN }

    public boolean ok() {
      return kind == Kind.OK;
    }

    /** The Cashu error code of a refusal (0 when there is none). */
    public int code() {
      return body == null ? 0 : body.path("code").asInt(0);
    }
  }

  public Answer get(String path) throws InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(mintUrl + path)).GET());
  }

  public Answer post(String path, ObjectNode body) throws InterruptedException {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode a wallet request: " + e.getMessage(), e);
    }
    return send(HttpRequest.newBuilder(URI.create(mintUrl + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
  }

  private Answer send(HttpRequest.Builder request) throws InterruptedException {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request.timeout(CALL_TIMEOUT).build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.http.HttpTimeoutException e) {
      return new Answer(Answer.Kind.UNKNOWN, null, "TIMEOUT no answer within " + CALL_TIMEOUT);
    } catch (IOException e) {
      return new Answer(Answer.Kind.UNKNOWN, null, clip("IO " + e));
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      return new Answer(Answer.Kind.UNKNOWN, null, "HTTP " + response.statusCode() + " with a body that is not JSON");
    }
    if (response.statusCode() == 200 && body != null && body.isObject()) {
      return new Answer(Answer.Kind.OK, body, null);
    }
    String detail = body == null ? "" : body.path("detail").asText("");
    int code = body == null ? 0 : body.path("code").asInt(0);
    if (response.statusCode() == 400 && code > 0) {
      return new Answer(Answer.Kind.REFUSED, body, clip("code " + code + ": " + detail));
    }
    return new Answer(Answer.Kind.UNKNOWN, body, clip("HTTP " + response.statusCode() + ": " + detail));
  }

  static String clip(String s) {
    String line = s == null ? "" : s.replace('\n', ' ');
    return line.length() > ERROR_CHARS_MAX ? line.substring(0, ERROR_CHARS_MAX) + "…" : line;
  }
}
