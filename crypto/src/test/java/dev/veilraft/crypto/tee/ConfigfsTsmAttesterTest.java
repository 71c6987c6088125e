package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.SnpEvidenceVerifier;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.attestation.TdxQuote;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigfsTsmAttesterTest {
  private static final Instant IN_2026 = Instant.parse("2026-01-01T00:00:00Z");
  private static final int SNP_REPORT_DATA_OFFSET = 0x50;

  @TempDir
  Path reportDir;

  /** Firmware that signs nothing: it writes the inblob into a copy of a real report, as real firmware would. */
  static UnaryOperator<byte[]> snpFirmware(byte[] report) {
    return inblob -> {
      byte[] out = report.clone();
      System.arraycopy(inblob, 0, out, SNP_REPORT_DATA_OFFSET, Math.min(inblob.length, 64));
      return out;
    };
  }

  /** The same for a TDX quote: REPORTDATA sits at body + 0x208, the body after 0x30 (v4) or 0x36 (v5) bytes. */
  static UnaryOperator<byte[]> tdxFirmware(byte[] quote) {
    int at = (quote[0] == 5 ? 0x36 : 0x30) + 0x208;
    return inblob -> {
      byte[] out = quote.clone();
      System.arraycopy(inblob, 0, out, at, Math.min(inblob.length, 64));
      return out;
    };
  }

  static byte[] milanTable() throws Exception {
    List<byte[]> chain = TeeVectors.certificates(TeeVectors.VIRTEE_CHAIN);
    return SnpCertificateTable.of(List.of(
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.VCEK, TeeVectors.read(TeeVectors.VIRTEE_VCEK)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ASK, chain.get(0)),
        SnpCertificateTable.Entry.of(SnpCertificateTable.Role.ARK, chain.get(1)))).toByteArray();
  }

  private void assertNoEntriesLeft() throws Exception {
    try (Stream<Path> left = Files.list(reportDir)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void snpEvidenceFromConfigfsVerifiesUnderAmdRoots() throws Exception {
    // Proves an SEV-SNP report and auxblob table read through configfs-tsm become evidence the AMD verifier accepts.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    byte[] table = Arrays.copyOf(milanTable(), 3 * 4096);
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", snpFirmware(report), table);
    ConfigfsTsmAttester attester = ConfigfsTsmAttester.builder(reportDir).files(kernel).build();
    byte[] reportData = SnpReport.parse(report).reportData();

    Evidence evidence = attester.attest(reportData);

    assertThat(attester.platform()).isEqualTo(Platform.SEV_SNP);
    assertThat(attester.provider()).isEqualTo("sev_guest");
    assertThat(evidence.getReport().toByteArray()).isEqualTo(report);
    assertThat(evidence.getCertChainList()).hasSize(3);
    assertThat(evidence.getCertChain(0).toByteArray()).isEqualTo(TeeVectors.read(TeeVectors.VIRTEE_VCEK));
    assertThat(Hashes.hex(attester.measurement())).startsWith("7a1e5c266c0108dbc9bb94fa926951320940915d");
    AttestationResult verdict = SnpEvidenceVerifier.forAmd().verifyPlatform(evidence, IN_2026);
    assertThat(verdict.accepted()).as(verdict.detail()).isTrue();
    assertThat(kernel.writes).containsExactly("inblob=64", "inblob=64");
    assertNoEntriesLeft();
  }

  @Test
  void tdxQuotesV4AndV5ComeThroughTheTdxProvider() throws Exception {
    // Proves TdxQuoteAttester returns the quote configfs-tsm produced, and reads MRTD and the RTMRs as its measurement.
    for (String vector : List.of(TeeVectors.TDX_QUOTE_V4, TeeVectors.TDX_QUOTE_V5)) {
      byte[] quote = TeeVectors.read(vector);
      FakeConfigfsKernel kernel = new FakeConfigfsKernel("tdx_guest", tdxFirmware(quote), new byte[0]);
      TdxQuoteAttester attester = TdxQuoteAttester.open(reportDir, kernel);
      byte[] reportData = TdxQuote.parse(quote).reportData();

      Evidence evidence = attester.attest(reportData);

      assertThat(evidence.getPlatform()).isEqualTo(Platform.TDX);
      assertThat(evidence.getReport().toByteArray()).as(vector).isEqualTo(quote);
      assertThat(evidence.getCertChainList()).isEmpty();
      assertThat(attester.measurement()).hasSize(240);
    }
    TdxQuoteAttester v4 = TdxQuoteAttester.open(reportDir,
        new FakeConfigfsKernel("tdx_guest", tdxFirmware(TeeVectors.read(TeeVectors.TDX_QUOTE_V4)), new byte[0]));
    // MRTD, then RTMR0 (shared/vectors/MANIFEST.md, tdx_quote_4.dat).
    assertThat(Hashes.hex(v4.measurement())).startsWith("705ee9381b8633a9fbe532b52345e8433343d2868959f578");
    assertThat(Hashes.hex(v4.measurement()).substring(96, 192))
        .isEqualTo("e940da7c2712d2790e2961e00484f4fa8e6f9eed71361655ae22699476b14f9e63867eb41edd4b480fef0c59f496b288");
    assertNoEntriesLeft();
  }

  @Test
  void writesPrivlevelAndHonoursTheFloor() throws Exception {
    // Proves privlevel is written after inblob, and a level below privlevel_floor fails naming both numbers.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", snpFirmware(report), milanTable());
    ConfigfsTsmAttester.builder(reportDir).files(kernel).privlevel(2).build();
    assertThat(kernel.writes).containsExactly("inblob=64", "privlevel=2");

    kernel.privlevelFloor = 2;
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(reportDir).files(kernel).privlevel(1).build())
        .isInstanceOf(AttestationException.class).hasMessageContaining("privlevel 1 is below")
        .hasMessageContaining("privlevel_floor 2");
    assertNoEntriesLeft();
  }

  @Test
  void retriesWhenAnotherWriterRacesAndGivesUpAfterTheBound() throws Exception {
    // Proves a generation change between write and read discards the attempt, and RACE_ATTEMPTS_MAX races fail.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", snpFirmware(report), milanTable());
    ConfigfsTsmAttester attester = ConfigfsTsmAttester.builder(reportDir).files(kernel).build();
    byte[] reportData = SnpReport.parse(report).reportData();

    kernel.racesToPlay = ConfigfsTsmAttester.RACE_ATTEMPTS_MAX - 1;
    int before = kernel.created.size();
    assertThat(attester.attest(reportData).getReport().toByteArray()).isEqualTo(report);
    assertThat(kernel.created.size() - before).isEqualTo(ConfigfsTsmAttester.RACE_ATTEMPTS_MAX);

    kernel.racesToPlay = ConfigfsTsmAttester.RACE_ATTEMPTS_MAX;
    assertThatThrownBy(() -> attester.attest(reportData)).isInstanceOf(AttestationException.class)
        .hasMessageContaining("generation changed").hasMessageContaining("all 3 attempts");
    assertNoEntriesLeft();
  }

  @Test
  void refusesEvidenceForOtherReportData() throws Exception {
    // Proves a report that does not echo the requested report data is refused, not passed on.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", inblob -> report.clone(), milanTable());
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(reportDir).files(kernel).build())
        .isInstanceOf(AttestationException.class).hasMessageContaining("instead of the requested");
    assertNoEntriesLeft();
  }

  @Test
  void refusesUnknownOrUnexpectedProviders() throws Exception {
    // Proves an unknown provider and a provider of another platform than expected fail at build time, named.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel arm = new FakeConfigfsKernel("arm_cca_guest", snpFirmware(report), new byte[0]);
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(reportDir).files(arm).build())
        .hasMessageContaining("provider 'arm_cca_guest' is not supported");
    FakeConfigfsKernel snp = new FakeConfigfsKernel("sev_guest", snpFirmware(report), milanTable());
    assertThatThrownBy(() -> TdxQuoteAttester.open(reportDir, snp))
        .hasMessageContaining("serves SEV_SNP, not the expected TDX");
    assertNoEntriesLeft();
  }

  @Test
  void failsClearlyWithoutCertificatesOrConfigfs() throws Exception {
    // Proves an empty auxblob with no other endorsement source, and a missing report directory, fail with actionable messages.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel bare = new FakeConfigfsKernel("sev_guest", snpFirmware(report), new byte[0]);
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(reportDir).files(bare).build())
        .hasMessageContaining("no VCEK, ASK, ARK in the host's certificate table")
        .hasMessageContaining("no AMD KDS client is configured");
    Path missing = reportDir.resolve("no-such-configfs");
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(missing).build())
        .hasMessageContaining("cannot create configfs-tsm report entry " + missing);
    assertThatThrownBy(() -> ConfigfsTsmAttester.builder(reportDir).files(bare).privlevel(4))
        .hasMessageContaining("privlevel must be 0 to 3");
  }

  @Test
  void refusesReportDataOfTheWrongSize() throws Exception {
    // Proves attest() refuses report data that is not 64 bytes before touching configfs.
    byte[] report = TeeVectors.read(TeeVectors.VIRTEE_REPORT);
    FakeConfigfsKernel kernel = new FakeConfigfsKernel("sev_guest", snpFirmware(report), milanTable());
    ConfigfsTsmAttester attester = ConfigfsTsmAttester.builder(reportDir).files(kernel).build();
    int entries = kernel.created.size();
    assertThatThrownBy(() -> attester.attest(new byte[32])).hasMessageContaining("must be 64 bytes, got 32");
    assertThat(kernel.created).hasSize(entries);
  }
}
