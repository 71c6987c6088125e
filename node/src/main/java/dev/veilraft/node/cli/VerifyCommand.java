package dev.veilraft.node.cli;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.MalformedReportException;
import dev.veilraft.crypto.attestation.NitroEvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.proto.Collateral;
import dev.veilraft.crypto.tee.AmdKdsClient;
import dev.veilraft.crypto.tee.SnpCertificateTable;
import dev.veilraft.crypto.tee.SnpEndorsements;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.node.ConfigException;
import dev.veilraft.node.PolicyFile;
import dev.veilraft.node.verify.EvidenceBytes;
import dev.veilraft.node.verify.EvidenceReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code veilraft verify}: checks one piece of real TEE evidence offline and prints its claims and
 * the verdict. Exit 0 only on PASSED, 1 on FAILED, 2 when the input cannot be used at all.
 */
@Command(name = "verify", description = {
    "Verify SEV-SNP, TDX or Nitro evidence from real hardware and print its claims.",
    "Without --policy only the platform layer is checked (genuine hardware, valid chain, well-formed)."},
    footer = {"", "Evidence files may be raw bytes, hex or base64.",
        "Exit codes: 0 PASSED, 1 FAILED, 2 unusable input."})
public final class VerifyCommand implements Callable<Integer> {
  static final int EXIT_PASSED = 0;
  static final int EXIT_FAILED = 1;
  static final int EXIT_UNUSABLE = 2;
  /** Evidence and collateral files are at most a few hundred KiB; this bounds what is read. */
  static final long INPUT_FILE_BYTES_MAX = 4L << 20;

  @Spec CommandSpec spec;

  @Option(names = "--platform", required = true, description = "snp, tdx or nitro.")
  String platform;

  @Option(names = "--evidence", required = true, paramLabel = "FILE",
      description = "SEV-SNP report (1184 bytes), TDX quote, or Nitro attestation document.")
  Path evidence;

  @Option(names = "--certs", paramLabel = "FILE", description = "PEM or DER certificates in any order (VCEK/VLEK, "
      + "ASK/ASVK, ARK, or a PCK chain); repeatable. Without it: from the evidence (TDX, Nitro).")
  List<Path> certs = new ArrayList<>();

  @Option(names = "--policy", paramLabel = "FILE", description = "Policy (YAML) to judge the claims against.")
  Path policy;

  @Option(names = "--report-data", paramLabel = "HEX",
      description = "Expected report_data (128 hex digits); checked with --policy. Without it the binding is not checked.")
  String reportData;

  @Option(names = "--at", paramLabel = "TIME", description = "ISO-8601 instant or date to verify at "
      + "(default: now; for Nitro, the document's timestamp).")
  String at;

  @Option(names = "--crl", paramLabel = "FILE", description = "DER CRL (AMD KDS, Intel PCK or root CRL); repeatable.")
  List<Path> crls = new ArrayList<>();

  @Option(names = "--tcb-info", paramLabel = "FILE", description = "TDX: Intel PCS TCB info JSON.")
  Path tcbInfo;

  @Option(names = "--qe-identity", paramLabel = "FILE", description = "TDX: Intel PCS QE identity JSON.")
  Path qeIdentity;

  @Option(names = "--tcb-signing-chain", paramLabel = "FILE",
      description = "TDX: PEM chain that signs the TCB info and QE identity (TCB Signing cert, Root CA).")
  Path tcbSigningChain;

  @Option(names = "--kds-cache", paramLabel = "DIR", description = "SEV-SNP: offline cache of AMD KDS certificates "
      + "used when --certs is absent (default: ${DEFAULT-VALUE}).", defaultValue = "${user.home}/.cache/veilraft/amd-kds")
  Path kdsCache;

  @Option(names = "--fetch", description = "SEV-SNP: fetch missing certificates from AMD KDS (HTTPS) into --kds-cache.")
  boolean fetch;

  @Option(names = "--json", description = "Print the result as JSON.")
  boolean json;

  /** Input that cannot be used at all: exit 2. */
  static final class UnusableInput extends Exception {
    private static final long serialVersionUID = 1L;

    UnusableInput(String message) {
      super(message);
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try {
      Platform target = platformOf(platform);
      Evidence built = buildEvidence(target);
      Policy judged = policy == null ? null : PolicyFile.read(policy);
      byte[] expected = reportData == null ? null : expectedReportData(reportData);
      Instant instant = instant(target, built);
      EvidenceReport report = verify(built, judged, expected, instant);
      out.print(json ? report.toJson() : report.toText());
      out.flush();
      return report.passed() ? EXIT_PASSED : EXIT_FAILED;
    } catch (UnusableInput | ConfigException e) {
      spec.commandLine().getErr().println("error: " + e.getMessage());
      return EXIT_UNUSABLE;
    }
  }

  private static EvidenceReport verify(Evidence evidence, Policy policy, byte[] expected, Instant at) {
    return EvidenceReport.verify(new AttestationVerifier(), evidence, policy, expected, at);
  }

  private static Platform platformOf(String name) throws UnusableInput {
    try {
      return PolicyFile.platform(name, "--platform");
    } catch (ConfigException e) {
      throw new UnusableInput(e.getMessage());
    }
  }

