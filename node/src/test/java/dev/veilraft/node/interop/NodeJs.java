package dev.veilraft.node.interop;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs the interop scripts of {@code src/test/interop} (the reference Cashu wallet and Nostr
 * client from the npm registry) with the machine's Node.js, for the interop ITs.
 *
 * <p>{@link #prepare()} finds {@code node} and {@code npm} on the PATH, copies the scripts and the
 * pinned {@code package.json}/{@code package-lock.json} to {@code target/interop} (the source tree
 * stays clean) and runs {@code npm ci} there when the lock file or Node.js changed since the last
 * install. When Node.js is missing or too old, or {@code npm ci} cannot reach the registry, the
 * calling test is aborted (skipped) with the reason, except under CI (environment variable
 * {@code CI} set and not {@code false}), where it fails: CI must run these tests. Any other
 * {@code npm ci} failure (a lock file out of step with package.json) always fails.
 *
 * <p>{@link #run} runs one script with a bound on time; on timeout the process and every process
 * it started are killed. Output goes to files under {@code target/interop/runs} and is returned.
 */
public final class NodeJs {
  /** Oldest Node.js the scripts run on: global fetch, and the engines floor of @noble/curves 2.x. */
  static final int NODE_MAJOR_MIN = 20;
  static final int NODE_MINOR_MIN = 19;
  static final Duration VERSION_TIMEOUT = Duration.ofSeconds(30);
  /** A cold npm cache downloads about 1 MB; five minutes covers a slow mirror, not a dead one. */
  static final Duration NPM_CI_TIMEOUT = Duration.ofMinutes(5);
  /** After a kill, how long to wait for the process to be reaped. */
  static final Duration KILL_GRACE = Duration.ofSeconds(10);
  /** Characters of each output stream kept in memory (the tail); the files keep everything. */
  static final int OUTPUT_CHARS_MAX = 1 << 20;

  static final String SOURCE_DIR = "src/test/interop";
  static final String WORK_DIR = "target/interop";
  static final String STAMP_FILE = "node_modules/.veilraft-install-stamp";
  static final List<String> PACKAGE_FILES = List.of("package.json", "package-lock.json");
  /** npm ci of the pinned lock file; see the README next to the scripts for engine-strict. */
  static final List<String> NPM_CI = List.of("ci", "--no-audit", "--no-fund", "--prefer-offline",
      "--engine-strict=false");

  /** npm's error codes and lines when the registry cannot be reached (npm 7 to 11 wording). */
  private static final Pattern REGISTRY_UNREACHABLE = Pattern.compile("(?m)^npm (?:error|ERR!) (?:code (?:E(?:AI_AGAIN|"
      + "CONNREFUSED|CONNRESET|HOSTUNREACH|NETUNREACH|NOTFOUND|TIMEDOUT|NOTCACHED|50[234])|ERR_SOCKET_TIMEOUT)\\b"
      + "|network )");
  private static final Pattern NODE_VERSION = Pattern.compile("v(\\d+)\\.(\\d+)\\.(\\d+)");
  private static final AtomicInteger RUNS = new AtomicInteger();

  private static NodeJs prepared;
  private static String unavailable;

  private final Path node;
  private final Path workDir;
  private final String version;

  private NodeJs(Path node, Path workDir, String version) {
    this.node = node;
    this.workDir = workDir;
    this.version = version;
  }

  /** The module directory: Maven sets {@code basedir}; an IDE usually runs tests from the module. */
  static Path moduleDir() {
    return Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
  }

  /**
   * Node.js with the interop packages installed, ready to {@link #run}; aborts or fails the calling
   * test when that cannot be had (see the class comment). Prepared once per JVM.
   */
  public static synchronized NodeJs prepare() {
    if (prepared != null) {
      return prepared;
    }
    if (unavailable != null) {
      // Only an abort is remembered (a failure under CI is not): the next class skips at once.
      Assumptions.abort(unavailable);
    }
    try {
      prepared = prepare(moduleDir(), System.getenv());
      return prepared;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + WORK_DIR + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while preparing Node.js", e);
    } catch (org.opentest4j.TestAbortedException e) {
      unavailable = e.getMessage();
      throw e;
    }
  }

  static NodeJs prepare(Path moduleDir, Map<String, String> env) throws IOException, InterruptedException {
    Path workDir = moduleDir.resolve(WORK_DIR);
    NodeJs nodeJs = locate(workDir, env);
    String path = env.getOrDefault("PATH", "");
    Path npm = onPath("npm", path).orElse(null);
    if (npm == null) {
      unavailable("npm is not installed: no 'npm' on PATH (" + path + ") next to " + nodeJs.node
          + "; the interop tests install their pinned packages with it", env);
    }
    // Two JVMs (surefire and failsafe, or two builds) may prepare the same directory.
    try (FileChannel channel = FileChannel.open(workDir.resolve(".lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE)) {
      FileLock lock = channel.lock();
      try {
        install(moduleDir, workDir, npm, nodeJs.version, env);
      } finally {
        lock.release();
      }
    }
    return nodeJs;
  }

  /** Copies the scripts to {@code workDir} and runs npm ci there unless the last install matches. */
  private static void install(Path moduleDir, Path workDir, Path npm, String version, Map<String, String> env)
      throws IOException, InterruptedException {
    copySources(moduleDir.resolve(SOURCE_DIR), workDir);
    String stamp = stamp(workDir, version);
    Path stampFile = workDir.resolve(STAMP_FILE);
    if (!Files.isRegularFile(stampFile) || !Files.readString(stampFile).equals(stamp)) {
      Map<String, String> npmEnv = new TreeMap<>(Map.of("npm_config_update_notifier", "false"));
      env.forEach((key, value) -> {
        if (key.startsWith("npm_config_")) {
          npmEnv.put(key, value);
        }
      });
      ProcessRun ci = execute(List.of(npm.toString()), NPM_CI, workDir, npmEnv, NPM_CI_TIMEOUT, "npm-ci");
      if (ci.exitCode() != 0) {
        String reason = ci.timedOut() ? "npm ci did not finish within " + NPM_CI_TIMEOUT : firstErrorLines(ci.stderr());
        if (ci.timedOut() || registryUnreachable(ci.stderr())) {
          unavailable("npm ci cannot reach the npm registry, so the pinned Cashu and Nostr clients cannot be installed ("
              + reason + "); the interop tests need the registry or a warm npm cache", env);
        }
        Assertions.fail("npm ci of " + moduleDir.resolve(SOURCE_DIR).resolve("package-lock.json") + " failed: "
            + ci.describe());
      }
      Files.writeString(stampFile, stamp);
    }
  }

  /**
   * Node.js from the PATH of {@code env}, checked to be new enough, running scripts in {@code
   * workDir} (created); aborts or fails the calling test when there is none (see the class comment).
   * No package is installed: {@link #prepare()} does that.
   */
  static NodeJs locate(Path workDir, Map<String, String> env) throws IOException, InterruptedException {
    String path = env.getOrDefault("PATH", "");
    Path node = onPath("node", path).orElse(null);
    if (node == null) {
      unavailable("Node.js is not installed: no 'node' on PATH (" + path + "); the Cashu and Nostr interop tests need "
          + NODE_MAJOR_MIN + "." + NODE_MINOR_MIN + " or newer", env);
    }
    Files.createDirectories(workDir);
    return new NodeJs(node, workDir, nodeVersion(node, workDir, env));
  }

  /** The Node.js version, e.g. {@code v20.20.2}. */
  public String version() {
    return version;
  }

  /** Where the scripts and their node_modules are. */
  public Path workDir() {
    return workDir;
  }

  /**
   * Runs {@code node <script> <args>} in the work directory with {@code env} added to this JVM's
   * environment; kills it and every process it started after {@code timeout}.
   */
  public ProcessRun run(String script, List<String> args, Map<String, String> env, Duration timeout)
      throws IOException, InterruptedException {
    if (!Files.isRegularFile(workDir.resolve(script))) {
      throw new IllegalArgumentException("no script " + script + " in " + workDir + " (copied from " + SOURCE_DIR + ")");
    }
    List<String> arguments = new ArrayList<>();
    arguments.add(script);
    arguments.addAll(args);
    return execute(List.of(node.toString()), arguments, workDir, env, timeout, script.replaceAll("\\.mjs$", ""));
  }

  /**
   * Runs a command with a bound on time; its output goes to {@code runs/<label>-<n>.stdout|stderr}
   * under {@code dir}. On timeout the whole process tree is killed and the result says so.
   */
  static ProcessRun execute(List<String> command, List<String> args, Path dir, Map<String, String> env, Duration timeout,
      String label) throws IOException, InterruptedException {
    List<String> full = new ArrayList<>(command);
    full.addAll(args);
    Path runs = Files.createDirectories(dir.resolve("runs"));
    String name = label + "-" + RUNS.incrementAndGet();
    Path out = runs.resolve(name + ".stdout");
    Path err = runs.resolve(name + ".stderr");
    ProcessBuilder builder = new ProcessBuilder(full).directory(dir.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().putAll(env);
    long started = System.nanoTime();
    Process process = builder.start();
    boolean timedOut;
    try {
      timedOut = !process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      killTree(process);
      throw e;
    }
    if (timedOut) {
      killTree(process);
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    int exit = process.isAlive() ? -1 : process.exitValue();
    return new ProcessRun(String.join(" ", full), exit, timedOut, timeout, elapsed, tail(out), tail(err));
  }

  /** Kills {@code process} and its descendants, found before the kill so that none is orphaned unseen. */
  static void killTree(Process process) throws InterruptedException {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The first executable file named {@code name} in the directories of {@code path}. */
  static Optional<Path> onPath(String name, String path) {
    for (String dir : path.split(File.pathSeparator)) {
      if (dir.isBlank()) {
        continue;
      }
      Path candidate = Path.of(dir).resolve(name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** True when npm's stderr says the registry could not be reached (as opposed to a bad lock file). */
  static boolean registryUnreachable(String npmStderr) {
    return REGISTRY_UNREACHABLE.matcher(npmStderr).find();
  }

  /**
   * Aborts the calling test with {@code message}, or fails it when {@code env} says this is CI
   * ({@code CI} set and not {@code false}, the house rule of the shared-vector tests). Always throws.
   */
  static void unavailable(String message, Map<String, String> env) {
    String ci = env.get("CI");
    if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
      Assertions.fail(message + "; CI must run the interop tests (CI=" + ci + ")");
    }
    Assumptions.abort(message + " (skipped outside CI; with CI=true this fails)");
  }

  private static String nodeVersion(Path node, Path workDir, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessRun result = execute(List.of(node.toString()), List.of("--version"), workDir, Map.of(), VERSION_TIMEOUT,
        "node-version");
    Matcher m = NODE_VERSION.matcher(result.stdout().strip());
    if (result.exitCode() != 0 || !m.matches()) {
      unavailable("'" + node + " --version' did not print a version: " + result.describe(), env);
    }
    int major = Integer.parseInt(m.group(1));
    int minor = Integer.parseInt(m.group(2));
    if (major < NODE_MAJOR_MIN || major == NODE_MAJOR_MIN && minor < NODE_MINOR_MIN) {
      unavailable("Node.js " + m.group() + " at " + node + " is too old: the interop scripts need " + NODE_MAJOR_MIN
          + "." + NODE_MINOR_MIN + " or newer", env);
    }
    return m.group();
  }

  private static void copySources(Path source, Path workDir) throws IOException {
    if (!Files.isDirectory(source)) {
      throw new IOException("no directory " + source.toAbsolutePath() + " with the interop scripts");
    }
    List<Path> files;
    try (Stream<Path> listing = Files.list(source)) {
      files = listing.filter(Files::isRegularFile).filter(p -> {
        String name = p.getFileName().toString();
        return name.endsWith(".mjs") || PACKAGE_FILES.contains(name);
      }).toList();
    }
    for (String required : PACKAGE_FILES) {
      if (!Files.isRegularFile(source.resolve(required))) {
        throw new IOException("missing " + source.resolve(required).toAbsolutePath());
      }
    }
    for (Path file : files) {
      Files.copy(file, workDir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** What an install depends on: the package files and the Node.js version. */
  private static String stamp(Path workDir, String version) throws IOException {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String file : PACKAGE_FILES) {
        sha.update(Files.readAllBytes(workDir.resolve(file)));
      }
      sha.update(version.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  private static String tail(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    return text.length() <= OUTPUT_CHARS_MAX ? text
        : "[... " + (text.length() - OUTPUT_CHARS_MAX) + " chars cut, see " + file + "]\n"
            + text.substring(text.length() - OUTPUT_CHARS_MAX);
  }

  private static String firstErrorLines(String npmStderr) {
    List<String> lines = npmStderr.lines().filter(l -> l.startsWith("npm error") || l.startsWith("npm ERR!"))
        .limit(3).toList();
    return lines.isEmpty() ? npmStderr.strip() : String.join(" | ", lines);
  }
}
