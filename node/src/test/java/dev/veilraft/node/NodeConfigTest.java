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
}
