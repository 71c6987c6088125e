package dev.veilraft.node.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker/Dockerfile and its scripts, checked without a Docker engine: the build stage makes the
 * node jar with the documented Maven command, the runtime stage runs it as a non-root user with a
 * health check, and every script the image copies exists, is executable and is valid POSIX sh.
 * (MultiHostIT runs the same scripts against the same jar on real network namespaces.)
 */
class DockerfileTest {
  /** Scripts the image's instructions and compose.yaml call by name. */
  static final List<String> IMAGE_COMMANDS = List.of("veilraft", "veilraft-node", "veilraft-setup-simulated",
      "veilraft-healthcheck");
  private static final Duration SYNTAX_CHECK_TIMEOUT = Duration.ofSeconds(30);

  private static Path dockerDir;
  private static ParsedDockerfile dockerfile;

  @BeforeAll
  static void read() throws IOException {
    dockerDir = HostCommands.dockerDir();
    dockerfile = ParsedDockerfile.read(dockerDir.resolve("Dockerfile"));
  }

  @Test
  void buildStageMakesTheNodeJarWithMavenOnJdk17() {
    // Stage 0 is a Maven image on JDK 17 (the jar's Build-Jdk-Spec, part of its measurement) that packages the
    // node module and its dependencies, and measures the jar it built.
    List<ParsedDockerfile.Instruction> froms = dockerfile.all("FROM");
    assertThat(froms).hasSizeGreaterThanOrEqualTo(2);
    String buildImage = dockerfile.expand(froms.get(0).arguments());
    assertThat(buildImage).containsIgnoringCase("maven").contains("17").endsWith(" AS build");
    String build = String.join(" ", dockerfile.inStage(0, "RUN").stream().map(ParsedDockerfile.Instruction::arguments)
        .toList());
    assertThat(build).contains("mvn ").contains(" package").contains("-pl node -am").contains("umask 022")
        .contains("node/target/veilraft.jar").contains("measure");
  }

  @Test
  void runtimeStageRunsTheJarOnAJreAsANonRootUser() {
    // The final stage starts from a JRE image, copies only the build stage's output and the scripts, and drops
    // to a numeric non-root user (numeric, so Kubernetes' runAsNonRoot can check it).
    String runtimeImage = dockerfile.expand(dockerfile.finalStage("FROM").orElseThrow().arguments());
    assertThat(runtimeImage).containsIgnoringCase("jre").doesNotContainIgnoringCase("maven");
    assertThat(dockerfile.inStage(dockerfile.lastStage(), "COPY")).extracting(ParsedDockerfile.Instruction::arguments)
        .anyMatch(a -> a.startsWith("--from=build "))
        .anyMatch(a -> a.contains("docker/bin/"));
    String user = dockerfile.finalStage("USER").orElseThrow().arguments();
    assertThat(user).matches("[0-9]+(:[0-9]+)?");
    assertThat(user.split(":")[0]).isNotEqualTo("0");
  }

  @Test
  void healthCheckAndEntrypointAreScriptsOfTheImage() {
    // The HEALTHCHECK probes the API through the image's probe script, and the entrypoint is the node runner; both
    // exist in docker/bin, which the image puts on PATH.
    String healthcheck = dockerfile.finalStage("HEALTHCHECK").orElseThrow().arguments();
    assertThat(healthcheck).contains("--interval=").contains("--timeout=").contains("--start-period=")
        .contains("CMD [\"veilraft-healthcheck\"]");
    assertThat(dockerfile.finalStage("ENTRYPOINT").orElseThrow().arguments()).isEqualTo("[\"veilraft-node\"]");
    assertThat(dockerfile.finalStage("ENV").orElseThrow().arguments()).contains("PATH=/opt/veilraft/bin:$PATH");
    for (String command : IMAGE_COMMANDS) {
      assertThat(dockerDir.resolve("bin").resolve(command)).as("docker/bin/%s", command).isRegularFile();
    }
  }

  @Test
  void scriptsAreExecutablePosixShell() throws IOException {
    // Every script under docker/bin is executable (MultiHostIT runs them from the checkout), starts with #!/bin/sh
    // (the slim image may have no bash) and passes 'sh -n'.
    Optional<Path> sh = HostCommands.executable("sh");
    try (Stream<Path> files = Files.list(dockerDir.resolve("bin"))) {
      for (Path script : files.sorted().toList()) {
        boolean library = script.getFileName().toString().endsWith(".sh");
        if (!library) {
          assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
          assertThat(Files.readAllLines(script).get(0)).as("%s shebang", script).isEqualTo("#!/bin/sh");
        }
        if (sh.isPresent()) {
          HostCommands.Result check = HostCommands.run(List.of(sh.get().toString(), "-n", script.toString()), Map.of(),
              SYNTAX_CHECK_TIMEOUT);
          assertThat(check.ok()).as("sh -n %s: %s", script, check.output()).isTrue();
        }
      }
    }
  }

  @Test
  void buildContextLeavesBuildOutputsOut() throws IOException {
    // The image's jar comes from the sources alone: target directories (a developer's stale jars) and the git
    // directory are not part of the build context.
    List<String> ignored = Files.readAllLines(dockerDir.resolve("Dockerfile.dockerignore"));
    assertThat(ignored).contains("**/target", ".git");
  }
}
