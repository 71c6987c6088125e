package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for the Nitro document parser and verifier. Under {@code mvn verify} they run as
 * regression tests over the seeds in {@code NitroDocumentFuzzTestInputs}; with {@code JAZZER_FUZZ=1}
 * Jazzer mutates those seeds for as long as it is let run. The seeds are synthetic documents from
 * {@link NitroDocumentBuilder} under the "fuzz" PKI, whose root the verifier target trusts, so
 * mutations start from documents that pass every check. Malformed input must end in the parser's
 * own exception, or in a specific verdict, never in another exception.
 */
class NitroDocumentFuzzTest {
  private static final NitroDocumentBuilder.Pki PKI = NitroDocumentBuilder.Pki.create("fuzz");
  private static final NitroEvidenceVerifier VERIFIER = PKI.verifier();
  private static final Instant AT = NitroDocumentBuilder.TIMESTAMP;
  private static final Path SEEDS =
      Path.of("src/test/resources/dev/veilraft/crypto/attestation/NitroDocumentFuzzTestInputs");
  private static final String[] TARGETS = {"parserThrowsOnlyMalformedReport", "verifierReturnsASpecificVerdict"};

  @FuzzTest
  void parserThrowsOnlyMalformedReport(byte[] data) {
    try {
      NitroDocument document = NitroDocument.parse(data);
      assertThat(document.measurement()).hasSize(3 * NitroDocument.SHA384_BYTES);
      assertThat(document.signature()).hasSize(NitroDocument.SIGNATURE_BYTES);
      assertThat(document.toBeSigned()).isNotEmpty();
    } catch (MalformedReportException expected) {
      assertThat(expected.reason()).isEqualTo(RejectReason.MALFORMED);
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @FuzzTest
  void verifierReturnsASpecificVerdict(byte[] data) {
    Evidence evidence = Evidence.newBuilder().setPlatform(Platform.NITRO).setReport(ByteString.copyFrom(data)).build();
    AttestationResult result = VERIFIER.verifyPlatform(evidence, AT);
    FuzzVerdicts.assertSpecific(result);
    if (result.accepted()) {
      assertThat(result.claims().platform()).isEqualTo(Platform.NITRO);
      assertThat(result.claims().measurement()).hasSize(144);
    }
  }

  /** The seed documents, by file name: well-formed in each encoding, plus a few near misses. */
  static Map<String, byte[]> seeds() {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put("synthetic-definite", new NitroDocumentBuilder(PKI).build());
    seeds.put("synthetic-indefinite", new NitroDocumentBuilder(PKI).indefinite(true).build());
    seeds.put("synthetic-tagged", new NitroDocumentBuilder(PKI).tagged(true).build());
    seeds.put("synthetic-all-fields", new NitroDocumentBuilder(PKI).set("public_key", Hashes.utf8("public key"))
        .set("nonce", Hashes.sha256(Hashes.utf8("nonce"))).unprotectedHeader(Hashes.unhex("a104436b6964")).build());
    seeds.put("synthetic-debug", new NitroDocumentBuilder(PKI).pcr(0, new byte[48]).pcr(1, new byte[48])
        .pcr(2, new byte[48]).remove("user_data").build());
    seeds.put("synthetic-es256-header", new NitroDocumentBuilder(PKI).protectedHeader(Hashes.unhex("a10126")).build());
    seeds.put("synthetic-trailing-byte", new NitroDocumentBuilder(PKI).trailing(new byte[] {0}).build());
    return seeds;
  }

  @Test
  void seedsAreTheBuildersCurrentOutput() throws IOException {
    // Proves the committed seeds are synthetic (the builder's deterministic output), so the verifier target's
    // seeds still pass every check; -Dveilraft.writeNitroSeeds=true rewrites them after a builder change.
    boolean write = Boolean.getBoolean("veilraft.writeNitroSeeds");
    for (String target : TARGETS) {
      Path dir = SEEDS.resolve(target);
      for (Map.Entry<String, byte[]> seed : seeds().entrySet()) {
        Path file = dir.resolve(seed.getKey());
        if (write) {
          Files.createDirectories(dir);
          Files.write(file, seed.getValue());
        }
        assertThat(file).as("seed " + file + " (rewrite with -Dveilraft.writeNitroSeeds=true)").exists();
        assertThat(Files.readAllBytes(file)).as("seed " + file).isEqualTo(seed.getValue());
      }
    }
    assertThat(VERIFIER.verifyPlatform(Evidence.newBuilder().setPlatform(Platform.NITRO)
        .setReport(ByteString.copyFrom(seeds().get("synthetic-definite"))).build(), AT).accepted()).isTrue();
  }
}
