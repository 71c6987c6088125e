package dev.veilraft.crypto;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS trust by node key rather than by CA or host name: veilraft certificates are self-signed
 * identity keys whose trust comes from attestation. Subclasses decide which node ids to accept.
 * Extending {@link X509ExtendedTrustManager} (not the plain interface) matters: it keeps JSSE
 * from adding its own host-name check, which would refuse every node certificate.
 */
public abstract class NodeKeyTrustManager extends X509ExtendedTrustManager {

  /**
   * Accepts or refuses the peer whose certificate is {@code chain[0]}, named by its node id.
   * {@code peerIsClient} is true when this side is the TLS server.
   */
  protected abstract void checkPeer(String nodeId, boolean peerIsClient) throws CertificateException;

  private void check(X509Certificate[] chain, boolean peerIsClient) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("peer presented no certificate");
    }
    checkPeer(Certificates.nodeId(chain[0]), peerIsClient);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, true);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, true);
  }

  @Override
  public final void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, true);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
    check(chain, false);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, false);
  }

  @Override
  public final void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, false);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
