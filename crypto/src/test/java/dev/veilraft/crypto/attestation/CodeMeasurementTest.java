package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodeMeasurementTest {
  @TempDir Path dir;

  @Test
  void jarMeasurementFollowsTheDocumentedFormula() throws Exception {
    // Proves ofJar = SHA-384(label || SHA-384(jar) || SHA-384(u64 len || arg ...)), so others can recompute it.
    byte[] jarBytes = Hashes.utf8("PK fake jar bytes");
    Path jar = Files.write(dir.resolve("node.jar"), jarBytes);
    String agent = "-javaagent:/opt/agent.jar";
    List<String> config = List.of(agent);

    byte[] launch = Hashes.sha384(Hashes.u64(agent.length()), Hashes.utf8(agent));
    byte[] expected = Hashes.sha384(Hashes.utf8("veilraft/sim-measurement/v1"), Hashes.sha384(jarBytes), launch);
    assertThat(CodeMeasurement.ofJar(jar, config)).hasSize(CodeMeasurement.BYTES).isEqualTo(expected);
  }

  @Test
  void anyChangeToTheJarOrLaunchConfigChangesTheMeasurement() throws Exception {
    // Proves altered code or an added agent yields another measurement, while the same inputs give the same one.
    Path jar = Files.write(dir.resolve("node.jar"), new byte[] {1, 2, 3});
    byte[] base = CodeMeasurement.ofJar(jar, List.of());

    assertThat(CodeMeasurement.ofJar(jar, List.of())).isEqualTo(base);
    assertThat(CodeMeasurement.ofJar(jar, List.of("-javaagent:evil.jar"))).isNotEqualTo(base);
    assertThat(CodeMeasurement.ofJar(jar, List.of("-javaagent:a", "b"))).isNotEqualTo(
        CodeMeasurement.ofJar(jar, List.of("-javaagent:ab")));
    Files.write(jar, new byte[] {1, 2, 4});
    assertThat(CodeMeasurement.ofJar(jar, List.of())).isNotEqualTo(base);
  }

  @Test
  void onlyCodeAffectingJvmArgumentsAreKept() {
    // Proves agents, patched modules, boot class path and class loader count, while heap or GC flags do not.
    List<String> arguments = List.of("-Xmx1g", "-javaagent:/x.jar", "-XX:+UseG1GC", "--patch-module=java.base=/p",
        "-agentlib:jdwp=transport=dt_socket", "-agentpath:/lib.so", "-Djava.system.class.loader=Evil",
        "-Dlogback.configurationFile=x", "-Xbootclasspath/a:/y");

    assertThat(CodeMeasurement.codeAffectingArguments(arguments)).containsExactly("-javaagent:/x.jar",
        "--patch-module=java.base=/p", "-agentlib:jdwp=transport=dt_socket", "-agentpath:/lib.so",
        "-Djava.system.class.loader=Evil", "-Xbootclasspath/a:/y");
  }

  @Test
  void aClassDirectoryIsHashedByRelativePathAndContent() throws Exception {
    // Proves directory hashing ignores creation order but notices renamed, changed or added files.
    Path a = Files.createDirectories(dir.resolve("a/dev"));
    Path b = Files.createDirectories(dir.resolve("b/dev"));
    Files.write(a.resolve("X.class"), new byte[] {1});
    Files.write(a.resolve("Y.class"), new byte[] {2});
    Files.write(b.resolve("Y.class"), new byte[] {2});
    Files.write(b.resolve("X.class"), new byte[] {1});
    byte[] digest = CodeMeasurement.codeSha384(dir.resolve("a"));

    assertThat(CodeMeasurement.codeSha384(dir.resolve("b"))).isEqualTo(digest);
    Files.move(b.resolve("Y.class"), b.resolve("Z.class"));
    assertThat(CodeMeasurement.codeSha384(dir.resolve("b"))).isNotEqualTo(digest);
    Files.write(a.resolve("Y.class"), new byte[] {3});
    assertThat(CodeMeasurement.codeSha384(dir.resolve("a"))).isNotEqualTo(digest);
  }

  @Test
  void runningCodeIsMeasuredFromTheAnchorsCodeSourceAndCached() throws Exception {
    // Proves ofRunningCode measures the anchor's class directory with this JVM's code-affecting arguments.
    Path testClasses = Path.of(CodeMeasurementTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<String> arguments = CodeMeasurement.codeAffectingArguments(
        ManagementFactory.getRuntimeMXBean().getInputArguments());

    byte[] first = CodeMeasurement.ofRunningCode(CodeMeasurementTest.class);
    assertThat(first).hasSize(CodeMeasurement.BYTES)
        .isEqualTo(CodeMeasurement.of(CodeMeasurement.codeSha384(testClasses), arguments));
    assertThat(CodeMeasurement.ofRunningCode(SnpReportTest.class)).isEqualTo(first);
  }

  @Test
  void unmeasurableCodeIsAnIoError() {
    // Proves a missing jar and a JDK class without a code source fail with a message instead of a bogus value.
    assertThatThrownBy(() -> CodeMeasurement.ofJar(dir.resolve("missing.jar"), List.of()))
        .isInstanceOf(IOException.class).hasMessageContaining("missing.jar");
    assertThatThrownBy(() -> CodeMeasurement.ofRunningCode(String.class))
        .isInstanceOf(IOException.class).hasMessageContaining("java.lang.String");
  }
}
