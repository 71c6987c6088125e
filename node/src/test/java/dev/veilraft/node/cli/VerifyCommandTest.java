package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.attestation.SnpProduct;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.tee.SnpEndorsementCache;
import dev.veilraft.crypto.tee.SnpSigningKey;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** 'veilraft verify' on real evidence from ../shared/vectors: claims, verdicts, every reason, exit codes. */
class VerifyCommandTest {
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  /** A file of the vectors; skips outside CI and fails in CI when the vectors are absent. */
  static String vector(String relative) {
    return dev.veilraft.node.SharedVectors.file(relative).toString();
  }

  static final String GO_REPORT = "sev-snp/go-sev-guest/attestation.bin";
  static final String GO_VCEK = "sev-snp/go-sev-guest/vcek.testcer";
  static final String MILAN_CHAIN = "sev-snp/amd-ark-ask/ask_ark_milan.pem";
  static final String GO_MEASUREMENT = "b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31"
      + "a5a608eb0cf2e4872b01";

  @Test
  void aGenuineSnpReportPassesThePlatformLayerWithCertificatesInAnyOrder() {
    // Proves the platform layer passes with --certs given ARK-first, and the decoded claims are printed.
    Run run = run("verify", "--platform", "snp", "--evidence", vector(GO_REPORT), "--certs", vector(MILAN_CHAIN),
        "--certs", vector(GO_VCEK), "--at", "2026-01-01");

    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("measurement", GO_MEASUREMENT).contains("chip_id").contains("reported_tcb")
        .contains("platform layer: PASSED").contains("only the platform layer").endsWith("PASSED\n");
  }

  @Test
  void aPolicyFailureListsEveryReasonAndExitsOne(@TempDir Path dir) throws Exception {
    // Proves a policy verdict names every failed check (debug and measurement here) and exits 1.
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "name: strict\nplatforms: [snp]\nmeasurements: ['" + "00".repeat(48) + "']\n");

