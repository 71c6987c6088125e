package dev.veilraft.client;

import dev.veilraft.crypto.Certificates;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS trust for talking to nodes. Node certificates are self-signed identity keys whose trust
 * comes from attestation, not from a CA: before the cluster is verified any key is accepted and
 * the caller checks the presented key against the signed, attested description; after that only
 * the keys of verified members are accepted. No hostname check applies (identity is the key).
 */
final class MemberKeyTrustManager extends X509ExtendedTrustManager {
  private volatile Set<String> pinnedNodeIds = Set.of();

  void pin(Set<String> nodeIds) {
    pinnedNodeIds = Set.copyOf(nodeIds);
  }

  private void check(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("node presented no certificate");
    }
    Set<String> pinned = pinnedNodeIds;
    if (!pinned.isEmpty() && !pinned.contains(Certificates.nodeId(chain[0]))) {
      throw new CertificateException("node " + Certificates.nodeId(chain[0]) + " is not a verified member");
    }
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    check(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    throw new CertificateException("a client trust manager does not authenticate clients");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
