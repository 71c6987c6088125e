package dev.veilraft.node.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.proto.ApiError;
import dev.veilraft.crypto.NodeKeyTrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * HTTPS to one node's governance API, trusting the node by its key: only the node whose id
 * (SHA-256 of its identity SPKI, first 16 bytes) was pinned is accepted. Node certificates are
 * self-signed identity keys, so CA and host name checks do not apply. {@link #insecure} trusts any
 * key and says so in its name.
 */
final class GovHttp {
  static final Duration TIMEOUT = Duration.ofSeconds(40);
  static final int ANSWER_BYTES_MAX = 64 << 20;

  /** The node answered with an error: its stable code and message. */
  static final class NodeError extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String code;

    NodeError(int status, String code, String message) {
      super(code + ": " + (message == null || message.isBlank() ? "(the node gave no message; HTTP " + status + ")"
          : message));
      this.status = status;
      this.code = code;
    }
  }

  private final HttpClient http;
  private final URI base;

  private GovHttp(URI base, String pinnedNodeId) {
    this.base = base;
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {new PinnedNodeTrustManager(pinnedNodeId)}, new SecureRandom());
      this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(Duration.ofSeconds(10))
          .version(HttpClient.Version.HTTP_1_1).build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS unavailable", e);
    }
  }

  /** Talks only to the node with id {@code nodeId}. */
  static GovHttp pinned(URI base, String nodeId) {
    return new GovHttp(base, nodeId);
  }

  /** INSECURE: talks to whatever key answers at {@code base}; a network attacker can impersonate the node. */
  static GovHttp insecure(URI base) {
    return new GovHttp(base, null);
  }

  byte[] get(String path) throws NodeError, IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).GET().build());
  }

  byte[] postJson(String path, byte[] json) throws NodeError, IOException, InterruptedException {
    return send(HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(json)).build());
  }

  private byte[] send(HttpRequest request) throws NodeError, IOException, InterruptedException {
    HttpResponse<java.io.InputStream> response;
    byte[] body;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (java.io.InputStream in = response.body()) {
        body = in.readNBytes(ANSWER_BYTES_MAX + 1);
      }
    } catch (IOException e) {
      // The node may be down or have closed the connection (the JDK then often gives no message).
      throw new IOException(request.uri() + ": " + ErrorMessages.describe(e), e);
    }
    if (body.length > ANSWER_BYTES_MAX) {
      throw new IOException(request.uri() + ": answer is larger than " + ANSWER_BYTES_MAX + " bytes");
    }
    if (response.statusCode() == 200) {
      return body;
    }
    try {
      ApiError error = ApiError.parseFrom(body);
      throw new NodeError(response.statusCode(), error.getCode().isEmpty() ? "HTTP_" + response.statusCode()
          : error.getCode(), error.getMessage());
    } catch (InvalidProtocolBufferException e) {
      throw new NodeError(response.statusCode(), "HTTP_" + response.statusCode(), "node answered "
          + response.statusCode() + " without an error body");
    }
  }

  /** Accepts the pinned node id only, or (INSECURE, null pin) any server key. */
  private static final class PinnedNodeTrustManager extends NodeKeyTrustManager {
    private final String pinned;

    PinnedNodeTrustManager(String pinned) {
      this.pinned = pinned;
    }

    @Override
    protected void checkPeer(String nodeId, boolean peerIsClient) throws CertificateException {
      if (peerIsClient) {
        throw new CertificateException("this trust manager does not authenticate clients");
      }
      if (pinned != null && !pinned.equalsIgnoreCase(nodeId)) {
        throw new CertificateException("node presented key " + nodeId + ", expected the pinned node " + pinned);
      }
    }
  }
}
