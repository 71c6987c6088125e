package dev.veilraft.simulator.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.NodeKeyTrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;

/**
 * Reads a node's {@code GET /v1/status} (public information: epoch, members, leader) over TLS
 * pinned to the cluster's node keys; the answer counts only when the certificate's node id is the
 * slot's, so a process on the wrong port cannot pass for the node.
 */
final class StatusClient {
  static final Duration TIMEOUT = Duration.ofSeconds(3);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http;

  /** Trusts the TLS keys of {@code nodeIds} only; {@link #fetch} also checks it is the slot's own. */
  StatusClient(java.util.Set<String> nodeIds) {
    try {
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {new PinnedNodes(java.util.Set.copyOf(nodeIds))}, new SecureRandom());
      this.http = HttpClient.newBuilder().sslContext(tls).connectTimeout(TIMEOUT).version(HttpClient.Version.HTTP_1_1)
          .build();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("TLS unavailable", e);
    }
  }

  /** Node keys, not host names, authenticate nodes (their certificates name no host). */
  private static final class PinnedNodes extends NodeKeyTrustManager {
    private final java.util.Set<String> nodeIds;

    PinnedNodes(java.util.Set<String> nodeIds) {
      this.nodeIds = nodeIds;
    }

    @Override
    protected void checkPeer(String nodeId, boolean peerIsClient) throws CertificateException {
      if (peerIsClient || !nodeIds.contains(nodeId)) {
        throw new CertificateException("node " + nodeId + " is not a node of this cluster");
      }
    }
  }

  Optional<NodeStatus> fetch(URI api, String expectedNodeId) {
    try {
      HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(api.resolve("/v1/status")).timeout(TIMEOUT).GET()
          .build(), HttpResponse.BodyHandlers.ofByteArray());
      Optional<SSLSession> session = response.sslSession();
      if (response.statusCode() != 200 || session.isEmpty()
          || !expectedNodeId.equals(Certificates.nodeId((X509Certificate) session.get().getPeerCertificates()[0]))) {
        return Optional.empty();
      }
      JsonNode root = JSON.readTree(response.body());
      if (!root.path("initialized").asBoolean(false)) {
        return Optional.empty();
      }
      List<String> members = new ArrayList<>();
      List<String> voters = new ArrayList<>();
      root.path("members").forEach(m -> {
        members.add(m.path("node_id").asText());
        if (m.path("role").asText().equals("VOTER")) {
          voters.add(m.path("node_id").asText());
        }
      });
      return Optional.of(new NodeStatus(root.path("node_id").asText(), root.path("epoch").asLong(), "",
          root.path("leader").asBoolean(), members, Map.of(), List.of(), root.path("applied_index").asLong(),
          root.path("commit_index").asLong(-1), root.path("raft_applied_index").asLong(-1), voters,
          root.path("halted_on_disk_failure").asBoolean(false)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
