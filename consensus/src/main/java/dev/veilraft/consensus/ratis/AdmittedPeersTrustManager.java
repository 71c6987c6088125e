package dev.veilraft.consensus.ratis;

import dev.veilraft.crypto.Certificates;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Peer TLS trust: a certificate is accepted only if its key belongs to an admitted member.
 * Identity rests on the key (node id = hash of the SPKI), not on names or a CA, so no hostname
 * check applies. The admitted set is read at every handshake, so admissions take effect at once.
 */
final class AdmittedPeersTrustManager extends X509ExtendedTrustManager {
  private final Supplier<Set<String>> admittedNodeIds;

  AdmittedPeersTrustManager(Supplier<Set<String>> admittedNodeIds) {
    this.admittedNodeIds = admittedNodeIds;
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("peer presented no certificate");
    }
    String nodeId = Certificates.nodeId(chain[0]);
    if (!admittedNodeIds.get().contains(nodeId)) {
      throw new CertificateException("peer " + nodeId + " is not an admitted member of this cluster");
    }
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
