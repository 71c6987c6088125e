package dev.veilraft.node.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** POST /v1/verify on real SEV-SNP, TDX and Nitro evidence from ../shared/vectors, and on garbage. */
class VerifyApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String GO_MEASUREMENT = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31"
      + "a5a608eb0cf2e4872b01";
  private final VerifyApi api = new VerifyApi(() -> null, () -> Instant.parse("2026-06-01T00:00:00Z"));

  /** Bytes of a vector; skips outside CI and fails in CI when the vectors are absent. */
  static byte[] vector(String relative) throws Exception {
    return Files.readAllBytes(dev.veilraft.node.SharedVectors.file(relative));
  }

  private JsonNode ok(byte[] body) throws Exception {
    HttpAnswer answer = api.answer(body, null);
    assertThat(answer.status()).as(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(answer.contentType()).startsWith("application/json");
    return JSON.readTree(answer.body());
  }

  private JsonNode error(byte[] body, int status) throws Exception {
    HttpAnswer answer = api.answer(body, null);
    assertThat(answer.status()).as(new String(answer.body(), StandardCharsets.UTF_8)).isEqualTo(status);
    return JSON.readTree(answer.body());
  }

  private static byte[] json(ObjectNode node) {
    return node.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static ObjectNode snpRequest(String report, String... certs) throws Exception {
    ObjectNode request = JSON.createObjectNode().put("platform", "snp")
        .put("evidence", Base64.getEncoder().encodeToString(vector(report)));
    for (String cert : certs) {
      request.withArray("certs").add(new String(vector(cert), StandardCharsets.ISO_8859_1).contains("-----BEGIN")
          ? new String(vector(cert), StandardCharsets.US_ASCII) : Base64.getEncoder().encodeToString(vector(cert)));
    }
    return request;
  }

  @Test
  void aGenuineSnpReportWithItsCertificatesPassesAndAnswersItsClaims() throws Exception {
    // Proves a real Milan report with its VCEK (DER) and ASK/ARK (PEM, ARK first) passes, with measurement and TCB.
    JsonNode report = ok(json(snpRequest("sev-snp/go-sev-guest/attestation.bin", "sev-snp/amd-ark-ask/ask_ark_milan.pem",
        "sev-snp/go-sev-guest/vcek.testcer").put("at", "2026-01-01T00:00:00Z")));

    assertThat(report.get("verdict").asText()).isEqualTo("PASSED");
    assertThat(report.get("platform").asText()).isEqualTo("SEV_SNP");
    assertThat(report.has("security")).isFalse();
    assertThat(report.get("claims").get("measurement").asText()).isEqualTo(GO_MEASUREMENT);
    assertThat(report.get("claims").get("debug").asText()).isEqualTo("true");
    assertThat(report.get("claims").has("reported_tcb")).isTrue();
    assertThat(report.get("report_data_checked").asBoolean()).isFalse();
    // PASSED is the platform layer only: the answer says what it did not judge (this guest is a debug one).
    assertThat(report.get("not_checked").toString()).contains("policy:").contains("debug mode").contains("freshness:")
        .contains("revocation:");
  }

  @Test
  void theExpectedReportDataIsChecked() throws Exception {
    // Proves report_data that matches keeps PASSED, and one that does not fails REPORT_DATA_MISMATCH.
    ObjectNode request = snpRequest("sev-snp/go-sev-guest/attestation.bin", "sev-snp/go-sev-guest/vcek.testcer",
        "sev-snp/amd-ark-ask/ask_ark_milan.pem").put("at", "2026-01-01T00:00:00Z");

    JsonNode match = ok(json(request.deepCopy().put("report_data", "0102030405" + "00".repeat(59))));
    JsonNode mismatch = ok(json(request.deepCopy().put("report_data", "ff".repeat(64))));

    assertThat(match.get("verdict").asText()).isEqualTo("PASSED");
    assertThat(match.get("report_data_checked").asBoolean()).isTrue();
    assertThat(match.get("not_checked").toString()).contains("policy:").doesNotContain("freshness:");
    assertThat(mismatch.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(mismatch.get("failures").get(0).get("reason").asText()).isEqualTo("REPORT_DATA_MISMATCH");
  }

  @Test
  void theWrongKeyVlekVectorFailsWithSignatureInvalid() throws Exception {
    // Proves the constellation VLEK report that its VLEK did not sign fails at the platform layer, no claims.
    JsonNode report = ok(json(snpRequest("sev-snp/constellation/derived/snp_AttestationReportVLEK.bin",
        "sev-snp/constellation/snp/vlek.pem", "sev-snp/amd-ark-ask/ask_ark_milan_vlek.pem").put("at", "2024-01-01T00:00:00Z")));

    assertThat(report.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(report.get("claims").isNull()).isTrue();
    assertThat(report.get("failures").get(0).get("layer").asText()).isEqualTo("platform");
    assertThat(report.get("failures").get(0).get("reason").asText()).isEqualTo("SIGNATURE_INVALID");
  }

  @Test
  void aTdxQuoteAsAnEvidenceProtobufBodyPasses() throws Exception {
    // Proves a binary Evidence protobuf body (a real TDX v4 quote carrying its PCK chain) passes with MRTD claims.
    byte[] evidence = Evidence.newBuilder().setPlatform(Platform.TDX)
        .setReport(ByteString.copyFrom(vector("tdx/trustee/tdx_quote_4.dat"))).build().toByteArray();

    JsonNode report = ok(evidence);

    assertThat(report.get("verdict").asText()).as(report.toString()).isEqualTo("PASSED");
    assertThat(report.get("claims").has("mrtd")).isTrue();
    assertThat(report.get("not_checked").toString()).contains("tcb_status: no TDX TCB info");
  }

  @Test
  void tdxCollateralIsPassedToTheVerifier() throws Exception {
    // Proves tcb_info reaches the TDX verifier: Intel's real TCB info without its signing chain is COLLATERAL_INVALID.
    ObjectNode request = JSON.createObjectNode().put("platform", "tdx")
        .put("evidence", Base64.getEncoder().encodeToString(vector("tdx/trustee/tdx_quote_6.dat")))
        .put("tcb_info", new String(vector("tdx/trustee/tcbInfo.json"), StandardCharsets.UTF_8))
        .put("at", "2025-11-01T00:00:00Z");

    JsonNode report = ok(json(request));

    assertThat(report.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(report.get("failures").get(0).get("reason").asText()).isEqualTo("COLLATERAL_INVALID");
    assertThat(report.get("failures").get(0).get("message").asText()).contains("tdx_signing_chain");
  }

  @Test
  void aNitroDocumentIsJudgedAtItsOwnTimestampUnlessTold() throws Exception {
    // Proves a real Nitro document passes at its own time by default and fails CERT_EXPIRED at a later 'at'.
    ObjectNode request = JSON.createObjectNode().put("platform", "nitro")
        .put("evidence", new String(vector("nitro/evervault/valid-attestation-doc-base64"), StandardCharsets.US_ASCII).trim());

    assertThat(ok(json(request)).get("verdict").asText()).isEqualTo("PASSED");
    JsonNode later = ok(json(request.put("at", "2026-01-01T00:00:00Z")));
    assertThat(later.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(later.get("failures").get(0).get("reason").asText()).isEqualTo("CERT_EXPIRED");
  }

  @Test
  void simulatedEvidenceWithoutATrustedSimulatedRootIsRefusedAndLabelledInsecure() throws Exception {
    // Proves simulated evidence is never accepted without a cluster policy naming its root, and says INSECURE.
    byte[] evidence = Evidence.newBuilder().setPlatform(Platform.SIMULATED_SNP)
        .setReport(ByteString.copyFrom(vector("sev-snp/go-sev-guest/attestation.bin"))).build().toByteArray();

    JsonNode report = ok(evidence);

    assertThat(report.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(report.get("security").asText()).startsWith("INSECURE");
    assertThat(report.get("failures").get(0).get("reason").asText()).isEqualTo("CHAIN_UNTRUSTED");
  }

  @Test
  void garbageGetsASpecificErrorNeverACrash() throws Exception {
    // Proves random bytes, bad JSON, unknown platforms, bad hex, bad certificates, empty and oversized bodies are 4xx.
    byte[] random = new byte[4096];
    new Random(42).nextBytes(random);
    random[0] = 0x0a; // not '{': taken as a protobuf
    assertThat(error(random, 400).get("code").asText()).isEqualTo("MALFORMED_EVIDENCE");
    assertThat(error("{\"evidence\": ".getBytes(StandardCharsets.UTF_8), 400).get("code").asText())
        .isEqualTo("MALFORMED_JSON");
    assertThat(error("[1,2]".getBytes(StandardCharsets.UTF_8), 400).get("code").asText()).isEqualTo("MALFORMED_EVIDENCE");
    assertThat(error("{\"platform\":\"sgx\",\"evidence\":\"00\"}".getBytes(StandardCharsets.UTF_8), 400)
        .get("detail").asText()).contains("'sgx'");
    assertThat(error("{\"platform\":\"snp\"}".getBytes(StandardCharsets.UTF_8), 400).get("detail").asText())
        .contains("'evidence'");
    assertThat(error("{\"platform\":\"snp\",\"evidence\":\"00\",\"report_data\":\"zz\"}".getBytes(StandardCharsets.UTF_8),
        400).get("code").asText()).isEqualTo("BAD_ENCODING");
    assertThat(error("{\"platform\":\"snp\",\"evidence\":\"00\",\"certs\":[\"AAAA\"]}".getBytes(StandardCharsets.UTF_8),
        400).get("code").asText()).isEqualTo("BAD_CERTIFICATE");
    assertThat(error("{\"identity_certificate\":\"AAAA\",\"evidence\":\"AAAA\"}".getBytes(StandardCharsets.UTF_8), 400)
        .get("code").asText()).isIn("MALFORMED_EVIDENCE", "BAD_CERTIFICATE");
    assertThat(error("  ".getBytes(StandardCharsets.UTF_8), 400).get("code").asText()).isEqualTo("EMPTY_BODY");
    assertThat(error(new byte[VerifyApi.BODY_BYTES_MAX + 1], 413).get("code").asText()).isEqualTo("BODY_TOO_LARGE");
    // A well-formed request with a zeroed report reaches the verifier, which names what is wrong.
    JsonNode zeros = ok(json(JSON.createObjectNode().put("platform", "tdx")
        .put("evidence", Base64.getEncoder().encodeToString(new byte[1024]))));
    assertThat(zeros.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(zeros.get("failures").get(0).get("layer").asText()).isEqualTo("platform");
  }
}
