package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.membership.GenesisDocument;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The veilraft command: documented exit codes, and one-line errors instead of stack traces. */
class MainTest {
  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  @Test
  void theCommonPoolIsSizedSoAsyncTasksNeverGetAThreadEach() {
    // Proves main raises the common pool's parallelism to at least 2 (below that CompletableFuture starts a thread
    // per async task) unless the operator set the property, whose value it leaves alone.
    String before = System.getProperty(Main.COMMON_POOL_PARALLELISM);
    try {
      System.clearProperty(Main.COMMON_POOL_PARALLELISM);
      Main.commonPoolNeverThreadPerTask();
      assertThat(Integer.parseInt(System.getProperty(Main.COMMON_POOL_PARALLELISM)))
          .isGreaterThanOrEqualTo(Main.COMMON_POOL_PARALLELISM_MIN);
      System.setProperty(Main.COMMON_POOL_PARALLELISM, "7");
      Main.commonPoolNeverThreadPerTask();
      assertThat(System.getProperty(Main.COMMON_POOL_PARALLELISM)).isEqualTo("7");
    } finally {
      if (before == null) {
        System.clearProperty(Main.COMMON_POOL_PARALLELISM);
      } else {
        System.setProperty(Main.COMMON_POOL_PARALLELISM, before);
      }
    }
  }

