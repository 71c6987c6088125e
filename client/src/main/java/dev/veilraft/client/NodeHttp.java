package dev.veilraft.client;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.ApiError;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;

/**
 * HTTPS calls to a node's API with protobuf bodies. Errors come back as {@link ApiError} and
 * become {@link ClientException}s with the node's code. The TLS key a node presents is returned
 * with each answer so the caller can check it against the node's attested identity.
 */
public final class NodeHttp {
  public static final String PROTOBUF = "application/x-protobuf";
  public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final MemberKeyTrustManager trust = new MemberKeyTrustManager();
  private final HttpClient http;

  public NodeHttp() {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, new SecureRandom());
      this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10))
          .version(HttpClient.Version.HTTP_1_1).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS unavailable", e);
    }
  }

  /** From now on only accept TLS keys of these (attested) nodes. */
  public void pin(Set<String> nodeIds) {
    trust.pin(nodeIds);
  }

  /** A successful answer and the TLS certificate the node presented. */
  public record Answer(byte[] body, X509Certificate tlsPeer) {}

  public Answer get(URI uri) throws ClientException {
    return send(HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).GET().build());
  }

  public Answer post(URI uri, byte[] body) throws ClientException {
    return send(postRequest(uri, body));
  }

  public CompletableFuture<byte[]> postAsync(URI uri, byte[] body) {
    return http.sendAsync(postRequest(uri, body), HttpResponse.BodyHandlers.ofByteArray()).thenApply(response -> {
      try {
        return body(response);
      } catch (ClientException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  private static HttpRequest postRequest(URI uri, byte[] body) {
    return HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT).header("Content-Type", PROTOBUF)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
  }

  private Answer send(HttpRequest request) throws ClientException {
    HttpResponse<byte[]> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new ClientException("UNREACHABLE", request.uri() + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ClientException("INTERRUPTED", "interrupted while calling " + request.uri(), e);
    }
    return new Answer(body(response), peer(response));
  }

  private static X509Certificate peer(HttpResponse<?> response) throws ClientException {
    try {
      var session = response.sslSession().orElseThrow(() -> new ClientException("NO_TLS", "node did not answer over TLS"));
      return (X509Certificate) session.getPeerCertificates()[0];
    } catch (SSLPeerUnverifiedException e) {
      throw new ClientException("NO_TLS", "node presented no certificate");
    }
  }

  /** The body of a 200 response; any other status carries an ApiError. */
  static byte[] body(HttpResponse<byte[]> response) throws ClientException {
    if (response.statusCode() == 200) {
      return response.body();
    }
    try {
      ApiError error = ApiError.parseFrom(response.body());
      throw new ClientException(error.getCode().isEmpty() ? "HTTP_" + response.statusCode() : error.getCode(),
          error.getMessage());
    } catch (InvalidProtocolBufferException e) {
      throw new ClientException("HTTP_" + response.statusCode(), "node answered " + response.statusCode()
          + " without an error body");
    }
  }
}
