package dev.veilraft.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs the in-JVM simulations listed in {@code simulations.txt} (short, seeded runs of a real
 * cluster under faults and attackers) and requires each to end {@code simulate OK}: every checker
 * passed. The lines with {@code --processes} run in {@link SimulateProcessesIT}, so that the build's
 * two test JVMs run both halves side by side; together the two classes run every line
 * ({@link #simulate} serves both, and gives process-mode runs this module's shaded jar to launch
 * their nodes from). A failure prints the run's whole output, whose replay line reproduces it.
 */
class SimulateIT {
  static final Path SHADED_JAR = Path.of("target", "veilraft-simulator.jar").toAbsolutePath();

  @TempDir static Path root;

  @TestFactory
  Stream<DynamicTest> listedInJvmSimulationsPass() throws IOException {
    // Proves each listed in-JVM run, seeded and replayable, ends with every safety and liveness checker passing.
    return listed(false).stream().map(args -> DynamicTest.dynamicTest(args, () -> simulate(root, args)));
  }

  /** The argument lines of {@code simulations.txt} that run node processes ({@code processes}) or not. */
  static List<String> listed(boolean processes) throws IOException {
    List<String> runs = new ArrayList<>();
    try (InputStream in = SimulateIT.class.getResourceAsStream("/simulations.txt")) {
      assertThat(in).as("simulations.txt on the test class path").isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")
            && Arrays.asList(line.strip().split("\\s+")).contains("--processes") == processes) {
          runs.add(line.strip());
        }
      }
    }
    assertThat(runs).as("simulations.txt lines %s --processes", processes ? "with" : "without").isNotEmpty();
    return runs;
  }

  static void simulate(Path root, String line) throws IOException {
    List<String> args = new ArrayList<>(List.of("simulate"));
    args.addAll(Arrays.asList(line.split("\\s+")));
    Path work = Files.createTempDirectory(root, "run-");
    args.addAll(List.of("--work-dir", work.toString(), "--report", work.resolve("report").toString()));
    if (args.contains("--processes")) {
      assertThat(SHADED_JAR).as("the shaded jar is built in the package phase").exists();
      args.addAll(List.of("--node-jar", SHADED_JAR.toString()));
    }
    StringWriter out = new StringWriter();
    CommandLine cli = SimulatorMain.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    int code = cli.execute(args.toArray(String[]::new));
    String output = out.toString();
    String[] lines = output.strip().split("\n");
    String last = lines[lines.length - 1];
    assertThat(last).as("last line of:%n%s", output).startsWith("simulate OK seed=");
    assertThat(code).as("exit code; output:%n%s", output).isZero();
    assertThat(output).contains("replay: veilraft simulate");
    assertThat(work.resolve("report").resolve("report.html")).exists();
    assertThat(work.resolve("report").resolve("latency.png")).exists();
    assertThat(work.resolve("history.jsonl")).isNotEmptyFile();
  }
}
