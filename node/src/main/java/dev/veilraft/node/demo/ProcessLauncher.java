package dev.veilraft.node.demo;

import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.Await;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.cli.Main;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs each demo node as its own JVM from the veilraft jar, as an operator would. */
final class ProcessLauncher implements NodeLauncher {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
  private static final List<String> JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC");

  private final Path jar;
  private final Path root;

  ProcessLauncher(Path jar, Path root) {
    this.jar = jar;
    this.root = root;
  }

  /** The jar this process runs from, if it runs from one. */
  static Optional<Path> runningJar() {
    try {
      Path path = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  /** The measurement a node launched from {@code jar} reports: the children get no code-affecting JVM options. */
  static byte[] measurementOf(Path jar) throws IOException {
    return CodeMeasurement.ofJar(jar, List.of());
  }

  private static final class ChildNode implements Handle {
    private final Process process;
    private final Map<String, String> ready;

    ChildNode(Process process, Map<String, String> ready) {
      this.process = process;
      this.ready = ready;
    }

    @Override
    public String nodeId() {
      return ready.get("node");
    }

    @Override
    public String measurementHex() {
      return ready.get("measurement");
    }

    @Override
    public long epoch() {
      return Long.parseLong(ready.get("epoch"));
    }

    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public Handle start(String name, NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException {
    Process process = launch(jar, name, configFile, peer);
    String line = awaitOutcome(process, root.resolve(name + ".log"));
    if (!line.startsWith("READY ")) {
      process.destroyForcibly();
      throw new DemoException(name + " did not start: " + line);
    }
    return new ChildNode(process, fields(line));
  }

  @Override
  public String startRogue(NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException {
    Path altered = root.resolve("rogue").resolve("veilraft-altered.jar");
    try {
      Files.createDirectories(altered.getParent());
      Files.copy(jar, altered, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      // One added file is enough: the launch measurement covers every byte of the jar.
      try (FileSystem zip = FileSystems.newFileSystem(altered)) {
        Files.writeString(zip.getPath("META-INF", "veilraft-rogue-patch.txt"), "a backdoor would go here\n");
      }
    } catch (IOException e) {
      throw new DemoException("cannot build the altered jar: " + e.getMessage());
    }
    Process process = launch(altered, "rogue", configFile, peer);
    String line = awaitOutcome(process, root.resolve("rogue.log"));
    if (line.startsWith("READY ")) {
      new ChildNode(process, fields(line)).close();
      throw new DemoException("a node built from altered code was admitted");
    }
    process.destroyForcibly();
    return line.startsWith("FAILED ") ? line.substring("FAILED ".length()) : line;
  }

  private Process launch(Path codeJar, String name, Path configFile, URI peer) throws DemoException {
    List<String> command = new ArrayList<>();
    command.add(javaExecutable());
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-cp", codeJar.toString(), Main.class.getName(), "node"));
    command.addAll(peer == null ? List.of("start", "--config", configFile.toString())
        : List.of("join", "--config", configFile.toString(), "--peer", peer.toString()));
    try {
      return new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(root.resolve(name + ".log").toFile()).start();
    } catch (IOException e) {
      throw new DemoException("cannot launch " + name + ": " + e.getMessage());
    }
  }

  /** Waits for the node's READY or FAILED line, or for it to exit. */
  private static String awaitOutcome(Process process, Path log) throws DemoException, InterruptedException {
    String[] outcome = new String[1];
    boolean done = Await.until(() -> {
      outcome[0] = lastStatusLine(log);
      return outcome[0] != null || !process.isAlive();
    }, START_TIMEOUT);
    if (outcome[0] == null) {
      outcome[0] = lastStatusLine(log);
    }
    if (outcome[0] != null) {
      return outcome[0];
    }
    throw new DemoException((done ? "exited with " + process.exitValue() : "no answer within " + START_TIMEOUT)
        + "; see " + log);
  }

  private static String lastStatusLine(Path log) {
    try {
      if (!Files.exists(log)) {
        return null;
      }
      return Files.readAllLines(log).stream().filter(l -> l.startsWith("READY ") || l.startsWith("FAILED "))
          .reduce((a, b) -> b).orElse(null);
    } catch (IOException e) {
      return null;
    }
  }

  private static Map<String, String> fields(String readyLine) {
    Map<String, String> map = new java.util.HashMap<>();
    for (String part : readyLine.split(" ")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        map.put(part.substring(0, eq), part.substring(eq + 1));
      }
    }
    return map;
  }

  private static String javaExecutable() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }
}
