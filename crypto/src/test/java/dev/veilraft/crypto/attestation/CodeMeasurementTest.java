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
    List<String> arguments = CodeMeasurement.launchConfig(ManagementFactory.getRuntimeMXBean().getInputArguments());

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

  @Test
  void classDataSharingAndOptionFilesCountAndTheFilesTheyNameAreHashed() throws Exception {
    // Proves CDS archives, -Xshare, option files and upgraded modules are kept, and an altered archive or agent changes the config.
    Path archive = Files.write(dir.resolve("app.jsa"), new byte[] {1, 2, 3});
    Path agent = Files.write(dir.resolve("agent.jar"), new byte[] {4});
    List<String> arguments = List.of("-Xmx1g", "-XX:SharedArchiveFile=" + archive, "-Xshare:on",
        "-XX:ArchiveClassesAtExit=/tmp/out.jsa", "-XX:Flags=/etc/none", "-XX:VMOptionsFile=/etc/opts",
        "--upgrade-module-path=/u", "-javaagent:" + agent + "=verbose", "-XX:+UseZGC");

    assertThat(CodeMeasurement.codeAffectingArguments(arguments)).containsExactly("-XX:SharedArchiveFile=" + archive,
        "-Xshare:on", "-XX:ArchiveClassesAtExit=/tmp/out.jsa", "-XX:Flags=/etc/none", "-XX:VMOptionsFile=/etc/opts",
        "--upgrade-module-path=/u", "-javaagent:" + agent + "=verbose");
    List<String> config = CodeMeasurement.launchConfig(arguments);
    assertThat(config).containsExactly("-XX:SharedArchiveFile=" + archive,
        "sha384:" + archive + "=" + Hashes.hex(Hashes.sha384(new byte[] {1, 2, 3})), "-Xshare:on",
        "-XX:ArchiveClassesAtExit=/tmp/out.jsa", "-XX:Flags=/etc/none", "absent:/etc/none",
        "-XX:VMOptionsFile=/etc/opts", "absent:/etc/opts", "--upgrade-module-path=/u", "absent:/u",
        "-javaagent:" + agent + "=verbose", "sha384:" + agent + "=" + Hashes.hex(Hashes.sha384(new byte[] {4})));

    Files.write(archive, new byte[] {1, 2, 4});
    assertThat(CodeMeasurement.launchConfig(arguments)).isNotEqualTo(config);
    Files.write(archive, new byte[] {1, 2, 3});
    Files.write(agent, new byte[] {5});
    assertThat(CodeMeasurement.launchConfig(arguments)).isNotEqualTo(config);
  }

  @Test
  void pathListsAndPatchedModulesNameEachFile() {
    // Proves boot class path and patch-module lists are split into their files, and options after an agent path are not a file.
    assertThat(CodeMeasurement.filesRead("-Xbootclasspath/a:/a.jar:/b")).containsExactly("/a.jar", "/b");
    assertThat(CodeMeasurement.filesRead("--patch-module=java.base=/p1:/p2")).containsExactly("/p1", "/p2");
    assertThat(CodeMeasurement.filesRead("-agentpath:/lib/a.so=opt=1")).containsExactly("/lib/a.so");
    assertThat(CodeMeasurement.filesRead("-XX:SharedArchiveFile=/base.jsa:/top.jsa")).containsExactly("/base.jsa",
        "/top.jsa");
    assertThat(CodeMeasurement.filesRead("-agentlib:jdwp=transport=dt_socket")).isEmpty();
    assertThat(CodeMeasurement.filesRead("-Xshare:off")).isEmpty();
  }
}
