package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Fuzz targets for the SEV-SNP report parser and verifier. Under {@code mvn verify} they run as
 * regression tests over the seeds in {@code SnpReportFuzzTestInputs}; with {@code JAZZER_FUZZ=1}
 * Jazzer mutates those seeds for as long as it is let run. Malformed input must end in the
 * verifier's own error type, never in another exception.
 */
class SnpReportFuzzTest {
  private static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");
  private static final Path DIR = tempDir();
  private static final SimulatedSnpVendor VENDOR = open(() -> SimulatedSnpVendor.openOrCreate(DIR.resolve("vendor")));
  private static final SimulatedSnpChip CHIP = open(() -> SimulatedSnpChip.openOrCreate(DIR.resolve("chip"), VENDOR));
  private static final SnpEvidenceVerifier VERIFIER = SnpEvidenceVerifier.forSimulated(VENDOR.arkSha256());

  private interface Opener<T> {
    T open() throws IOException;
  }

  private static <T> T open(Opener<T> opener) {
    try {
      return opener.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path tempDir() {
    return open(() -> Files.createTempDirectory("snp-fuzz"));
  }

  @FuzzTest
  void parserThrowsOnlyMalformedReport(byte[] data) {
    try {
      SnpReport report = SnpReport.parse(data);
      assertThat(report.toByteArray()).hasSize(SnpReport.BYTES);
    } catch (MalformedReportException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @FuzzTest
  void verifierReturnsASpecificVerdict(byte[] data) {
    // The simulated chain is genuine, so fuzzed reports get past the chain to the report checks.
    Evidence.Builder evidence = Evidence.newBuilder().setPlatform(Platform.SIMULATED_SNP)
        .setReport(ByteString.copyFrom(data));
    CHIP.certChain().forEach(der -> evidence.addCertChain(ByteString.copyFrom(der)));
    AttestationResult result = VERIFIER.verifyPlatform(evidence.build(), AT);
    assertThat(result.accepted()).isFalse();
    FuzzVerdicts.assertSpecific(result);
  }
}
