package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's demo command, run as a newcomer runs it: the packaged jar, one JVM per node. Its
 * last line must be "demo OK ..." in the documented format, and a rogue node must be refused.
 */
class DemoIT {
  private static final long DEMO_TIMEOUT_SECONDS = 300;

  @Test
  void demoFromThePackagedJarEndsWithDemoOk(@TempDir Path work) throws Exception {
    // The self-contained jar runs the whole demo and prints the documented final line.
    Path jar = Path.of("target", "veilraft.jar").toAbsolutePath();
    assertThat(jar).as("the shaded jar is built in the package phase").exists();
    Path output = work.resolve("demo.out");
    Process demo = new ProcessBuilder(javaExecutable(), "-jar", jar.toString(), "demo", "--events", "100",
        "--work-dir", work.resolve("cluster").toString())
        .redirectErrorStream(true).redirectOutput(output.toFile()).start();
    boolean finished = demo.waitFor(DEMO_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!finished) {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    List<String> lines = Files.readAllLines(output);
    String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    assertThat(finished).as("demo finished within %d s; output:%n%s", DEMO_TIMEOUT_SECONDS, String.join("\n", lines)).isTrue();
    assertThat(last).as("last line; output:%n%s", String.join("\n", lines))
        .matches("demo OK nodes=3 epoch=[0-9]+ events=100 ops_per_s=[0-9]+(\\.[0-9]+)?");
    assertThat(demo.exitValue()).isZero();
    assertThat(lines).anyMatch(l -> l.startsWith("rogue") && l.contains("MEASUREMENT_NOT_ALLOWED"));
    assertThat(lines).anyMatch(l -> l.startsWith("disk scan") && l.contains("no plaintext"));
  }

  private static String javaExecutable() throws IOException {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
