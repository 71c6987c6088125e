package dev.veilraft.node.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.node.Await;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The Node.js harness of the interop ITs: running scripts, killing them, skip-or-fail rules, the pinned install. */
class NodeJsTest {
  @TempDir
  Path dir;

  private NodeJs node() throws Exception {
    return NodeJs.locate(dir, System.getenv());
  }

  @Test
  void runsAScriptWithArgumentsAndEnvironmentAndCapturesBothStreamsAndTheExitCode() throws Exception {
    // A trivial script sees its arguments and the added variable; stdout, stderr and exit 3 come back.
    Files.writeString(dir.resolve("echo.mjs"), """
        process.stdout.write(JSON.stringify({ step: 'args', ok: true, args: process.argv.slice(2) }) + '\\n');
        process.stdout.write('not a step\\n');
        process.stdout.write(JSON.stringify({ step: 'env', ok: true, value: process.env.NODEJS_TEST_VALUE }) + '\\n');
        process.stdout.write(JSON.stringify({ step: 'last', ok: false, error: 'on purpose' }) + '\\n');
        process.stderr.write('to stderr\\n');
        process.exit(3);
        """);

    ProcessRun result = node().run("echo.mjs", List.of("http://a/cashu", "two words"),
        Map.of("NODEJS_TEST_VALUE", "42"), Duration.ofMinutes(1));

    assertThat(result.exitCode()).as(result.describe()).isEqualTo(3);
    assertThat(result.timedOut()).isFalse();
    assertThat(result.stderr()).isEqualTo("to stderr\n");
    assertThat(result.steps()).hasSize(3);
    assertThat(result.step("args").orElseThrow().get("args").toString()).isEqualTo("[\"http://a/cashu\",\"two words\"]");
    assertThat(result.step("env").orElseThrow().get("value").asText()).isEqualTo("42");
    assertThat(result.passed()).containsExactly("args", "env");
    assertThat(result.failure().orElseThrow().get("error").asText()).isEqualTo("on purpose");
    assertThat(result.describe()).contains("exit 3", "failed step", "on purpose", "to stderr");
    assertThat(dir.resolve("runs")).isDirectoryContaining(p -> p.getFileName().toString().matches("echo-\\d+\\.stdout"));
  }

