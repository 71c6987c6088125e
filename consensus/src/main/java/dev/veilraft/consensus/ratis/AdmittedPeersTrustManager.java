package dev.veilraft.consensus.ratis;

import dev.veilraft.crypto.NodeKeyTrustManager;
import java.security.cert.CertificateException;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Peer TLS trust: a certificate is accepted only if its key belongs to an admitted member, in
 * both directions. The admitted set is read at every handshake, so admissions take effect at once.
 */
final class AdmittedPeersTrustManager extends NodeKeyTrustManager {
  private final Supplier<Set<String>> admittedNodeIds;

  AdmittedPeersTrustManager(Supplier<Set<String>> admittedNodeIds) {
    this.admittedNodeIds = admittedNodeIds;
  }

  @Override
  protected void checkPeer(String nodeId, boolean peerIsClient) throws CertificateException {
    if (!admittedNodeIds.get().contains(nodeId)) {
      throw new CertificateException("peer " + nodeId + " is not an admitted member of this cluster");
    }
  }
}
