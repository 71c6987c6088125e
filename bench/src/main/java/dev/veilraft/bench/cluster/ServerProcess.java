package dev.veilraft.bench.cluster;

import dev.veilraft.node.Await;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One server process a benchmark launched (a JVM, or etcd): its log, its status line (for JVMs,
 * the first line starting with {@code READY } or {@code FAILED }), its CPU time and memory as the
 * operating system reports them, and for JVMs the heap, a JFR recording and JVMTI agents (a
 * profiler) through {@code jcmd}.
 */
public final class ServerProcess implements AutoCloseable {
  /** How long a server JVM has to print its status line. */
  public static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration JCMD_TIMEOUT = Duration.ofSeconds(60);
  /** A generation or heap line of {@code GC.heap_info} ("def new generation total 78656K, used 6123K"); metaspace lines have no total. */
  private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

  private final String name;
  private final Process process;
  private final Path log;

  private ServerProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** The java executable this JVM runs (children run the same JDK). */
  public static String javaExecutable() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /** Starts {@code java jvmOptions -cp classPath mainClass arguments}, output to {@code log}. */
  public static ServerProcess launch(String name, List<String> jvmOptions, Path classPath, String mainClass,
      List<String> arguments, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", classPath.toString(), mainClass));
    command.addAll(arguments);
    return launch(name, command, log);
  }

  /** Starts any {@code command}, output to {@code log}. */
  public static ServerProcess launch(String name, List<String> command, Path log) throws IOException {
    Files.createDirectories(log.getParent());
    Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    return new ServerProcess(name, process, log);
  }

  /** Waits until {@code ready} holds; throws when the process exits first or the start timeout passes. */
  public void awaitReady(java.util.function.BooleanSupplier ready) throws IOException, InterruptedException {
    boolean done = Await.until(() -> ready.getAsBoolean() || !process.isAlive(), START_TIMEOUT);
    if (!done || !process.isAlive()) {
      throw new IOException(name + " did not start: " + (done ? "exited with " + process.exitValue()
          : "not ready within " + START_TIMEOUT) + "; see " + log);
    }
  }

  public String name() {
    return name;
  }

  public long pid() {
    return process.pid();
  }

  public Path log() {
    return log;
  }

  /**
   * Waits for the status line and returns it when it starts with {@code READY }; throws with the
   * line (or the reason there is none) otherwise.
   */
  public String awaitReady() throws IOException, InterruptedException {
    String[] line = new String[1];
    boolean done = Await.until(() -> {
      line[0] = statusLine();
      return line[0] != null || !process.isAlive();
    }, START_TIMEOUT);
    if (line[0] == null) {
      line[0] = statusLine();
    }
    if (line[0] != null && line[0].startsWith("READY ")) {
      return line[0];
    }
    throw new IOException(name + " did not start: " + (line[0] != null ? line[0]
        : done ? "exited with " + process.exitValue() : "no status line within " + START_TIMEOUT) + "; see " + log);
  }

  private String statusLine() {
    try {
      if (!Files.exists(log)) {
        return null;
      }
      for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
        if (l.startsWith("READY ") || l.startsWith("FAILED ")) {
          return l;
        }
      }
      return null;
    } catch (IOException | java.io.UncheckedIOException e) {
      return null;
    }
  }

  /** Its CPU, kernel, compiler and context-switch counters so far ({@link ProcCounters}). */
  public ProcCounters counters() {
    return ProcCounters.of(pid());
  }

  /** Resident set size from /proc; empty where there is no /proc. */
  public Optional<Long> rssBytes() {
    try {
      for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
        if (l.startsWith("VmRSS:")) {
          return Optional.of(Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * Heap in use after a full collection ({@code jcmd GC.run}, then the sum over the generations of
   * {@code GC.heap_info}); empty when jcmd fails.
   */
  public Optional<Long> heapUsedAfterGcBytes() {
    try {
      jcmd("GC.run");
      Matcher m = HEAP_USED.matcher(jcmd("GC.heap_info"));
      long usedKb = 0;
      boolean found = false;
      while (m.find()) {
        usedKb += Long.parseLong(m.group(1));
        found = true;
      }
      return found ? Optional.of(usedKb * 1024) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Starts a JFR recording (profile settings) in this JVM. */
  public void startRecording(String recordingName) throws IOException {
    jcmd("JFR.start", "name=" + recordingName, "settings=profile");
  }

  /** Stops the recording and writes it to {@code file}. */
  public void stopRecording(String recordingName, Path file) throws IOException {
    jcmd("JFR.stop", "name=" + recordingName, "filename=" + file.toAbsolutePath());
  }

  /**
   * Loads the JVMTI agent {@code library} into this JVM with {@code options} ({@code jcmd
   * JVMTI.agent_load}); an agent loaded again receives the new options (async-profiler: start,
   * then stop).
   */
  public void loadAgent(Path library, String options) throws IOException {
    loadAgent(pid(), name, library, options);
  }

  /** {@link #loadAgent(Path, String)} for any JVM, this one included; {@code name} is for messages. */
  public static void loadAgent(long pid, String name, Path library, String options) throws IOException {
    // jcmd splits its argument line at spaces and reads key=value pairs: both need quotes.
    String answer = jcmd(pid, name, "JVMTI.agent_load", "\"" + library.toAbsolutePath() + "\"", "\"" + options + "\"");
    if (!answer.contains("return code: 0")) { // jcmd itself succeeds when the agent refuses its options
      throw new IOException("the agent " + library.getFileName() + " refused '" + options + "' in " + name + ": "
          + answer.strip());
    }
  }

  private String jcmd(String... command) throws IOException {
    return jcmd(pid(), name, command);
  }

  private static String jcmd(long pid, String name, String... command) throws IOException {
    List<String> args = new ArrayList<>();
    args.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    args.add(Long.toString(pid));
    args.addAll(List.of(command));
    // Output to a file, not a pipe: reading a pipe to its end would wait for a hung jcmd forever.
    Path output = Files.createTempFile("veilraft-bench-jcmd", ".txt");
    Process jcmd = new ProcessBuilder(args).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    try {
      if (!jcmd.waitFor(JCMD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        jcmd.destroyForcibly();
        throw new IOException("jcmd " + String.join(" ", command) + " on " + name + " did not finish within "
            + JCMD_TIMEOUT.toSeconds() + " s");
      }
      String out = Files.readString(output, StandardCharsets.UTF_8);
      if (jcmd.exitValue() != 0) {
        throw new IOException("jcmd " + String.join(" ", command) + " on " + name + " failed: " + out.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      jcmd.destroyForcibly();
      throw new IOException("interrupted while running jcmd on " + name, e);
    } finally {
      Files.deleteIfExists(output);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