  @Test
  void aScriptPastItsTimeoutIsKilledWithTheProcessesItStarted() throws Exception {
    // A script that starts a child and never ends is reported as timed out, and neither process survives.
    Files.writeString(dir.resolve("hang.mjs"), """
        import { spawn } from 'node:child_process';
        const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
        process.stdout.write(JSON.stringify({ step: 'spawned', ok: true, parent: process.pid, child: child.pid }) + '\\n');
        setInterval(() => {}, 1000);
        """);

    ProcessRun result = node().run("hang.mjs", List.of(), Map.of(), Duration.ofSeconds(5));

    assertThat(result.timedOut()).as(result.describe()).isTrue();
    assertThat(result.describe()).contains("(timeout)");
    var spawned = result.step("spawned").orElseThrow(() -> new AssertionError("the script did not start its child "
        + "within the timeout: " + result.describe()));
    for (String process : List.of("parent", "child")) {
      long pid = spawned.get(process).asLong();
      assertThat(Await.until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true), Duration.ofSeconds(30)))
          .as("%s process %d is gone", process, pid).isTrue();
    }
  }

  @Test
  void runningAScriptThatIsNotThereNamesTheDirectory() throws Exception {
    // A typo in a script name is an argument error naming where scripts are looked for.
    NodeJs node = node();
    assertThatThrownBy(() -> node.run("nope.mjs", List.of(), Map.of(), Duration.ofSeconds(5)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nope.mjs").hasMessageContaining(dir.toString());
  }

  @Test
  void missingToolsAbortOutsideCiAndFailUnderCi() {
    // The house rule of ../shared vectors: CI must run the interop tests, a laptop may skip them.
    assertThatThrownBy(() -> NodeJs.unavailable("no node", Map.of())).isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("no node").hasMessageContaining("skipped outside CI");
    assertThatThrownBy(() -> NodeJs.unavailable("no node", Map.of("CI", "false"))).isInstanceOf(TestAbortedException.class);
    assertThatThrownBy(() -> NodeJs.unavailable("no node", Map.of("CI", "true"))).isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("no node").hasMessageContaining("CI must run the interop tests");
  }

  @Test
  void nodeMissingFromThePathIsReportedWithThePathSearched() throws Exception {
    // An empty PATH: the test is skipped (or failed under CI) with a message naming the PATH.
    Path empty = Files.createDirectory(dir.resolve("empty-bin"));
    assertThatThrownBy(() -> NodeJs.locate(dir, Map.of("PATH", empty.toString())))
        .isInstanceOf(TestAbortedException.class).hasMessageContaining("no 'node' on PATH (" + empty + ")");
    assertThatThrownBy(() -> NodeJs.locate(dir, Map.of("PATH", empty.toString(), "CI", "true")))
        .isInstanceOf(AssertionFailedError.class);
  }

  @Test
  void thePathLookupTakesTheFirstExecutableFile() throws IOException {
    // A non-executable file of that name is passed over; directories are searched in PATH order.
    Path first = Files.createDirectory(dir.resolve("first"));
    Path second = Files.createDirectory(dir.resolve("second"));
    Files.writeString(first.resolve("node"), "not executable");
    Path executable = Files.writeString(second.resolve("node"), "#!/bin/sh\n");
    Files.setPosixFilePermissions(executable, PosixFilePermissions.fromString("rwxr-xr-x"));

    assertThat(NodeJs.onPath("node", first + ":" + second)).contains(executable);
    assertThat(NodeJs.onPath("node", first.toString())).isEmpty();
    assertThat(NodeJs.onPath("node", "")).isEmpty();
  }

  @Test
  void npmNetworkFailuresAreToldApartFromABadLockFile() {
    // Real npm 11 output: an unreachable registry skips outside CI, a lock file out of step always fails.
    assertThat(NodeJs.registryUnreachable("""
        npm error code ECONNREFUSED
        npm error syscall connect
        npm error FetchError: request to http://127.0.0.1:9/ws/-/ws-8.23.0.tgz failed, reason: connect ECONNREFUSED
        """)).isTrue();
    assertThat(NodeJs.registryUnreachable("""
        npm error code ENOTFOUND
        npm error network request to http://nonexistent.invalid/ws/-/ws-8.23.0.tgz failed, reason: getaddrinfo ENOTFOUND
        """)).isTrue();
    assertThat(NodeJs.registryUnreachable("""
        npm error code ENOTCACHED
        npm error request to https://registry.npmjs.org/ws/-/ws-8.23.0.tgz failed: cache mode is 'only-if-cached'
        """)).isTrue();
    assertThat(NodeJs.registryUnreachable("npm ERR! code EAI_AGAIN\n")).isTrue();
    assertThat(NodeJs.registryUnreachable("""
        npm error code EUSAGE
        npm error `npm ci` can only install packages when your package.json and package-lock.json are in sync.
        npm error Invalid: lock file's ws@8.23.0 does not satisfy ws@8.22.2
        """)).isFalse();
    assertThat(NodeJs.registryUnreachable("npm warn EBADENGINE Unsupported engine\n")).isFalse();
  }

  @Test
  void anUnreachableRegistryAbortsOutsideCiAndFailsUnderCi() throws Exception {
    // npm ci against a closed port with an empty cache: skipped on a laptop, a failure under CI.
    node();
    if (NodeJs.onPath("npm", System.getenv().getOrDefault("PATH", "")).isEmpty()) {
      NodeJs.unavailable("npm is not installed: no 'npm' on PATH", System.getenv());
    }
    Path module = Files.createDirectories(dir.resolve("module"));
    Path source = Files.createDirectories(module.resolve(NodeJs.SOURCE_DIR));
    for (String file : NodeJs.PACKAGE_FILES) {
      Files.copy(NodeJs.moduleDir().resolve(NodeJs.SOURCE_DIR).resolve(file), source.resolve(file));
    }
    Map<String, String> env = new java.util.HashMap<>(System.getenv());
    env.remove("CI");
    env.put("npm_config_registry", "http://127.0.0.1:9/");
    env.put("npm_config_cache", dir.resolve("empty-npm-cache").toString());
    env.put("npm_config_fetch_retries", "0");

    assertThatThrownBy(() -> NodeJs.prepare(module, env)).isInstanceOf(TestAbortedException.class)
        .hasMessageContaining("npm ci cannot reach the npm registry").hasMessageContaining("ECONNREFUSED");
    env.put("CI", "true");
    assertThatThrownBy(() -> NodeJs.prepare(module, env)).isInstanceOf(AssertionFailedError.class)
        .hasMessageContaining("npm ci cannot reach the npm registry").hasMessageContaining("CI must run");
  }

  @Test
  void thePinnedClientsInstallAndComputeTheSpecVectorsOnThisNode() throws Exception {
    // npm ci of the committed lock file, then cashu-ts on the NUT-00 vectors and nostr-tools on BIP-340.
    NodeJs node = NodeJs.prepare();
    ProcessRun result = node.run("library-check.mjs", List.of(), Map.of(), Duration.ofMinutes(2));

    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.passed()).containsExactly("cashu_nut00", "cashu_wallet", "nostr_bip340", "nostr_event", "done");
    assertThat(node.workDir()).as("npm ci runs in target/interop, not in the source tree")
        .isEqualTo(NodeJs.moduleDir().resolve(NodeJs.WORK_DIR));
    assertThat(node.workDir().resolve("node_modules/@cashu/cashu-ts/package.json")).isRegularFile();
  }
}
