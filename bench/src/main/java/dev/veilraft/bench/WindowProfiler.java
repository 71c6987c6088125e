package dev.veilraft.bench;

import dev.veilraft.bench.cluster.ServerProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;

/**
 * Profiles every server JVM and this one (the load generator and client) over exactly a measured
 * window, into {@code <tag>-node<i>-<role>.<ext>} and {@code <tag>-client.<ext>} in its directory.
 * A start or a stop is attempted in every JVM even when some fail, so one JVM's failure leaves no
 * other profiling into later windows; the first failure is then thrown with the others suppressed.
 */
abstract class WindowProfiler {
  final Path dir;

  WindowProfiler(Path dir) {
    this.dir = dir;
  }

  /** Starts profiling in a server JVM. */
  abstract void startIn(ServerProcess node, String tag) throws IOException;

  /** Starts profiling in this JVM. */
  abstract void startHere(String tag) throws IOException;

  /** Stops profiling in a server JVM, writing its profile to {@code file}. */
  abstract void stopIn(ServerProcess node, String tag, Path file) throws IOException;

  /** Stops profiling in this JVM, writing its profile to {@code file}. */
  abstract void stopHere(String tag, Path file) throws IOException;

  /** Prints the summary of one of its profiles to {@code out}. */
  abstract void summarize(Path file, PrintStream out) throws IOException;

  /** The file extension of its profiles. */
  abstract String extension();

  final void start(List<ServerProcess> nodes, String tag) throws IOException {
    List<Step> steps = new ArrayList<>();
    nodes.forEach(node -> steps.add(() -> startIn(node, tag)));
    steps.add(() -> startHere(tag));
    everyStep(steps);
  }

  final void stop(List<ServerProcess> nodes, int leader, String tag) throws IOException {
    Files.createDirectories(dir);
    List<Step> steps = new ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      ServerProcess node = nodes.get(i);
      Path file = file(tag, "node" + (i + 1) + "-" + (i == leader ? "leader" : "follower"));
      steps.add(() -> stopIn(node, tag, file));
    }
    steps.add(() -> stopHere(tag, file(tag, "client")));
    everyStep(steps);
  }

  private Path file(String tag, String process) {
    return dir.resolve(tag + "-" + process + "." + extension());
  }

  /** One JVM's part of a start or a stop. */
  private interface Step {
    void run() throws IOException;
  }

  private static void everyStep(List<Step> steps) throws IOException {
    IOException failure = null;
    for (Step step : steps) {
      try {
        step.run();
      } catch (IOException | RuntimeException e) {
        IOException wrapped = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        if (failure == null) {
          failure = wrapped;
        } else {
          failure.addSuppressed(wrapped);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** JFR with its {@code profile} settings, started and stopped with {@code jcmd}; adds safepoint bias and cost. */
  static final class Jfr extends WindowProfiler {
    private Recording client;

    Jfr(Path dir) {
      super(dir);
    }

    @Override
    void startIn(ServerProcess node, String tag) throws IOException {
      node.startRecording(tag);
    }

    @Override
    void startHere(String tag) throws IOException {
      try {
        client = new Recording(Configuration.getConfiguration("profile"));
      } catch (java.text.ParseException e) {
        throw new IOException("JFR's profile settings do not parse: " + e.getMessage(), e);
      }
      client.setName(tag);
      client.start();
    }

    @Override
    void stopIn(ServerProcess node, String tag, Path file) throws IOException {
      node.stopRecording(tag, file);
    }

    @Override
    void stopHere(String tag, Path file) throws IOException {
      if (client != null) {
        try (Recording recording = client) {
          recording.stop();
          recording.dump(file);
        } finally {
          client = null;
        }
      }
    }

    @Override
    void summarize(Path file, PrintStream out) throws IOException {
      JfrTop.print(file, 15, out);
    }

    @Override
    String extension() {
      return "jfr";
    }
  }

  /**
   * async-profiler (the native library of Maven Central's {@code tools.profiler:async-profiler},
   * loaded into each JVM with {@code jcmd JVMTI.agent_load}): CPU samples from perf events with
   * native and kernel frames and the thread of each, no safepoint bias, written as collapsed stacks.
   */
  static final class Async extends WindowProfiler {
    static final String START = "start,event=cpu,interval=1ms,threads";
    private final Path library;

    Async(Path dir, Path library) {
      super(dir);
      checkDirectory(dir);
      this.library = library;
    }

    /** Writes the library for this machine, from the classpath, to a file that is deleted when this JVM exits. */
    static Path extractLibrary() throws IOException {
      String arch = System.getProperty("os.arch");
      String platform = switch (arch) {
        case "amd64", "x86_64" -> "linux-x64";
        case "aarch64" -> "linux-arm64";
        default -> throw new IOException("async-profiler has no library for " + arch + " in this jar");
      };
      if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")) {
        throw new IOException("--async-profiler runs on Linux only (perf events), not on " + System.getProperty("os.name"));
      }
      Path file = Files.createTempFile("veilraft-bench-async-profiler", ".so");
      file.toFile().deleteOnExit();
      try (InputStream in = WindowProfiler.class.getResourceAsStream("/" + platform + "/libasyncProfiler.so")) {
        if (in == null) {
          throw new IOException("async-profiler's " + platform + "/libasyncProfiler.so is not on the classpath");
        }
        Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      }
      return file;
    }

    @Override
    void startIn(ServerProcess node, String tag) throws IOException {
      node.loadAgent(library, START);
    }

    @Override
    void startHere(String tag) throws IOException {
      ServerProcess.loadAgent(ProcessHandle.current().pid(), "this JVM", library, START);
    }

    @Override
    void stopIn(ServerProcess node, String tag, Path file) throws IOException {
      node.loadAgent(library, stop(file));
    }

    @Override
    void stopHere(String tag, Path file) throws IOException {
      ServerProcess.loadAgent(ProcessHandle.current().pid(), "this JVM", library, stop(file));
    }

    private static String stop(Path file) {
      return "stop,file=" + file.toAbsolutePath() + ",collapsed,threads";
    }

    /**
     * async-profiler splits its options at commas and expands {@code %} in file names; jcmd's
     * quoting ends at a double quote. A profile directory with any of them is refused up front.
     */
    static void checkDirectory(Path dir) {
      String path = dir.toAbsolutePath().toString();
      for (char c : new char[] {',', '%', '"'}) {
        if (path.indexOf(c) >= 0) {
          throw new IllegalArgumentException("--async-profiler cannot write to " + path + ": the path holds '" + c
              + "', which async-profiler's options or jcmd cannot carry; choose another --out");
        }
      }
    }

    @Override
    void summarize(Path file, PrintStream out) throws IOException {
      CollapsedTop.print(file, 15, out);
    }

    @Override
    String extension() {
      return "collapsed";
    }
  }
}
