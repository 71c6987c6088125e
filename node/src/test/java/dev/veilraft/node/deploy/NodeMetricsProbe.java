package dev.veilraft.node.deploy;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Reads one value from a node's {@code GET /metrics} (Prometheus text), for tests that wait for a
 * leader or a voter count. It trusts any certificate: the metrics it reads steer the test, not the
 * trust in the cluster, which the tests' clients establish by verifying evidence.
 */
final class NodeMetricsProbe {
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newBuilder().sslContext(trustAnything())
      .connectTimeout(REQUEST_TIMEOUT).build();

  private NodeMetricsProbe() {}

  /** The value of metric {@code name} (a line {@code name value}), or NaN when the node does not answer. */
  static double value(URI api, String name) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(api.resolve("/metrics"))
          .timeout(REQUEST_TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return Double.NaN;
      }
      for (String line : response.body().lines().toList()) {
        if (line.startsWith(name + " ")) {
          return Double.parseDouble(line.substring(name.length() + 1).strip());
        }
      }
      return Double.NaN;
    } catch (java.io.IOException | NumberFormatException e) {
      return Double.NaN;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Double.NaN;
    }
  }

  /** An extended trust manager that accepts every peer, host name included (it does the endpoint check). */
  private static SSLContext trustAnything() {
    X509ExtendedTrustManager any = new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, new TrustManager[] {any}, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
