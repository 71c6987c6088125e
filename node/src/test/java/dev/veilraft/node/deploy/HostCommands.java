package dev.veilraft.node.deploy;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What the deployment tests need from the host: the repository's paths, commands run with a bound
 * on time, and the house rule for missing tools: outside CI a test skips with the reason, under CI
 * (environment variable {@code CI} set and not {@code false}) it fails, because CI must run it.
 */
final class HostCommands {
  /** Characters of a command's output quoted in a failure message (the tail). */
  static final int DESCRIBE_CHARS_MAX = 6_000;
  /** After a kill, how long to wait for the process to be reaped. */
  static final Duration KILL_GRACE = Duration.ofSeconds(10);
  /** Directories searched after PATH: 'ip' and 'tc' live in sbin, which a non-login PATH may lack. */
  private static final List<String> EXTRA_DIRS = List.of("/usr/sbin", "/sbin", "/usr/local/sbin");

  private HostCommands() {}

  /** One finished or killed command: its exit code ({@code -1} when killed) and merged output. */
  record Result(List<String> command, int exitCode, boolean timedOut, String output) {
    boolean ok() {
      return exitCode == 0 && !timedOut;
    }

    String describe() {
      String tail = output.length() <= DESCRIBE_CHARS_MAX ? output
          : "…" + output.substring(output.length() - DESCRIBE_CHARS_MAX);
      return String.join(" ", command) + ": " + (timedOut ? "killed (timeout)" : "exit " + exitCode) + "\n" + tail;
    }
  }

  /** True under CI: a missing tool or privilege fails the test instead of skipping it. */
  static boolean underCi() {
    return underCi(System.getenv());
  }

  static boolean underCi(Map<String, String> environment) {
    String ci = environment.get("CI");
    return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
  }

  /** Skips the calling test with {@code reason}, or fails it under CI. Never returns. */
  static void unavailable(String reason) {
    unavailable(reason, System.getenv());
  }

  static void unavailable(String reason, Map<String, String> environment) {
    if (underCi(environment)) {
      Assertions.fail(reason + " (CI=true: this test must run in CI)");
    }
    Assumptions.abort(reason + "; skipped outside CI");
  }

  /** The repository root: the parent of this module's directory (Maven's basedir). */
  static Path repositoryRoot() {
    Path module = Path.of(System.getProperty("basedir", "")).toAbsolutePath().normalize();
    Path root = module.getParent();
    if (root == null || !Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("docker"))) {
      throw new IllegalStateException("cannot find the repository root above " + module);
    }
    return root;
  }

  static Path dockerDir() {
    return repositoryRoot().resolve("docker");
  }

  /** An executable named {@code name} on PATH or in an sbin directory. */
  static Optional<Path> executable(String name) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.addAll(EXTRA_DIRS);
    for (String dir : dirs) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** The java launcher of this JVM, for child processes. */
  static Path javaExecutable() {
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }

  /** Runs {@code command} with extra environment {@code env}; killed after {@code timeout}. */
  static Result run(List<String> command, Map<String, String> env, Duration timeout) throws IOException {
    Path output = Files.createTempFile("veilraft-deploy-", ".out");
    try {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
      builder.environment().putAll(env);
      Process process = builder.start();
      boolean finished;
      try {
        finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + command, e);
      }
      String text = new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
      return new Result(List.copyOf(command), finished ? process.exitValue() : -1, !finished, text);
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
