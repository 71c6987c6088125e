package dev.veilraft.node.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.veilraft.node.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker/compose.yaml, checked without a Docker engine: parsed as YAML and held against the node
 * configurations it mounts (each parsed with {@link NodeConfig#parse}) and against the Dockerfile,
 * so a renamed path, port, volume or user fails here rather than in someone's 'docker compose up'.
 * Where a compose client is installed, it validates the file as well.
 */
class ComposeFileTest {
  static final List<String> NODES = List.of("node1", "node2", "node3");
  static final String FOUNDER = "node1";
  static final String SETUP = "setup";
  private static final Duration COMPOSE_CONFIG_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private static Path dockerDir;
  private static JsonNode services;

  /** One entry of a service's 'volumes': a named volume or a bind-mounted path ('./...'). */
  record Mount(String source, String target, boolean readOnly) {
    boolean bind() {
      return source.startsWith(".") || source.startsWith("/");
    }

    static Mount parse(String spec) {
      String[] parts = spec.split(":");
      assertThat(parts.length).as("volume '%s' is source:target[:mode]", spec).isBetween(2, 3);
      return new Mount(parts[0], parts[1], parts.length == 3 && parts[2].equals("ro"));
    }
  }

  @BeforeAll
  static void parse() throws IOException {
    dockerDir = HostCommands.dockerDir();
    services = YAML.readTree(dockerDir.resolve("compose.yaml").toFile()).get("services");
  }

  @Test
  void definesOneSetupServiceAndThreeNodes() {
    // The file runs the documented topology: a one-shot setup and three nodes, nothing else.
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactlyInAnyOrder(SETUP, "node1", "node2", "node3");
  }

  @Test
  void eachNodeRunsAValidConfigurationThatNamesItsOwnService() throws Exception {
    // Every node's mounted configuration parses as a NodeConfig on the simulated platform and binds and
    // advertises its own service name, on the ports its health check and published port use.
    for (String node : NODES) {
      JsonNode service = services.get(node);
      NodeConfig config = nodeConfig(node);
      assertThat(config.platform()).isEqualTo(NodeConfig.PLATFORM_SIMULATED);
      assertThat(service.path("hostname").asText()).isEqualTo(node);
      assertThat(config.api().host()).as("%s api.host", node).isEqualTo(node);
      assertThat(config.raft().host()).as("%s raft.host", node).isEqualTo(node);
      assertThat(env(service, "VEILRAFT_HEALTH_URL")).isEqualTo("https://" + config.api().address() + "/healthz");
      assertThat(texts(service.get("ports"))).singleElement(InstanceOfAssertFactories.STRING)
          .matches("127\\.0\\.0\\.1:[0-9]+:" + config.api().port());
    }
  }

  @Test
  void eachNodeWritesOnlyItsOwnVolumeAndReadsTheGenesisReadOnly() throws Exception {
    // A node's data directory is its own named volume, read-write; the genesis and the simulated vendor come
    // from the shared cluster volume, read-only; no node sees the operators' keys or another node's data.
    for (String node : NODES) {
      NodeConfig config = nodeConfig(node);
      List<Mount> mounts = mounts(services.get(node));
      Mount data = mountOf(mounts, config.dataDir()).orElseThrow();
      assertThat(data).isEqualTo(new Mount(node + "-data", config.dataDir().toString(), false));
      assertThat(config.endorsementFile().startsWith(config.dataDir())).as("%s endorsement in its data volume", node).isTrue();
      Mount genesis = mountOf(mounts, config.genesis()).orElseThrow();
      assertThat(genesis.source()).isEqualTo("cluster");
      assertThat(genesis.readOnly()).as("%s mounts the cluster volume read-only", node).isTrue();
      assertThat(mountOf(mounts, config.simulated().vendorDir())).contains(genesis);
      assertThat(mounts).extracting(Mount::source).doesNotContain("operators")
          .allMatch(source -> !source.endsWith("-data") || source.equals(node + "-data"));
    }
  }

  @Test
  void setupPreparesEachNodeWhereTheNodeLooksForIt() throws Exception {
    // The one-shot setup mounts every node's configuration and data volume at the paths the node uses, so the
    // keys it creates and the endorsements it writes are the ones the node finds; it alone holds operator keys.
    JsonNode setup = services.get(SETUP);
    List<Mount> mounts = mounts(setup);
    List<String> configs = Arrays.asList(env(setup, "VEILRAFT_NODE_CONFIGS").split("\\s+"));
    assertThat(configs).hasSize(NODES.size());
    for (int i = 0; i < NODES.size(); i++) {
      String node = NODES.get(i);
      Mount nodeConfigMount = configMount(node);
      String setupConfig = configs.get(i);
      Mount setupConfigMount = mounts.stream().filter(m -> m.target().equals(setupConfig)).findFirst().orElseThrow();
      assertThat(setupConfigMount.source()).as("setup's config %d is %s's", i + 1, node)
          .isEqualTo(nodeConfigMount.source());
      NodeConfig config = nodeConfig(node);
      assertThat(mountOf(mounts, config.dataDir())).contains(new Mount(node + "-data", config.dataDir().toString(), false));
    }
    assertThat(mounts).extracting(Mount::source).contains("cluster", "operators");
    assertThat(mounts.stream().filter(m -> !m.bind())).noneMatch(Mount::readOnly);
    assertThat(texts(setup.get("entrypoint"))).containsExactly("veilraft-setup-simulated");
    assertThat(env(setup, "VEILRAFT_OPERATORS").split("\\s+")).hasSize(3);
    int threshold = Integer.parseInt(env(setup, "VEILRAFT_THRESHOLD"));
    assertThat(threshold).as("a majority of the three operators governs").isEqualTo(2);
    assertThat(env(setup, "VEILRAFT_CHOWN")).isEqualTo(services.get(FOUNDER).path("user").asText());
    assertThat(setup.path("healthcheck").path("disable").asBoolean()).isTrue();
    assertThat(setup.path("restart").asText()).isEqualTo("no");
  }

  @Test
  void joinersJoinThroughTheFounderOnceItIsHealthy() throws Exception {
    // node1 founds the cluster (no peer); node2 and node3 join through node1's API and start only after the
    // setup finished and node1 is healthy.
    String founderApi = "https://" + nodeConfig(FOUNDER).api().address();
    for (String node : NODES) {
      JsonNode service = services.get(node);
      JsonNode dependsOn = service.get("depends_on");
      assertThat(dependsOn.path(SETUP).path("condition").asText()).isEqualTo("service_completed_successfully");
      if (node.equals(FOUNDER)) {
        assertThat(service.path("environment").has("VEILRAFT_PEER")).isFalse();
      } else {
        assertThat(env(service, "VEILRAFT_PEER")).isEqualTo(founderApi);
        assertThat(dependsOn.path(FOUNDER).path("condition").asText()).isEqualTo("service_healthy");
      }
    }
  }

  @Test
  void nodesRunAsTheImagesNonRootUserAndAreHealthChecked() throws Exception {
    // Every node runs as the Dockerfile's non-root user, under an init process, restarts on failure, and is
    // health-checked with the image's probe.
    String imageUser = ParsedDockerfile.read(dockerDir.resolve("Dockerfile")).finalStage("USER").orElseThrow()
        .arguments();
    for (String node : NODES) {
      JsonNode service = services.get(node);
      assertThat(service.path("user").asText()).isEqualTo(imageUser);
      assertThat(service.path("init").asBoolean()).isTrue();
      assertThat(service.path("restart").asText()).isEqualTo("unless-stopped");
      assertThat(texts(service.path("healthcheck").get("test"))).containsExactly("CMD", "veilraft-healthcheck");
      assertThat(service.path("healthcheck").path("start_period").asText()).isNotEmpty();
      assertThat(service.path("image").asText()).isEqualTo(services.get(SETUP).path("image").asText());
    }
  }

  @Test
  void aComposeClientAcceptsTheFile() throws Exception {
    // Where a compose client is installed (docker compose v2, else docker-compose v1), it validates the file.
    List<String> client = composeClient().orElse(null);
    // Optional even under CI: the parsing checks above are the contract, the client is a second opinion.
    Assumptions.assumeTrue(client != null,
        "neither 'docker compose' nor 'docker-compose' is installed to validate compose.yaml");
    List<String> command = new ArrayList<>(client);
    command.addAll(List.of("-f", dockerDir.resolve("compose.yaml").toString(), "config", "-q"));
    HostCommands.Result result = HostCommands.run(command, Map.of(), COMPOSE_CONFIG_TIMEOUT);
    assertThat(result.ok()).as(result.describe()).isTrue();
  }

  /** A compose client that works offline: the docker CLI's compose plugin, else docker-compose. */
  private static Optional<List<String>> composeClient() throws IOException {
    Optional<Path> docker = HostCommands.executable("docker");
    if (docker.isPresent()
        && HostCommands.run(List.of(docker.get().toString(), "compose", "version"), Map.of(), COMPOSE_CONFIG_TIMEOUT).ok()) {
      return Optional.of(List.of(docker.get().toString(), "compose"));
    }
    return HostCommands.executable("docker-compose").map(p -> List.of(p.toString()));
  }

  private static NodeConfig nodeConfig(String node) throws Exception {
    Path file = dockerDir.resolve(configMount(node).source()).normalize();
    return NodeConfig.parse(Files.readString(file), file.toString());
  }

  /** The bind mount that puts the node's configuration where VEILRAFT_CONFIG says. */
  private static Mount configMount(String node) {
    JsonNode service = services.get(node);
    String target = env(service, "VEILRAFT_CONFIG");
    Mount mount = mounts(service).stream().filter(m -> m.target().equals(target)).findFirst().orElseThrow(
        () -> new AssertionError(node + " mounts nothing at VEILRAFT_CONFIG " + target));
    assertThat(mount.bind()).isTrue();
    assertThat(mount.readOnly()).as("%s's configuration is mounted read-only", node).isTrue();
    return mount;
  }

  /** The mount whose target is {@code path} or one of its parent directories, the deepest one. */
  private static Optional<Mount> mountOf(List<Mount> mounts, Path path) {
    return mounts.stream().filter(m -> path.startsWith(Path.of(m.target())))
        .max((a, b) -> Integer.compare(a.target().length(), b.target().length()));
  }

  private static List<Mount> mounts(JsonNode service) {
    return texts(service.get("volumes")).stream().map(Mount::parse).toList();
  }

  private static String env(JsonNode service, String name) {
    JsonNode value = service.path("environment").get(name);
    assertThat(value).as("environment %s", name).isNotNull();
    return value.asText();
  }

  private static List<String> texts(JsonNode array) {
    assertThat(array).isNotNull();
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