  private Evidence buildEvidence(Platform target) throws UnusableInput {
    Evidence.Builder built = Evidence.newBuilder().setPlatform(target)
        .setReport(ByteString.copyFrom(decodeEvidence(read(evidence, "evidence"))));
    List<byte[]> chain = new ArrayList<>();
    for (Path file : certs) {
      try {
        chain.addAll(Certificates.readAll(read(file, "certificates"), file.toString()));
      } catch (CryptoException e) {
        throw new UnusableInput(e.getMessage());
      }
    }
    if (!chain.isEmpty()) {
      if (target == Platform.NITRO) {
        throw new UnusableInput("--certs is not used for Nitro: the document carries its own certificate bundle");
      }
      try {
        Certificates.orderLeafFirst(chain).forEach(der -> built.addCertChain(ByteString.copyFrom(der)));
      } catch (CryptoException e) {
        throw new UnusableInput("--certs: " + e.getMessage());
      }
    } else if (target == Platform.SEV_SNP) {
      endorsementsFromCache(built.getReport().toByteArray())
          .forEach(der -> built.addCertChain(ByteString.copyFrom(der)));
    }
    Collateral.Builder collateral = Collateral.newBuilder();
    for (Path crl : crls) {
      collateral.addCrls(ByteString.copyFrom(read(crl, "CRL")));
    }
    if (tcbInfo != null) {
      collateral.setTdxTcbInfo(ByteString.copyFrom(read(tcbInfo, "TCB info")));
    }
    if (qeIdentity != null) {
      collateral.setTdxQeIdentity(ByteString.copyFrom(read(qeIdentity, "QE identity")));
    }
    if (tcbSigningChain != null) {
      try {
        Certificates.readAll(read(tcbSigningChain, "TCB signing chain"), tcbSigningChain.toString())
            .forEach(der -> collateral.addTdxSigningChain(ByteString.copyFrom(der)));
      } catch (CryptoException e) {
        throw new UnusableInput(e.getMessage());
      }
    }
    if (!collateral.build().equals(Collateral.getDefaultInstance())) {
      built.setCollateral(collateral);
    }
    return built.build();
  }

  /** VCEK, ASK and ARK for an SNP report from the offline cache (or AMD KDS with --fetch). */
  private List<byte[]> endorsementsFromCache(byte[] reportBytes) throws UnusableInput {
    SnpReport report;
    try {
      report = SnpReport.parse(reportBytes);
    } catch (MalformedReportException e) {
      return List.of(); // The verifier names what is wrong with the report.
    }
    SnpEndorsements.Builder endorsements = SnpEndorsements.builder().cache(kdsCache);
    if (fetch) {
      endorsements.kds(AmdKdsClient.create());
    }
    try {
      return endorsements.build().resolve(report, SnpCertificateTable.empty()).certificates();
    } catch (AttestationException e) {
      String why = fetch ? "AMD KDS could not supply them: " + e.getMessage()
          : "the offline cache " + kdsCache + " has none for this report (" + e.getMessage() + ")";
      throw new UnusableInput("SEV-SNP reports do not carry their certificates and " + why
          + "; pass the VCEK or VLEK, ASK or ASVK and ARK with --certs" + (fetch ? "" : ", or allow --fetch"));
    }
  }

  private Instant instant(Platform target, Evidence built) throws UnusableInput {
    if (at != null) {
      try {
        return Instant.parse(at);
      } catch (DateTimeParseException notInstant) {
        try {
          return LocalDate.parse(at).atStartOfDay(ZoneOffset.UTC).toInstant();
        } catch (DateTimeParseException e) {
          throw new UnusableInput("--at '" + at + "' is not an ISO-8601 instant (2026-11-21T10:00:00Z) or date");
        }
      }
    }
    if (target == Platform.NITRO) {
      try {
        // Nitro leaf certificates live about three hours: a document is judged at its own time.
        return NitroEvidenceVerifier.documentTimestamp(built.getReport().toByteArray());
      } catch (MalformedReportException e) {
        // Verified at "now" instead; the verifier reports the malformed document itself.
        return Instant.now();
      }
    }
    return Instant.now();
  }

  private static byte[] expectedReportData(String hex) throws UnusableInput {
    byte[] bytes;
    try {
      bytes = Hashes.unhex(hex.trim());
    } catch (IllegalArgumentException e) {
      throw new UnusableInput("--report-data is not hex: " + e.getMessage());
    }
    if (bytes.length != ReportData.BYTES) {
      throw new UnusableInput("--report-data is " + bytes.length + " bytes; expected " + ReportData.BYTES);
    }
    return bytes;
  }

  /** Raw bytes as they are, or the bytes a hex or base64 text file holds. */
  static byte[] decodeEvidence(byte[] file) {
    return EvidenceBytes.decode(file);
  }

  private static byte[] read(Path file, String what) throws UnusableInput {
    try {
      if (!Files.isRegularFile(file)) {
        throw new UnusableInput(what + " file " + file + " does not exist or is not a file");
      }
      if (Files.size(file) > INPUT_FILE_BYTES_MAX) {
        throw new UnusableInput(what + " file " + file + " is larger than " + INPUT_FILE_BYTES_MAX + " bytes");
      }
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UnusableInput("cannot read " + what + " file " + file + ": " + e.getMessage());
    }
  }
}
