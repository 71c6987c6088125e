package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.membership.GenesisDocument;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The veilraft command: documented exit codes, and one-line errors instead of stack traces. */
class MainTest {
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    StringWriter err = new StringWriter();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      CommandLine cli = Main.commandLine();
      cli.setErr(new PrintWriter(err, true));
      int exit = cli.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(saved);
    }
  }

  @Test
  void genesisCreateThenShowRoundTrips(@TempDir Path dir) throws Exception {
    // A genesis written by 'genesis create' is read back by 'genesis show' with the same cluster id.
    String measurement = "ab".repeat(48);
    Path genesis = dir.resolve("genesis.bin");
    Run created = run("genesis", "create", "--out", genesis.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", measurement, "--name", "prod-eu");
    assertThat(created.exit()).isZero();
    String id = GenesisDocument.read(genesis).clusterIdHex();
    assertThat(created.out()).contains(id);
    Run shown = run("genesis", "show", genesis.toString());
    assertThat(shown.exit()).isZero();
    assertThat(shown.out()).contains(id).contains("prod-eu");
  }

  @Test
  void genesisForAHardwareClusterTakesItsPolicyFromAFile(@TempDir Path dir) throws Exception {
    // Proves 'genesis create --policy' writes the file's policy (no simulated root), and mixing modes is an error.
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "name: prod-2026-11\nplatforms: [snp, tdx]\nmeasurements: ['" + "cd".repeat(48) + "']\n");
    Path genesis = dir.resolve("genesis.bin");

    Run created = run("genesis", "create", "--out", genesis.toString(), "--policy", policy.toString());
    Run mixed = run("genesis", "create", "--out", genesis.toString(), "--policy", policy.toString(),
        "--sim-vendor", dir.resolve("vendor").toString());

    assertThat(created.exit()).as(created.err()).isZero();
    GenesisDocument document = GenesisDocument.read(genesis);
    assertThat(document.policy().getName()).isEqualTo("prod-2026-11");
    assertThat(document.policy().getAllowSimulated()).isFalse();
    assertThat(document.policy().getAllowedPlatformsCount()).isEqualTo(2);
    assertThat(mixed.exit()).isEqualTo(1);
    assertThat(mixed.err()).contains("--sim-vendor");
  }

  @Test
  void corruptGenesisIsOneLineErrorWithExitOne(@TempDir Path dir) throws Exception {
    // A garbled genesis file is reported in one line naming the file, with exit code 1.
    Path genesis = dir.resolve("genesis.bin");
    Files.write(genesis, new byte[] {0x0a, (byte) 0xff, 0x13});
    Run shown = run("genesis", "show", genesis.toString());
    assertThat(shown.exit()).isEqualTo(1);
    assertThat(shown.err()).startsWith("error: " + genesis).doesNotContain("\tat ");
  }

  @Test
  void nodeWithMissingConfigFailsWithItsReason(@TempDir Path dir) {
    // A node whose configuration file is missing prints FAILED with the reason and exits 1.
    Run node = run("node", "start", "--config", dir.resolve("absent.yaml").toString());
    assertThat(node.exit()).isEqualTo(1);
    assertThat(node.out()).contains("FAILED").contains("does not exist");
  }

  @Test
  void unknownCommandIsAUsageError() {
    // Bad usage exits 2, as documented.
    assertThat(run("node", "bogus").exit()).isEqualTo(2);
  }

  @Test
  void measurePrintsA384BitHexMeasurement() {
    // 'measure' prints the SHA-384 launch measurement of the running code.
    Run measured = run("measure");
    assertThat(measured.exit()).isZero();
    assertThat(measured.out().trim()).matches("[0-9a-f]{96}");
  }

  @Test
  void tlsCsrSealsAWebKeyInsideTheNodeAndWritesARequest(@TempDir Path dir) throws Exception {
    // 'tls csr' writes a PEM CSR for the names, keeps the key sealed in the data directory, and reuses it next time.
    var layout = dev.veilraft.node.TestClusters.create(dir, 1,
        dev.veilraft.crypto.attestation.CodeMeasurement.ofRunningCode(Main.class));
    Path config = layout.configFiles().get(0);
    Path csr = dir.resolve("node.csr");
    Run first = run("tls", "csr", "--config", config.toString(), "--dns", "mint.example.org", "--out", csr.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(Files.readString(csr)).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
    assertThat(layout.nodes().get(0).dataDir().resolve(dev.veilraft.crypto.seal.WebTlsKey.FILE_NAME)).exists();
    Run again = run("tls", "csr", "--config", config.toString(), "--dns", "mint.example.org", "--out", csr.toString());
    assertThat(again.out().lines().filter(l -> l.startsWith("web tls spki")).toList()).hasSize(1).isEqualTo(
        first.out().lines().filter(l -> l.startsWith("web tls spki")).toList());
    Run bad = run("tls", "csr", "--config", config.toString(), "--dns", "Not A Host", "--out", csr.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("FAILED BAD_NAME", "Not A Host");
  }
}
