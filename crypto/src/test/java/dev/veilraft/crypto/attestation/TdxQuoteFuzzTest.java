package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Fuzz targets for the TDX quote parser and verifier. Under {@code mvn verify} they run as
 * regression tests over the seeds in {@code TdxQuoteFuzzTestInputs}; with {@code JAZZER_FUZZ=1}
 * Jazzer mutates those seeds for as long as it is let run. The seeds are synthetic quotes from
 * {@link TdxQuoteBuilder} under the deterministic {@link TdxTestPki} "standard" (never bytes from
 * the real vectors), so the verifier pinned to that root takes them through every check. Regenerate
 * them with {@code -Dveilraft.tdx.writeSeeds=true -Dtest=TdxQuoteFuzzTest}.
 */
class TdxQuoteFuzzTest {
  private static final String SEEDS = "TdxQuoteFuzzTestInputs/";
  private static final String PARSER = "parserThrowsOnlyMalformedReport";
  private static final String VERIFIER_TARGET = "verifierReturnsASpecificVerdict";
  private static final TdxEvidenceVerifier VERIFIER = TdxTestPki.standard().verifier();
  private static final Collateral COLLATERAL = new TdxCollateralBuilder().collateral();

  @FuzzTest
  void parserThrowsOnlyMalformedReport(byte[] data) {
    try {
      TdxQuote quote = TdxQuote.parse(data);
      assertThat(quote.signedBytes().length).isGreaterThan(TdxQuote.HEADER_BYTES);
      assertThat(quote.measurement()).hasSize(240);
      quote.pckChainDer();
      quote.qeReport();
    } catch (MalformedReportException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @FuzzTest
  void verifierReturnsASpecificVerdict(byte[] data) {
    // The synthetic chain and collateral are genuine, so fuzzed quotes get past them to the later checks.
    Evidence evidence = Evidence.newBuilder().setPlatform(Platform.TDX).setReport(ByteString.copyFrom(data))
        .setCollateral(COLLATERAL).build();
    FuzzVerdicts.assertSpecific(VERIFIER.verifyPlatform(evidence, TdxTestPki.VALID_AT));
  }

  @Test
  void theVerifierSeedsAreAcceptedQuotes() throws IOException {
    // Proves each committed verifier seed is a quote the pinned test root accepts, so fuzzing starts past every check.
    for (String name : seeds(true).keySet()) {
      byte[] seed = readSeed(VERIFIER_TARGET + "/" + name);
      Evidence evidence = Evidence.newBuilder().setPlatform(Platform.TDX).setReport(ByteString.copyFrom(seed))
          .setCollateral(COLLATERAL).build();

      AttestationResult result = VERIFIER.verifyPlatform(evidence, TdxTestPki.VALID_AT);

      assertThat(result.accepted()).as(name + ": " + result).isTrue();
    }
  }

  @Test
  void seedsAreTheBuildersCurrentOutput() throws IOException {
    // Proves the committed seeds are synthetic (the builder's deterministic output), never vector bytes;
    // -Dveilraft.tdx.writeSeeds=true rewrites them after a builder change.
    boolean write = Boolean.getBoolean("veilraft.tdx.writeSeeds");
    Path dir = Path.of("src/test/resources/dev/veilraft/crypto/attestation").resolve(SEEDS);
    for (boolean verifier : new boolean[] {false, true}) {
      Path target = dir.resolve(verifier ? VERIFIER_TARGET : PARSER);
      for (Map.Entry<String, byte[]> seed : seeds(verifier).entrySet()) {
        Path file = target.resolve(seed.getKey());
        if (write) {
          Files.createDirectories(target);
          Files.write(file, seed.getValue());
        }
        assertThat(file).as("seed " + file + " (rewrite with -Dveilraft.tdx.writeSeeds=true)").exists();
        assertThat(Files.readAllBytes(file)).as("seed " + file).isEqualTo(seed.getValue());
      }
    }
  }

  /** The seeds; the parser also gets a quote without a PEM chain and one cut short. */
  static Map<String, byte[]> seeds(boolean forVerifier) {
    Map<String, byte[]> seeds = new LinkedHashMap<>();
    seeds.put("synthetic-v4", new TdxQuoteBuilder().build());
    seeds.put("synthetic-v5-tdx10", new TdxQuoteBuilder().version(5).build());
    seeds.put("synthetic-v5-tdx15", new TdxQuoteBuilder().tdx15().teeTcbSvn2(TdxQuoteBuilder.DEFAULT_TEE_TCB_SVN)
        .build());
    seeds.put("synthetic-v4-debug-padded", new TdxQuoteBuilder().tdAttributes(0x10000001L)
        .trailing("padding".getBytes(StandardCharsets.US_ASCII)).build());
    if (!forVerifier) {
      seeds.put("synthetic-v4-no-pem-chain", new TdxQuoteBuilder().withoutPemChain().build());
      byte[] quote = new TdxQuoteBuilder().build();
      seeds.put("synthetic-v4-truncated", java.util.Arrays.copyOf(quote, quote.length / 2));
    }
    return seeds;
  }

  private static byte[] readSeed(String name) throws IOException {
    try (InputStream in = TdxQuoteFuzzTest.class.getResourceAsStream(SEEDS + name)) {
      assertThat(in).as("seed " + name + " is missing; regenerate the seeds (see the class comment)").isNotNull();
      return in.readAllBytes();
    }
  }
}
