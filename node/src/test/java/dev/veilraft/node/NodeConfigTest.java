package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeConfigTest {
  private static final String VALID = """
      dataDir: /var/lib/veilraft/node1
      genesis: /etc/veilraft/genesis.bin
      raft: { host: 127.0.0.1, port: 7001 }
      api: { host: 127.0.0.1, port: 8001 }
      platform: simulated
      simulated: { vendorDir: /var/lib/veilraft/sim-vendor }
      """;

  @Test
  void validConfigurationParsesWithDefaults() throws Exception {
    // A minimal file parses, and unset election timeouts take their documented defaults.
    NodeConfig config = NodeConfig.parse(VALID, "node1.yaml");
    assertThat(config.raft().address()).isEqualTo("127.0.0.1:7001");
    assertThat(config.electionTimeoutMin()).isEqualTo(NodeConfig.ELECTION_TIMEOUT_MIN_MS_DEFAULT);
    assertThat(NodeConfig.parse(config.toYaml(), "round-trip")).isEqualTo(config);
  }

  @Test
  void unknownKeyIsAnErrorNamingTheKey() {
    // A typo in a key is refused, not silently ignored.
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "raftt: 1\n", "node1.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("node1.yaml").hasMessageContaining("raftt");
  }

  @Test
  void missingRequiredKeyIsNamed() {
    // Leaving out a required key names that key.
    String noApi = VALID.replace("api: { host: 127.0.0.1, port: 8001 }\n", "");
    assertThatThrownBy(() -> NodeConfig.parse(noApi, "n.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("api");
  }

  @Test
  void badValuesNameKeyValueAndExpectation() {
    // Out-of-range and unsupported values name the key, the value and what is expected.
    assertThatThrownBy(() -> NodeConfig.parse(VALID.replace("port: 7001", "port: 70000"), "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("raft.port").hasMessageContaining("70000")
        .hasMessageContaining("1..65535");
    assertThatThrownBy(() -> NodeConfig.parse(VALID.replace("platform: simulated", "platform: sgx"), "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("platform").hasMessageContaining("sgx");
    assertThatThrownBy(() -> NodeConfig.parse(VALID.replace("port: 7001", "port: seven"), "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("raft.port");
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "electionTimeoutMinMs: 500\nelectionTimeoutMaxMs: 400\n", "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("electionTimeout");
    assertThatThrownBy(() -> NodeConfig.parse(VALID.replace("port: 8001", "port: 7001"), "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("both 7001");
  }

  @Test
  void garbageEmptyAndMissingFilesAreClearErrors(@TempDir Path dir) throws Exception {
    // Not YAML, empty, or absent: each is a ConfigException with a message, never a crash.
    assertThatThrownBy(() -> NodeConfig.parse("{{{: [", "bad.yaml")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("bad.yaml");
    assertThatThrownBy(() -> NodeConfig.parse("", "empty.yaml")).isInstanceOf(ConfigException.class)
        .hasMessageContaining("empty");
    Path binary = dir.resolve("binary.yaml");
    Files.write(binary, new byte[] {0, 1, 2, (byte) 0xff, (byte) 0xfe});
    assertThatThrownBy(() -> NodeConfig.read(binary)).isInstanceOf(ConfigException.class);
    assertThatThrownBy(() -> NodeConfig.read(dir.resolve("absent.yaml"))).isInstanceOf(ConfigException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void hardwarePlatformParsesAndRefusesSimulatedSettings() throws Exception {
    // Proves 'platform: hardware' is accepted without a simulated section and refused with one.
    String hardware = VALID.replace("platform: simulated", "platform: hardware")
        .replace("simulated: { vendorDir: /var/lib/veilraft/sim-vendor }\n", "");

    assertThat(NodeConfig.parse(hardware, "n.yaml").platform()).isEqualTo(NodeConfig.PLATFORM_HARDWARE);
    assertThatThrownBy(() -> NodeConfig.parse(VALID.replace("platform: simulated", "platform: hardware"), "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'simulated' must not be set");
  }

  @Test
  void aHardwareNodeOnAMachineWithoutATeeFailsToOpenItsPlatformClearly(@TempDir Path dir) throws Exception {
    // Proves a node configured for hardware on a machine with no TEE says so, instead of falling back to simulation.
    org.junit.jupiter.api.Assumptions.assumeFalse(dev.veilraft.crypto.tee.TeeDetection.detect().anyTee(),
        "this machine has a TEE; the test is about machines without one");
    NodeConfig config = NodeConfig.parse(VALID.replace("platform: simulated", "platform: hardware")
        .replace("simulated: { vendorDir: /var/lib/veilraft/sim-vendor }\n", "")
        .replace("/var/lib/veilraft/node1", dir.toString()), "n.yaml");

    assertThatThrownBy(() -> NodePlatform.open(config, null)).isInstanceOf(java.io.IOException.class)
        .hasMessageContaining("no TEE found").hasMessageContaining("platform: simulated");
  }

  @Test
  void plainHttpIsLoopbackOnlyAndAppsAndTlsAreValidated(@TempDir Path dir) throws Exception {
    // Plain HTTP (INSECURE) is refused off loopback; a web certificate chain must exist; the relay URL must be ws(s).
    NodeConfig plain = NodeConfig.parse(VALID + "insecurePlainHttp: { host: 127.0.0.1, port: 0 }\n"
        + "apps: { nostr: { name: relay, url: \"wss://relay.example.org/nostr\" }, cashu: { name: mint } }\n", "n.yaml");
    assertThat(plain.insecurePlainHttp().host()).isEqualTo("127.0.0.1");
    assertThat(plain.nostrInfo().url()).isEqualTo("wss://relay.example.org/nostr");
    assertThat(plain.cashuInfo().name()).isEqualTo("mint");
    assertThat(NodeConfig.parse(plain.toYaml(), "round-trip")).isEqualTo(plain);
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "insecurePlainHttp: { host: 0.0.0.0, port: 8101 }\n", "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("insecurePlainHttp.host").hasMessageContaining("0.0.0.0")
        .hasMessageContaining("loopback");
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "apps: { nostr: { url: \"https://relay\" } }\n", "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("apps.nostr.url");
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "apps: { cashu: { nmae: x } }\n", "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("nmae");
    Path missing = dir.resolve("chain.pem");
    assertThatThrownBy(() -> NodeConfig.parse(VALID + "tls: { certificateChain: " + missing + " }\n", "n.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("tls.certificateChain").hasMessageContaining("chain.pem");
    Files.writeString(missing, "not yet a chain");
    assertThat(NodeConfig.parse(VALID + "tls: { certificateChain: " + missing + " }\n", "n.yaml").webTlsChain())
        .isEqualTo(missing);
  }

  @Test
  void environmentVariablesOverrideTheFileAndAreValidatedTheSameWay() throws Exception {
    // Proves VEILRAFT_API_PORT and nested keys override the file, may add a section, and bad values name the variable.
    NodeConfig config = NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_API_PORT", "9001",
        "VEILRAFT_SIMULATED_FORMAT", "tdx", "VEILRAFT_ELECTION_TIMEOUT_MIN_MS", "300", "VEILRAFT_APPS_NOSTR_NAME", "relay",
        "VEILRAFT_DATA_DIR", "/data", "PATH", "/usr/bin", "VEILRAFT_LOG_FORMAT", "json", "VEILRAFT_PEER", "https://x"));

    assertThat(config.api().port()).isEqualTo(9001);
    assertThat(config.api().host()).isEqualTo("127.0.0.1");
    assertThat(config.simulated().formatOrDefault()).isEqualTo("tdx");
    assertThat(config.electionTimeoutMin()).isEqualTo(300);
    assertThat(config.nostrInfo().name()).isEqualTo("relay");
    assertThat(config.dataDir()).isEqualTo(Path.of("/data"));
    assertThat(NodeConfig.parse(VALID, "n.yaml", java.util.Map.of())).isEqualTo(NodeConfig.parse(VALID, "n.yaml"));
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_API_PORT", "70000")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("api.port").hasMessageContaining("70000")
        .hasMessageContaining("1..65535").hasMessageContaining("VEILRAFT_API_PORT");
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_API_PORT", "eighty")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("VEILRAFT_API_PORT").hasMessageContaining("eighty")
        .hasMessageContaining("integer");
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_PLATFORM", "sgx")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("platform").hasMessageContaining("sgx");
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_GENESIS", "")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("VEILRAFT_GENESIS").hasMessageContaining("empty");
  }

  @Test
  void anUnknownVariableThatLooksLikeAnOverrideIsAnErrorNamingIt() throws Exception {
    // Proves typos (near misses, unknown keys of a section) are refused, while unrelated VEILRAFT_* variables are not.
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_API_PROT", "9001")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("VEILRAFT_API_PROT")
        .hasMessageContaining("VEILRAFT_API_PORT");
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_RAFT_ADDRESS", "x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("VEILRAFT_RAFT_ADDRESS").hasMessageContaining("'raft'");
    assertThatThrownBy(() -> NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_DATADIR", "/x")))
        .isInstanceOf(ConfigException.class).hasMessageContaining("VEILRAFT_DATA_DIR");
    assertThat(NodeConfig.parse(VALID, "n.yaml", java.util.Map.of("VEILRAFT_CLUSTER_NAME", "x",
        "VEILRAFT_ENDORSEMENT_WAIT_S", "60", "VEILRAFT_HEALTH_URL", "https://x")).api().port()).isEqualTo(8001);
  }

  @Test
  void everyKeyHasAVariableAndTheReadmeDocumentsBoth() throws Exception {
    // Proves the README's configuration table names every key NodeConfig accepts and its environment variable.
    Path readme = Path.of("../README.md");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(readme), "README.md is not next to the node module");
    String text = Files.readString(readme);
    assertThat(ConfigEnvironment.keys()).containsKeys("VEILRAFT_API_PORT", "VEILRAFT_SIMULATED_VENDOR_DIR",
        "VEILRAFT_INSECURE_PLAIN_HTTP_HOST", "VEILRAFT_TLS_CERTIFICATE_CHAIN", "VEILRAFT_APPS_CASHU_MOTD");
    for (ConfigEnvironment.Key key : ConfigEnvironment.keys().values()) {
      assertThat(text).as("README documents key " + key.path()).contains("`" + key.path() + "`");
      assertThat(text).as("README documents variable " + key.variable()).contains("`" + key.variable() + "`");
    }
  }
}