    Run run = run("verify", "--platform", "snp", "--evidence", vector(GO_REPORT), "--certs", vector(GO_VCEK),
        "--certs", vector(MILAN_CHAIN), "--at", "2026-01-01T00:00:00Z", "--policy", policy.toString());

    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.out()).contains("policy 'strict': FAILED").contains("DEBUG_ENABLED")
        .contains("MEASUREMENT_NOT_ALLOWED").contains("binding not checked").endsWith("FAILED\n");
  }

  @Test
  void aPolicyThatAdmitsTheReportPassesIncludingTheBinding(@TempDir Path dir) throws Exception {
    // Proves a matching policy plus the right --report-data passes, and a wrong one fails REPORT_DATA_MISMATCH.
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "name: lab\nallow_debug: true\nmeasurements: ['" + GO_MEASUREMENT + "']\n");
    String reportData = "0102030405" + "00".repeat(59);

    Run pass = run("verify", "--platform", "snp", "--evidence", vector(GO_REPORT), "--certs", vector(GO_VCEK),
        "--certs", vector(MILAN_CHAIN), "--at", "2026-01-01", "--policy", policy.toString(),
        "--report-data", reportData);
    Run fail = run("verify", "--platform", "snp", "--evidence", vector(GO_REPORT), "--certs", vector(GO_VCEK),
        "--certs", vector(MILAN_CHAIN), "--at", "2026-01-01", "--policy", policy.toString(),
        "--report-data", "ff".repeat(64));

    assertThat(pass.exit()).as(pass.out()).isZero();
    assertThat(fail.exit()).isEqualTo(1);
    assertThat(fail.out()).contains("REPORT_DATA_MISMATCH");
  }

  @Test
  void theWrongKeyVlekVectorFailsWithSignatureInvalidAsJson() throws Exception {
    // Proves snp_AttestationReportVLEK.bin fails SIGNATURE_INVALID, and --json carries verdict and reason.
    Run run = run("verify", "--platform", "snp", "--evidence",
        vector("sev-snp/constellation/derived/snp_AttestationReportVLEK.bin"),
        "--certs", vector("sev-snp/constellation/snp/vlek.pem"),
        "--certs", vector("sev-snp/amd-ark-ask/ask_ark_milan_vlek.pem"), "--at", "2024-01-01", "--json");

    assertThat(run.exit()).isEqualTo(1);
    JsonNode json = new ObjectMapper().readTree(run.out());
    assertThat(json.get("verdict").asText()).isEqualTo("FAILED");
    assertThat(json.get("failures").get(0).get("reason").asText()).isEqualTo("SIGNATURE_INVALID");
    assertThat(json.get("failures").get(0).get("layer").asText()).isEqualTo("platform");
  }

  @Test
  void hexEvidenceFilesAreDecoded() {
    // Proves a report stored as hex text (virtee's report_milan.hex) verifies like the binary one.
    Run run = run("verify", "--platform", "snp", "--evidence", vector("sev-snp/virtee-sev/report_milan.hex"),
        "--certs", vector("sev-snp/virtee-sev/vcek_milan.der"), "--certs", vector("sev-snp/virtee-sev/cert_chain_milan"),
        "--at", "2026-01-01");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
  }

  @Test
  void unusableInputExitsTwoWithASpecificMessage(@TempDir Path dir) throws Exception {
    // Proves missing files, an unknown platform, a bad policy key and missing SNP certificates all exit 2.
    Path badPolicy = dir.resolve("bad.yaml");
    Files.writeString(badPolicy, "name: x\nmeasurments: []\n");
    Path report = dir.resolve("report.bin");
    Files.write(report, new byte[1184]);

    assertThat(run("verify", "--platform", "snp", "--evidence", dir.resolve("absent").toString()).err())
        .contains("does not exist");
    assertThat(run("verify", "--platform", "sgx", "--evidence", report.toString()).exit()).isEqualTo(2);
    Run policy = run("verify", "--platform", "snp", "--evidence", report.toString(), "--certs", vector(MILAN_CHAIN),
        "--policy", badPolicy.toString());
    assertThat(policy.exit()).isEqualTo(2);
    assertThat(policy.err()).contains("measurments");
    Run noCerts = run("verify", "--platform", "snp", "--evidence", vector(GO_REPORT), "--kds-cache",
        dir.resolve("empty-cache").toString());
    assertThat(noCerts.exit()).isEqualTo(2);
    assertThat(noCerts.err()).contains("--certs");
    assertThat(run("verify", "--platform", "snp", "--evidence", report.toString(), "--certs", vector(MILAN_CHAIN),
        "--at", "yesterday").err()).contains("--at 'yesterday'");
  }

  @Test
  void snpCertificatesComeFromTheOfflineCacheWhenNotGiven(@TempDir Path dir) throws Exception {
    // Proves an SNP report verifies with its VCEK and chain found in the --kds-cache layout, and an empty cache is exit 2.
    byte[] reportBytes = Files.readAllBytes(Path.of(vector("sev-snp/dstack/derived/sev_snp_attestation.report.bin")));
    SnpReport report = SnpReport.parse(reportBytes);
    SnpEndorsementCache cache = new SnpEndorsementCache(dir.resolve("kds"));
    Path vcek = cache.vcekPath(SnpProduct.MILAN, report.chipId(), SnpProduct.MILAN.decodeTcb(report.reportedTcb()));
    Files.createDirectories(vcek.getParent());
    Files.write(vcek, Certificates.readAll(Files.readAllBytes(Path.of(vector("sev-snp/dstack/sev_snp_vcek.pem"))),
        "vcek").get(0));
    Path chain = cache.chainPath(SnpProduct.MILAN, SnpSigningKey.VCEK);
    Files.createDirectories(chain.getParent());
    Files.copy(Path.of(vector(MILAN_CHAIN)), chain);

    Run run = run("verify", "--platform", "snp", "--evidence", vector("sev-snp/dstack/derived/sev_snp_attestation.report.bin"),
        "--kds-cache", dir.resolve("kds").toString(), "--at", "2027-01-01");
    Run empty = run("verify", "--platform", "snp", "--evidence", vector("sev-snp/dstack/derived/sev_snp_attestation.report.bin"),
        "--kds-cache", dir.resolve("empty").toString());

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(empty.exit()).isEqualTo(2);
    assertThat(empty.err()).contains("offline cache").contains("--certs");
  }

  @Test
  void aTdxQuoteVerifiesWithTheChainItCarries() {
    // Proves a real TDX v4 quote passes with no --certs (the PCK chain is in the quote) and prints MRTD and RTMRs.
    Run run = run("verify", "--platform", "tdx", "--evidence", vector("tdx/trustee/tdx_quote_4.dat"),
        "--at", "2026-06-01T00:00:00Z");

    assertThat(run.exit()).as(run.out() + run.err()).isZero();
    assertThat(run.out()).contains("mrtd").contains("rtmr3").containsPattern("signer +PCK").contains("tcb_status");
  }

  @Test
  void aNitroDocumentIsJudgedAtItsOwnTimestampUnlessTold() {
    // Proves a Nitro document passes at its own timestamp by default, and fails CERT_EXPIRED at a later --at.
    String document = vector("nitro/evervault/valid-attestation-doc-bytes");

    Run own = run("verify", "--platform", "nitro", "--evidence", document);
    Run later = run("verify", "--platform", "nitro", "--evidence", document, "--at", "2026-01-01");

    assertThat(own.exit()).as(own.out()).isZero();
    assertThat(own.out()).contains("pcr0").contains("module_id");
    assertThat(later.exit()).isEqualTo(1);
    assertThat(later.out()).contains("CERT_EXPIRED");
  }

  @Test
  void hardwareSaysThisMachineHasOnlyTheSimulatedPlatform() {
    // Proves 'veilraft hardware' runs on a machine without a TEE and says only the insecure simulation is left.
    Run run = run("hardware");

    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("simulated platform (INSECURE)");
  }
}
