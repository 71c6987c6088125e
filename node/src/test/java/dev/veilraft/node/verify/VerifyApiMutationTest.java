package dev.veilraft.node.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.veilraft.apps.HttpAnswer;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of real verification requests (bit flips, truncations, spliced bytes) keep
 * POST /v1/verify's contract: never a throw, a 200 report or a 4xx JSON error, and a PASSED verdict
 * only with the original evidence's measurement and report data.
 */
class VerifyApiMutationTest {
  /** Mutations per seed body; each costs one verification at most. */
  private static final int MUTATIONS_PER_SEED = 60;
  private static final long SEED = 0x5eed_0b5L;
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void mutatedRequestsGetAReportOrASpecificErrorAndNeverAFalsePass() throws Exception {
    // Proves the contract above over 180 mutations of an SNP JSON request, a TDX protobuf and a Nitro JSON request.
    VerifyApi api = new VerifyApi(() -> null, () -> Instant.parse("2026-01-01T00:00:00Z"));
    String snp = JSON.createObjectNode().put("platform", "snp")
        .put("evidence", Base64.getEncoder().encodeToString(VerifyApiTest.vector("sev-snp/go-sev-guest/attestation.bin")))
        .put("at", "2026-01-01T00:00:00Z").set("certs", JSON.createArrayNode()
            .add(Base64.getEncoder().encodeToString(VerifyApiTest.vector("sev-snp/go-sev-guest/vcek.testcer")))
            .add(new String(VerifyApiTest.vector("sev-snp/amd-ark-ask/ask_ark_milan.pem"), StandardCharsets.US_ASCII)))
        .toString();
    byte[] tdx = Evidence.newBuilder().setPlatform(Platform.TDX)
        .setReport(ByteString.copyFrom(VerifyApiTest.vector("tdx/trustee/tdx_quote_4.dat"))).build().toByteArray();
    String nitro = JSON.createObjectNode().put("platform", "nitro").put("evidence",
        new String(VerifyApiTest.vector("nitro/evervault/valid-attestation-doc-base64"), StandardCharsets.US_ASCII).trim())
        .toString();
    Random random = new Random(SEED);
    for (byte[] seed : List.of(snp.getBytes(StandardCharsets.UTF_8), tdx, nitro.getBytes(StandardCharsets.UTF_8))) {
      JsonNode original = JSON.readTree(api.answer(seed, null).body());
      assertThat(original.get("verdict").asText()).as("seed passes").isEqualTo("PASSED");
      for (int i = 0; i < MUTATIONS_PER_SEED; i++) {
        byte[] mutated = mutate(seed, random);
        HttpAnswer answer = api.answer(mutated, null);
        String context = "seed " + SEED + ", mutation " + i;
        assertThat(answer.status()).as(context).isIn(Set.of(200, 400, 413));
        JsonNode body = JSON.readTree(answer.body());
        if (answer.status() != 200) {
          assertThat(body.get("code").asText()).as(context).isNotBlank();
        } else if (body.get("verdict").asText().equals("PASSED")) {
          assertThat(body.get("claims").get("measurement")).as(context).isEqualTo(original.get("claims").get("measurement"));
          assertThat(body.get("claims").get("report_data")).as(context).isEqualTo(original.get("claims").get("report_data"));
        } else {
          assertThat(body.get("failures")).as(context).isNotEmpty();
        }
      }
    }
  }

  private static byte[] mutate(byte[] seed, Random random) {
    byte[] out = seed.clone();
    switch (random.nextInt(3)) {
      case 0 -> {
        for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
          int at = random.nextInt(out.length);
          out[at] ^= (byte) (1 << random.nextInt(8));
        }
      }
      case 1 -> out = java.util.Arrays.copyOf(out, random.nextInt(out.length));
      default -> {
        int at = random.nextInt(out.length);
        int length = Math.min(out.length - at, 1 + random.nextInt(64));
        byte[] junk = new byte[length];
        random.nextBytes(junk);
        System.arraycopy(junk, 0, out, at, length);
      }
    }
    return out;
  }
}
