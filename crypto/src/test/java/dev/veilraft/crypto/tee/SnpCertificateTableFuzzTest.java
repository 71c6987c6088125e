package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veilraft.crypto.attestation.MalformedReportException;

/**
 * Fuzz target for the host-supplied SEV-SNP certificate table. Under {@code mvn test} it runs as a
 * regression test over the synthetic seeds in {@code SnpCertificateTableFuzzTestInputs} (see
 * {@link SnpCertificateTableSeeds}); with {@code JAZZER_FUZZ=1} Jazzer mutates them. The parser
 * must end every malformed input in {@link MalformedReportException} and never in another
 * exception, and what it accepts must survive a rebuild unchanged.
 */
class SnpCertificateTableFuzzTest {
  @FuzzTest
  void parserThrowsOnlyMalformedReport(byte[] data) {
    // Proves the parser throws nothing but MalformedReportException and accepted tables rebuild to the same entries.
    try {
      SnpCertificateTable table = SnpCertificateTable.parse(data);
      assertThat(table.entries()).hasSizeLessThanOrEqualTo(SnpCertificateTable.ENTRIES_MAX);
      SnpCertificateTable rebuilt = SnpCertificateTable.parse(SnpCertificateTable.of(table.entries()).toByteArray());
      assertThat(rebuilt).isEqualTo(table);
    } catch (MalformedReportException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
