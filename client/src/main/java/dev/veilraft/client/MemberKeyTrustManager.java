package dev.veilraft.client;

import dev.veilraft.crypto.NodeKeyTrustManager;
import java.security.cert.CertificateException;
import java.util.Set;

/**
 * TLS trust for talking to nodes. Before the cluster is verified any key is accepted and the
 * caller checks the presented key against the signed, attested description; after that only the
 * keys of verified members are accepted.
 */
final class MemberKeyTrustManager extends NodeKeyTrustManager {
  private volatile Set<String> pinnedNodeIds = Set.of();

  void pin(Set<String> nodeIds) {
    pinnedNodeIds = Set.copyOf(nodeIds);
  }

  @Override
  protected void checkPeer(String nodeId, boolean peerIsClient) throws CertificateException {
    if (peerIsClient) {
      throw new CertificateException("a client trust manager does not authenticate clients");
    }
    Set<String> pinned = pinnedNodeIds;
    if (!pinned.isEmpty() && !pinned.contains(nodeId)) {
      throw new CertificateException("node " + nodeId + " is not a verified member");
    }
  }
}
