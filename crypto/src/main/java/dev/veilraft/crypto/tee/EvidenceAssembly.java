package dev.veilraft.crypto.tee;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.NitroDocument;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.attestation.TdxQuote;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.security.MessageDigest;

/**
 * Turns what a TEE returned into {@link Evidence}, checking on the way that it answers this
 * request (the report data echoes what was asked) and reading the measurement the attester reports.
 * Shared by the configfs-tsm and device attesters so both produce the same evidence.
 */
final class EvidenceAssembly {
  /** Evidence and the measurement it carries. */
  record Assembled(Evidence evidence, byte[] measurement) {}

  private EvidenceAssembly() {}

  /** SEV-SNP: the report, and leaf/signer/root from the host's table or {@code endorsements}. */
  static Assembled snp(byte[] reportBytes, byte[] certificateTable, byte[] asked, SnpEndorsements endorsements)
      throws AttestationException {
    SnpReport report;
    SnpCertificateTable table;
    try {
      report = SnpReport.parse(reportBytes);
      table = SnpCertificateTable.parse(certificateTable);
    } catch (MalformedReportException e) {
      throw new AttestationException("the SEV-SNP guest returned an unreadable report or certificate table: "
          + e.getMessage(), e);
    }
    checkEcho(asked, report.reportData());
    SnpEndorsements.Chain chain = endorsements.resolve(report, table);
    Evidence.Builder evidence = Evidence.newBuilder().setPlatform(Platform.SEV_SNP)
        .setReport(ByteString.copyFrom(reportBytes));
    chain.certificates().forEach(der -> evidence.addCertChain(ByteString.copyFrom(der)));
    if (!chain.crls().isEmpty()) {
      Collateral.Builder collateral = Collateral.newBuilder();
      chain.crls().forEach(crl -> collateral.addCrls(ByteString.copyFrom(crl)));
      evidence.setCollateral(collateral);
    }
    return new Assembled(evidence.build(), report.measurement());
  }

  /** TDX: the quote as the host's quote service produced it. */
  static Assembled tdx(byte[] quote, byte[] asked) throws AttestationException {
    try {
      TdxQuote parsed = TdxQuote.parse(quote);
      checkEcho(asked, parsed.reportData());
      return new Assembled(Evidence.newBuilder().setPlatform(Platform.TDX).setReport(ByteString.copyFrom(quote))
          .build(), parsed.measurement());
    } catch (MalformedReportException e) {
      throw new AttestationException("the TDX quote service returned an unreadable quote: " + e.getMessage(), e);
    }
  }

  /** Nitro: the COSE_Sign1 document, whose user_data carries the report data. */
  static Assembled nitro(byte[] document, byte[] asked) throws AttestationException {
    try {
      NitroDocument fields = NitroDocument.parse(document);
      checkEcho(asked, fields.userData());
      return new Assembled(Evidence.newBuilder().setPlatform(Platform.NITRO).setReport(ByteString.copyFrom(document))
          .build(), fields.measurement());
    } catch (MalformedReportException e) {
      throw new AttestationException("the NSM returned an unreadable attestation document: " + e.getMessage(), e);
    }
  }

  static void checkReportData(byte[] reportData) throws AttestationException {
    if (reportData == null || reportData.length != ReportData.BYTES) {
      throw new AttestationException("report data must be " + ReportData.BYTES + " bytes, got "
          + (reportData == null ? "none" : reportData.length));
    }
  }

  private static void checkEcho(byte[] asked, byte[] echoed) throws AttestationException {
    if (!MessageDigest.isEqual(asked, echoed)) {
      throw new AttestationException("the TEE returned evidence for report data " + Hashes.shortHex(echoed, 8)
          + " instead of the requested " + Hashes.shortHex(asked, 8));
    }
  }
}
