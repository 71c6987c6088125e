package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.RejectReason;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node serving a web certificate for a key generated inside it ('veilraft tls csr'): clients that
 * ask for its domain by SNI get that certificate, others the identity certificate, and the node's
 * fresh evidence at /v1/attestation binds the web key as well as the identity and KEM keys.
 */
class WebTlsIT {
  private static final String DOMAIN = "mint.example.org";

  @Test
  void evidenceBindsTheWebKeyThatSniServes(@TempDir Path root) throws Exception {
    LocalCluster.Layout layout = TestClusters.create(root, 1, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    NodeConfig base = layout.nodes().get(0);
    VeilraftNode.WebTlsRequest request = VeilraftNode.webTlsCsr(base, List.of(DOMAIN), Duration.ofDays(1));
    Path chain = root.resolve("web-chain.pem");
    Files.writeString(chain, request.selfSignedPem());
    try (VeilraftNode node = VeilraftNode.start(base.withWebTls(chain), Clock.systemUTC())) {
      byte[] nonce = new byte[32];
      new SecureRandom().nextBytes(nonce);
      HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
          node.insecurePlainHttpUrl().orElseThrow() + "/v1/attestation?nonce=" + Hashes.hex(nonce))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      JsonNode json = new ObjectMapper().readTree(answer.body());
      assertThat(json.get("binding").asText()).isEqualTo("veilraft/attest-web-tls/v1");
      byte[] web = Base64.getDecoder().decode(json.get("web_tls_public_key").asText());
      assertThat(web).isEqualTo(request.spki());
      Evidence evidence = Evidence.parseFrom(Base64.getDecoder().decode(json.get("evidence").asText()));
      byte[] kem = Base64.getDecoder().decode(json.get("kem_public_key").asText());
      byte[] identity = node.keys().identity().spki();
      AttestationVerifier verifier = new AttestationVerifier();
      AttestationResult bound = verifier.verify(evidence, layout.genesis().policy(),
          ReportData.bindWebTls(nonce, identity, kem, web), Instant.now());
      assertThat(bound.accepted()).as(bound.toString()).isTrue();
      AttestationResult otherKey = verifier.verify(evidence, layout.genesis().policy(),
          ReportData.bindWebTls(nonce, identity, kem, node.keys().identity().spki()), Instant.now());
      assertThat(otherKey.reason()).isEqualTo(RejectReason.REPORT_DATA_MISMATCH);
      AttestationResult unbound = verifier.verify(evidence, layout.genesis().policy(),
          ReportData.bind(nonce, identity, kem), Instant.now());
      assertThat(unbound.accepted()).isFalse();

      assertThat(peerKey(node, DOMAIN)).isEqualTo(request.spki());
      assertThat(peerKey(node, null)).isEqualTo(identity);
    }
  }

  private static byte[] peerKey(VeilraftNode node, String sni) throws Exception {
    X509TrustManager trustAll = new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    };
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {trustAll}, new SecureRandom());
    URI api = node.apiUrl();
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(api.getHost(), api.getPort())) {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      return socket.getSession().getPeerCertificates()[0].getPublicKey().getEncoded();
    }
  }
}
