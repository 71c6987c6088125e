package dev.veilraft.node.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code veilraft measure [JAR]}, as the deployment scripts call it: the jar as a parameter or
 * with {@code --jar}, printing the measurement of a node started as {@code java -jar JAR}.
 */
class MeasureCommandTest {
  /** One run of the command: exit code, standard output, standard error. */
  record Run(int exit, String out, String err) {}

  @Test
  void jarParameterAndJarOptionPrintTheMeasurementOfANodeStartedFromIt(@TempDir Path dir) throws Exception {
    // 'measure JAR' and 'measure --jar JAR' both print the launch measurement with an empty launch config.
    Path jar = dir.resolve("veilraft.jar");
    Files.write(jar, Hashes.utf8("stand-in for a jar: the measurement hashes the file's bytes"));
    String expected = Hashes.hex(CodeMeasurement.ofJar(jar, List.of()));
    Run positional = run("measure", jar.toString());
    Run option = run("measure", "--jar", jar.toString());
    assertThat(positional.exit()).as(positional.err()).isZero();
    assertThat(positional.out().strip()).isEqualTo(expected);
    assertThat(option.exit()).as(option.err()).isZero();
    assertThat(option.out().strip()).isEqualTo(expected);
  }

  @Test
  void jarGivenTwiceIsBadUsage(@TempDir Path dir) throws Exception {
    // Giving the jar both ways is refused as bad usage (exit 2) with a message saying so.
    Path jar = dir.resolve("veilraft.jar");
    Files.writeString(jar, "x");
    Run both = run("measure", jar.toString(), "--jar", jar.toString());
    assertThat(both.exit()).isEqualTo(2);
    assertThat(both.err()).contains("either JAR or --jar");
  }

  @Test
  void missingJarFailsNamingIt(@TempDir Path dir) {
    // A jar that does not exist fails (exit 1) with its path named.
    Path missing = dir.resolve("absent.jar");
    Run run = run("measure", missing.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains(missing.toString()).contains("not a regular file");
  }

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    StringWriter err = new StringWriter();
    PrintStream previous = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      CommandLine cli = new CommandLine(new Main());
      cli.setErr(new PrintWriter(err, true));
      int exit = cli.execute(args);
      return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString());
    } finally {
      System.setOut(previous);
    }
  }
}