  @Test
  void genesisCreateThenShowRoundTrips(@TempDir Path dir) throws Exception {
    // A genesis written by 'genesis create' is read back by 'genesis show' with the same cluster id.
    String measurement = "ab".repeat(48);
    Path genesis = dir.resolve("genesis.bin");
    CliRun created = run("genesis", "create", "--out", genesis.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", measurement, "--name", "prod-eu");
    assertThat(created.exit()).isZero();
    String id = GenesisDocument.read(genesis).clusterIdHex();
    assertThat(created.out()).contains(id);
    CliRun shown = run("genesis", "show", genesis.toString());
    assertThat(shown.exit()).isZero();
    assertThat(shown.out()).contains(id).contains("prod-eu");
  }

  @Test
  void genesisCreateStatesTheProtocolVersionOnlyWhenAsked(@TempDir Path dir) throws Exception {
    // Proves the default genesis leaves protocol_version absent (version 1) and --protocol-version writes it.
    Path plain = dir.resolve("plain.bin");
    Path explicit = dir.resolve("v2.bin");
    assertThat(run("genesis", "create", "--out", plain.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", "ab".repeat(48)).exit()).isZero();
    assertThat(run("genesis", "create", "--out", explicit.toString(), "--sim-vendor", dir.resolve("vendor").toString(),
        "--allow-measurement", "ab".repeat(48), "--protocol-version", "2").exit()).isZero();
    assertThat(GenesisDocument.read(plain).genesis().getProtocolVersion()).isZero();
    assertThat(GenesisDocument.read(plain).protocolVersion()).isEqualTo(1);
    assertThat(GenesisDocument.read(explicit).protocolVersion()).isEqualTo(2);
    assertThat(run("genesis", "show", explicit.toString()).out()).contains("protocol version 2 at start");
  }

  @Test
  void genesisForAHardwareClusterTakesItsPolicyFromAFile(@TempDir Path dir) throws Exception {
    // Proves 'genesis create --policy' writes the file's policy (no simulated root), and mixing modes is an error.
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, "name: prod-2026-11\nplatforms: [snp, tdx]\nmeasurements: ['" + "cd".repeat(48) + "']\n");
    Path genesis = dir.resolve("genesis.bin");

    CliRun created = run("genesis", "create", "--out", genesis.toString(), "--policy", policy.toString());
    CliRun mixed = run("genesis", "create", "--out", genesis.toString(), "--policy", policy.toString(),
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
    CliRun shown = run("genesis", "show", genesis.toString());
    assertThat(shown.exit()).isEqualTo(1);
    assertThat(shown.err()).startsWith("error: " + genesis).doesNotContain("\tat ");
  }

  @Test
  void nodeWithMissingConfigFailsWithItsReason(@TempDir Path dir) {
    // A node whose configuration file is missing prints FAILED with the reason and exits 1.
    CliRun node = run("node", "start", "--config", dir.resolve("absent.yaml").toString());
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
    CliRun measured = run("measure");
    assertThat(measured.exit()).isZero();
    assertThat(measured.out().trim()).matches("[0-9a-f]{96}");
  }

  @Test
  void tlsCsrSealsAWebKeyInsideTheNodeAndWritesARequest(@TempDir Path dir) throws Exception {
    // 'tls csr' writes a PEM CSR for the names, keeps the key sealed in the data directory, and reuses it next time.
    var layout = layout();
    Path config = layout.configFiles().get(0);
    Path csr = dir.resolve("node.csr");
    CliRun first = run("tls", "csr", "--config", config.toString(), "--dns", "mint.example.org", "--out", csr.toString());
    assertThat(first.exit()).as(first.err()).isZero();
    assertThat(Files.readString(csr)).startsWith("-----BEGIN CERTIFICATE REQUEST-----");
    assertThat(layout.nodes().get(0).dataDir().resolve(dev.veilraft.crypto.seal.WebTlsKey.FILE_NAME)).exists();
    CliRun again = run("tls", "csr", "--config", config.toString(), "--dns", "mint.example.org", "--out", csr.toString());
    assertThat(again.out().lines().filter(l -> l.startsWith("web tls spki")).toList()).hasSize(1).isEqualTo(
        first.out().lines().filter(l -> l.startsWith("web tls spki")).toList());
    CliRun bad = run("tls", "csr", "--config", config.toString(), "--dns", "Not A Host", "--out", csr.toString());
    assertThat(bad.exit()).isEqualTo(1);
    assertThat(bad.out()).contains("FAILED BAD_NAME", "Not A Host");
  }

  @TempDir static Path shared;
  private static dev.veilraft.node.LocalCluster.Layout sharedLayout;

  /**
   * One node's layout (genesis, keys, endorsement) shared by the tests that only need a valid
   * configuration: creating one takes seconds. Tests that fail a start leave it as they found it.
   */
  private static synchronized dev.veilraft.node.LocalCluster.Layout layout() throws Exception {
    if (sharedLayout == null) {
      sharedLayout = dev.veilraft.node.TestClusters.create(shared.resolve("cluster"), 1,
          dev.veilraft.crypto.attestation.CodeMeasurement.ofRunningCode(Main.class));
    }
    return sharedLayout;
  }

  /** Every file under {@code dir} with its size and modification time, to prove a failed command changed nothing. */
  private static java.util.Map<String, String> snapshot(Path dir) throws Exception {
    try (var files = Files.walk(dir)) {
      java.util.Map<String, String> state = new java.util.TreeMap<>();
      for (Path f : files.toList()) {
        state.put(dir.relativize(f).toString(), Files.isDirectory(f) ? "dir"
            : Files.size(f) + "@" + Files.getLastModifiedTime(f).toMillis());
      }
      return state;
    }
  }

  @Test
  void helpListsEveryCommandIncludingTheLauncherOnesAndTheExitCodes() {
    // Proves --help names status, init, completion and the commands run from other jars, and documents exit codes.
    CliRun help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.out()).contains("status", "init", "completion", "simulate", "local", "bench", "--log-format",
        "Exit codes: 0 success, 1 failure", "2 bad usage");
  }

  @Test
  void everyCommandAnswersHelp() {
    // Proves --help works on every command and subcommand (exit 0, a usage text), as the issue asks.
    java.util.List<java.util.List<String>> paths = new java.util.ArrayList<>();
    collect(Main.commandLine(), new java.util.ArrayList<>(), paths);
    assertThat(paths).hasSizeGreaterThan(20);
    for (var path : paths) {
      var args = new java.util.ArrayList<>(path);
      args.add("--help");
      CliRun help = run(args.toArray(String[]::new));
      assertThat(help.exit()).as(String.join(" ", args) + ": " + help.err()).isZero();
      assertThat(help.out()).as(String.join(" ", args)).contains("Usage: veilraft");
    }
  }

  private static void collect(CommandLine command, java.util.List<String> path,
      java.util.List<java.util.List<String>> into) {
    for (var sub : command.getSubcommands().entrySet()) {
      if (sub.getKey().equals("help")) {
        continue;
      }
      var subPath = new java.util.ArrayList<>(path);
      subPath.add(sub.getKey());
      into.add(subPath);
      collect(sub.getValue(), subPath, into);
    }
  }

  @Test
  void launcherOnlyCommandsSayHowToRunThem() {
    // Proves 'simulate' in the node jar explains the launcher command (with the user's arguments) and exits 2.
    CliRun simulate = run("simulate", "--nodes", "3", "--seed", "7");
    assertThat(simulate.exit()).isEqualTo(2);
    assertThat(simulate.err()).contains("veilraft-simulator.jar").contains("./veilraft simulate --nodes 3 --seed 7");
    CliRun bench = run("bench");
    assertThat(bench.exit()).isEqualTo(2);
    assertThat(bench.err()).contains("benchmarks.jar").contains("./veilraft bench --help");
  }

  @Test
  void completionPrintsABashScriptCoveringTheSubcommands() {
    // Proves 'completion' prints a bash completion function that knows the top-level commands and nested ones.
    CliRun completion = run("completion");
    assertThat(completion.exit()).isZero();
    assertThat(completion.out()).contains("complete -F").contains("status").contains("genesis").contains("simulate")
        .contains("completion").contains("--peer-attempts");
  }

  @Test
  void logFormatSetsThePropertyLoggingReadsAndRefusesUnknownFormats() {
    // Proves --log-format json sets veilraft.log.format (for logback), on any subcommand, and an unknown format is bad usage.
    String saved = System.getProperty(Main.LOG_FORMAT_PROPERTY);
    try {
      assertThat(run("--log-format", "json", "version").exit()).isZero();
      assertThat(System.getProperty(Main.LOG_FORMAT_PROPERTY)).isEqualTo("json");
      assertThat(run("version", "--log-format", "text").exit()).isZero();
      assertThat(System.getProperty(Main.LOG_FORMAT_PROPERTY)).isEqualTo("text");
      CliRun bad = run("--log-format", "xml", "version");
      assertThat(bad.exit()).isEqualTo(2);
      assertThat(bad.err()).contains("xml");
      Main.presetLogFormat(new String[] {"node", "start", "--log-format=json"});
      assertThat(System.getProperty(Main.LOG_FORMAT_PROPERTY)).isEqualTo("json");
    } finally {
      if (saved == null) {
        System.clearProperty(Main.LOG_FORMAT_PROPERTY);
      } else {
        System.setProperty(Main.LOG_FORMAT_PROPERTY, saved);
      }
    }
  }

  @Test
  void topLevelInitPrintsTheNodeIdAndPublicKeys() throws Exception {
    // Proves 'veilraft init' is 'node init': it prints the node id and its public keys, the same on a second run.
    var layout = layout();
    CliRun init = run("init", "--config", layout.configFiles().get(0).toString());
    assertThat(init.exit()).as(init.err()).isZero();
    assertThat(init.out()).containsPattern("node id [0-9a-f]{32}").containsPattern("identity public key [0-9a-f]{100,}")
        .containsPattern("identity spki sha256 [0-9a-f]{64}")
        .containsPattern("kem public key [0-9a-f]+");
    assertThat(run("node", "init", "--config", layout.configFiles().get(0).toString()).out()).isEqualTo(init.out());
  }

  @Test
  void anEnvironmentOverrideTypoStopsTheNodeNamingTheVariable() throws Exception {
    // Proves the CLI applies VEILRAFT_* overrides: a misspelt one fails the start with its name, exit 1.
    var layout = layout();
    ConfigFiles.environmentOverride = java.util.Map.of("VEILRAFT_API_PROT", "9000");
    try {
      CliRun node = run("node", "start", "--config", layout.configFiles().get(0).toString());
      assertThat(node.exit()).isEqualTo(1);
      assertThat(node.out()).contains("FAILED config").contains("VEILRAFT_API_PROT").contains("VEILRAFT_API_PORT");
    } finally {
      ConfigFiles.environmentOverride = null;
    }
  }

  @Test
  void aSecondNodeOnALockedDataDirectoryFailsAtOnceAndTouchesNothing() throws Exception {
    // Proves a node whose data directory is locked by another exits 1 naming the directory and pid, files unchanged.
    var layout = layout();
    Path data = layout.nodes().get(0).dataDir();
    try (var held = dev.veilraft.node.DataDirLock.acquire(data)) {
      var before = snapshot(data);
      CliRun node = run("node", "start", "--config", layout.configFiles().get(0).toString());
      assertThat(node.exit()).isEqualTo(1);
      assertThat(node.out()).contains("FAILED DATA_DIR_LOCKED").contains(data.toString())
          .contains("pid " + ProcessHandle.current().pid());
      assertThat(snapshot(data)).isEqualTo(before);
    }
  }

  @Test
  void aTakenPortFailsTheStartNamingTheKeyAndPortBeforeTheStateIsOpened() throws Exception {
    // Proves a taken API port fails the start naming 'api.port' before any state exists, a taken Raft port names 'raft.port'.
    var layout = layout();
    var config = layout.nodes().get(0);
    Path data = config.dataDir();
    var before = snapshot(data);
    before.remove(dev.veilraft.node.DataDirLock.FILE_NAME);
    try (var taken = new java.net.ServerSocket(config.api().port(), 1, java.net.InetAddress.getByName(config.api().host()))) {
      CliRun node = run("node", "start", "--config", layout.configFiles().get(0).toString());
      assertThat(node.exit()).isEqualTo(1);
      assertThat(node.out()).contains("FAILED PORT_IN_USE").contains("key 'api.port'")
          .contains(config.api().address());
    }
    var after = snapshot(data);
    after.remove(dev.veilraft.node.DataDirLock.FILE_NAME);
    assertThat(after).isEqualTo(before);

    try (var taken = new java.net.ServerSocket(config.raft().port(), 1, java.net.InetAddress.getByName(config.raft().host()))) {
      CliRun node = run("node", "start", "--config", layout.configFiles().get(0).toString());
      assertThat(node.exit()).isEqualTo(1);
      assertThat(node.out()).contains("FAILED RAFT_START_FAILED").contains("key 'raft.port'")
          .contains(config.raft().address());
    }
  }

  @Test
  @org.junit.jupiter.api.Timeout(120)
  void aStateStoreTheDiskRefusesEndsTheStartWithTheDiskFailureStatus(@TempDir Path dir) throws Exception {
    // Proves a node whose state store cannot be written when it opens prints FAILED DISK_FAILURE naming the store
    // and exits 74 (EX_IOERR), the status its supervisor restarts on, not 1. RocksDB reports the refusal as an I/O
    // error, which the node treats as a disk failure whatever the errno (full, EIO, or refused as here).
    var layout = dev.veilraft.node.TestClusters.create(dir.resolve("cluster"), 1,
        dev.veilraft.crypto.attestation.CodeMeasurement.ofRunningCode(Main.class));
    Path state = Files.createDirectories(layout.nodes().get(0).dataDir().resolve("state"));
    try (var refused = dev.veilraft.node.RefusedDirectory.refuse(state)) {
      CliRun node = run("node", "start", "--config", layout.configFiles().get(0).toString());
      assertThat(node.out()).contains("FAILED DISK_FAILURE").contains(state.toString());
      assertThat(node.exit()).isEqualTo(dev.veilraft.node.VeilraftNode.DISK_FAILURE_EXIT_STATUS);
    }
  }

  @Test
  void aDataDirectoryThatIsAFileIsAClearError(@TempDir Path dir) throws Exception {
    // Proves a dataDir that is not a directory fails with exit 1 naming it.
    var layout = layout();
    Path file = Files.writeString(dir.resolve("data-file"), "x");
    Path config = Files.writeString(dir.resolve("bad.yaml"), layout.nodes().get(0).toYaml()
        .replace(layout.nodes().get(0).dataDir().toString(), file.toString()));
    CliRun node = run("node", "start", "--config", config.toString());
    assertThat(node.exit()).isEqualTo(1);
    assertThat(node.out()).contains("FAILED DATA_DIR_UNUSABLE").contains(file.toString()).contains("not a directory");
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void joiningThroughAnUnreachablePeerGivesUpAfterTheAttemptsNamingTheUrl() throws Exception {
    // Proves 'node join' retries a peer that does not answer a bounded number of times, then exits 1 naming its URL.
    var layout = layout();
    int closed = dev.veilraft.node.LocalCluster.freePort();
    String peer = "https://127.0.0.1:" + closed;
    CliRun join = run("node", "join", "--config", layout.configFiles().get(0).toString(), "--peer", peer,
        "--peer-attempts", "2");
    assertThat(join.exit()).isEqualTo(1);
    assertThat(join.out()).contains("attempt 1 of 2").contains("FAILED PEER_UNREACHABLE").contains(peer)
        .contains("after 2 attempts");
    CliRun badUrl = run("node", "join", "--config", layout.configFiles().get(0).toString(), "--peer", "ftp://x");
    assertThat(badUrl.exit()).isEqualTo(2);
  }
}
