package dev.veilraft.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.veilraft.consensus.ratis.RaftConsensus;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A node's configuration file (YAML). Unknown keys are errors; every value is validated at start
 * with an error naming the key, the bad value and what is expected.
 *
 * <pre>
 * dataDir: /var/lib/veilraft/node1
 * genesis: /etc/veilraft/genesis.bin
 * raft: { host: 127.0.0.1, port: 7001 }
 * api:  { host: 127.0.0.1, port: 8001 }
 * platform: simulated            # or: hardware (SEV-SNP, TDX or Nitro, as 'veilraft hardware' finds)
 * simulated: { vendorDir: /var/lib/veilraft/sim-vendor, format: snp }   # format: snp (default) or tdx
 * snapshotThresholdEntries: 10000   # optional: entries between snapshots (the log is purged up to each)
 * endorsement: /var/lib/veilraft/node1/endorsement.bin  # optional, this default: the operator's endorsement
 * insecurePlainHttp: { host: 127.0.0.1, port: 8101 }   # optional, INSECURE: the API without TLS, loopback only
 * tls: { certificateChain: /etc/veilraft/web-chain.pem }  # optional: a CA-issued certificate for 'veilraft tls csr''s key
 * apps:                                                 # optional: how this node presents the cluster's apps
 *   cashu: { name: "Federated mint", description: "...", contact: "ops@example.org", motd: "" }
 *   nostr: { name: "Federated relay", description: "...", contact: "ops@example.org", url: "wss://relay.example.org/nostr" }
 * </pre>
 */
public record NodeConfig(
    @JsonProperty(value = "dataDir", required = true) Path dataDir,
    @JsonProperty(value = "genesis", required = true) Path genesis,
    @JsonProperty(value = "raft", required = true) Endpoint raft,
    @JsonProperty(value = "api", required = true) Endpoint api,
    @JsonProperty(value = "platform", required = true) String platform,
    @JsonProperty("simulated") Simulated simulated,
    @JsonProperty("electionTimeoutMinMs") Integer electionTimeoutMinMs,
    @JsonProperty("electionTimeoutMaxMs") Integer electionTimeoutMaxMs,
    @JsonProperty("snapshotThresholdEntries") Integer snapshotThresholdEntries,
    @JsonProperty("endorsement") Path endorsement,
    @JsonProperty("insecurePlainHttp") Endpoint insecurePlainHttp,
    @JsonProperty("apps") Apps apps,
    @JsonProperty("tls") Tls tls) {

  /** The file name of the operator's endorsement in the data directory, when the key 'endorsement' is absent. */
  public static final String ENDORSEMENT_FILE = "endorsement.bin";

  /** A configuration with the default snapshot threshold and endorsement file. */
  public NodeConfig(Path dataDir, Path genesis, Endpoint raft, Endpoint api, String platform, Simulated simulated,
      Integer electionTimeoutMinMs, Integer electionTimeoutMaxMs) {
    this(dataDir, genesis, raft, api, platform, simulated, electionTimeoutMinMs, electionTimeoutMaxMs, null, null);
  }

  /** A configuration without plain HTTP and with the apps' default presentation. */
  public NodeConfig(Path dataDir, Path genesis, Endpoint raft, Endpoint api, String platform, Simulated simulated,
      Integer electionTimeoutMinMs, Integer electionTimeoutMaxMs, Integer snapshotThresholdEntries, Path endorsement) {
    this(dataDir, genesis, raft, api, platform, simulated, electionTimeoutMinMs, electionTimeoutMaxMs,
        snapshotThresholdEntries, endorsement, null, null, null);
  }

  /**
   * The node's CA-issued web certificate: {@code certificateChain} is a PEM chain (leaf first)
   * for the key 'veilraft tls csr' generated and sealed inside the node.
   */
  public record Tls(@JsonProperty(value = "certificateChain", required = true) Path certificateChain) {}

  /** The configured web certificate chain, or null. */
  public Path webTlsChain() {
    return tls == null ? null : tls.certificateChain();
  }

  /**
   * How this node presents the cluster's apps to their users: names, descriptions, contact.
   * Node-local and cosmetic: nothing here changes what the replicated apps decide.
   */
  public record Apps(@JsonProperty("cashu") AppInfo cashu, @JsonProperty("nostr") AppInfo nostr) {}

  /**
   * One app's presentation. {@code url} is the public URL clients use (the relay's NIP-42 relay
   * tag must match it); {@code motd} is the Cashu mint's message of the day.
   */
  public record AppInfo(@JsonProperty("name") String name, @JsonProperty("description") String description,
      @JsonProperty("contact") String contact, @JsonProperty("motd") String motd, @JsonProperty("url") String url) {
    public static final AppInfo NONE = new AppInfo(null, null, null, null, null);
  }

  public AppInfo cashuInfo() {
    return apps == null || apps.cashu() == null ? AppInfo.NONE : apps.cashu();
  }

  public AppInfo nostrInfo() {
    return apps == null || apps.nostr() == null ? AppInfo.NONE : apps.nostr();
  }

  /** This configuration serving the CA-issued web certificate chain in {@code certificateChain}. */
  public NodeConfig withWebTls(Path certificateChain) {
    return new NodeConfig(dataDir, genesis, raft, api, platform, simulated, electionTimeoutMinMs, electionTimeoutMaxMs,
        snapshotThresholdEntries, endorsement, insecurePlainHttp, apps, new Tls(certificateChain));
  }

  /** This configuration with plain HTTP (INSECURE) on {@code endpoint}, a loopback address. */
  public NodeConfig withInsecurePlainHttp(Endpoint endpoint) {
    return new NodeConfig(dataDir, genesis, raft, api, platform, simulated, electionTimeoutMinMs, electionTimeoutMaxMs,
        snapshotThresholdEntries, endorsement, endpoint, apps, tls);
  }

  /** The operator's endorsement of this node (OperatorEndorsement protobuf, from 'veilraft operator endorse'). */
  public Path endorsementFile() {
    return endorsement != null ? endorsement : dataDir.resolve(ENDORSEMENT_FILE);
  }

  public static final String PLATFORM_SIMULATED = "simulated";
  /** The machine's TEE as {@code veilraft hardware} finds it (SEV-SNP, TDX, Nitro). */
  public static final String PLATFORM_HARDWARE = "hardware";
  public static final int ELECTION_TIMEOUT_MIN_MS_DEFAULT = 1000;
  public static final int ELECTION_TIMEOUT_MAX_MS_DEFAULT = 2000;

  /** A host and port to listen on. */
  public record Endpoint(@JsonProperty(value = "host", required = true) String host,
      @JsonProperty(value = "port", required = true) int port) {
    public String address() {
      return host + ":" + port;
    }
  }

  /**
   * Settings of the simulated TEE (INSECURE: for development and tests): the vendor directory and
   * the evidence format, {@code snp} (an SEV-SNP report, the default) or {@code tdx} (a TDX quote).
   */
  public record Simulated(@JsonProperty(value = "vendorDir", required = true) Path vendorDir,
      @JsonProperty("format") String format) {
    public static final String FORMAT_SNP = "snp";
    public static final String FORMAT_TDX = "tdx";

    public Simulated(Path vendorDir) {
      this(vendorDir, null);
    }

    public String formatOrDefault() {
      return format == null ? FORMAT_SNP : format;
    }
  }

  public int electionTimeoutMin() {
    return electionTimeoutMinMs == null ? ELECTION_TIMEOUT_MIN_MS_DEFAULT : electionTimeoutMinMs;
  }

  public int electionTimeoutMax() {
    return electionTimeoutMaxMs == null ? ELECTION_TIMEOUT_MAX_MS_DEFAULT : electionTimeoutMaxMs;
  }

  /** Entries applied between two snapshots (after which the Raft log is purged up to the snapshot). */
  public long snapshotThreshold() {
    return snapshotThresholdEntries == null ? RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT : snapshotThresholdEntries;
  }

  /** This configuration with another snapshot threshold (tests set it low). */
  public NodeConfig withSnapshotThresholdEntries(int entries) {
    return new NodeConfig(dataDir, genesis, raft, api, platform, simulated, electionTimeoutMinMs, electionTimeoutMaxMs,
        entries, endorsement, insecurePlainHttp, apps, tls);
  }

  /** The configuration in {@code file}, without environment overrides. */
  public static NodeConfig read(Path file) throws ConfigException {
    return parse(YamlFiles.read(file, "configuration file"), file.toString());
  }

  /**
   * The configuration in {@code file} with the overrides found in {@code environment} (see
   * {@link ConfigEnvironment}) applied, then validated as a whole. Errors caused by an override
   * name its variable.
   */
  public static NodeConfig read(Path file, Map<String, String> environment) throws ConfigException {
    return parse(YamlFiles.read(file, "configuration file"), file.toString(), environment);
  }

  /** {@code yaml} with the overrides in {@code environment} applied; {@code source} names the file in errors. */
  public static NodeConfig parse(String yaml, String source, Map<String, String> environment) throws ConfigException {
    List<ConfigEnvironment.Override> overrides = ConfigEnvironment.overrides(environment);
    if (overrides.isEmpty()) {
      return parse(yaml, source);
    }
    ObjectNode tree = YamlFiles.parseTree(yaml, source, "configuration");
    for (ConfigEnvironment.Override override : overrides) {
      apply(tree, override, source);
    }
    String combined = source + " with " + overrides.stream().map(o -> o.key().variable())
        .collect(Collectors.joining(", ")) + " from the environment";
    NodeConfig config = YamlFiles.bind(tree, NodeConfig.class, combined);
    config.validate(combined);
    return config;
  }

  private static void apply(ObjectNode tree, ConfigEnvironment.Override override, String source)
      throws ConfigException {
    String[] parts = override.key().path().split("\\.");
    ObjectNode parent = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = parent.get(parts[i]);
      if (child == null || child.isNull()) {
        parent = parent.putObject(parts[i]);
      } else if (child.isObject()) {
        parent = (ObjectNode) child;
      } else {
        throw new ConfigException(source + ": key '" + String.join(".", List.of(parts).subList(0, i + 1))
            + "' is not a mapping, so " + override.key().variable() + " cannot set '" + override.key().path() + "'");
      }
    }
    String leaf = parts[parts.length - 1];
    if (override.key().kind() == ConfigEnvironment.Kind.INTEGER) {
      parent.put(leaf, Integer.parseInt(override.value().trim()));
    } else {
      parent.put(leaf, override.value());
    }
  }

  public static NodeConfig parse(String yaml, String source) throws ConfigException {
    NodeConfig config = YamlFiles.parse(yaml, NodeConfig.class, source, "configuration");
    config.validate(source);
    return config;
  }

  private void validate(String source) throws ConfigException {
    checkEndpoint(source, "raft", raft);
    checkEndpoint(source, "api", api);
    if (!PLATFORM_SIMULATED.equals(platform) && !PLATFORM_HARDWARE.equals(platform)) {
      throw new ConfigException(source + ": key 'platform' is '" + platform + "', expected 'hardware' (the "
          + "machine's TEE) or 'simulated' (INSECURE, for development)");
    }
    if (PLATFORM_HARDWARE.equals(platform) && simulated != null) {
      throw new ConfigException(source + ": key 'simulated' must not be set when platform is 'hardware'");
    }
    if (PLATFORM_SIMULATED.equals(platform) && simulated == null) {
      throw new ConfigException(source + ": key 'simulated' is required when platform is 'simulated'");
    }
    if (simulated != null && !Simulated.FORMAT_SNP.equals(simulated.formatOrDefault())
        && !Simulated.FORMAT_TDX.equals(simulated.formatOrDefault())) {
      throw new ConfigException(source + ": key 'simulated.format' is '" + simulated.format()
          + "', expected 'snp' (a simulated SEV-SNP report) or 'tdx' (a simulated TDX quote)");
    }
    if (electionTimeoutMin() < 50 || electionTimeoutMax() <= electionTimeoutMin()) {
      throw new ConfigException(source + ": keys 'electionTimeoutMinMs'/'electionTimeoutMaxMs' are "
          + electionTimeoutMin() + "/" + electionTimeoutMax() + ", expected min >= 50 and max > min");
    }
    if (snapshotThreshold() < RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN) {
      throw new ConfigException(source + ": key 'snapshotThresholdEntries' is " + snapshotThreshold() + ", expected >= "
          + RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN);
    }
    if (raft.port() == api.port() && raft.host().equals(api.host())) {
      throw new ConfigException(source + ": keys 'raft.port' and 'api.port' are both " + api.port());
    }
    if (insecurePlainHttp != null) {
      if (insecurePlainHttp.host() == null || !isLoopback(insecurePlainHttp.host())) {
        throw new ConfigException(source + ": key 'insecurePlainHttp.host' is '" + insecurePlainHttp.host()
            + "', expected a loopback address (127.0.0.0/8, ::1 or localhost): plain HTTP carries no TLS and is "
            + "only for local clusters");
      }
      if (insecurePlainHttp.port() < 0 || insecurePlainHttp.port() > 65535) {
        throw new ConfigException(source + ": key 'insecurePlainHttp.port' is " + insecurePlainHttp.port()
            + ", expected 0..65535 (0: any free port)");
      }
    }
    if (tls != null && (tls.certificateChain() == null || !java.nio.file.Files.isReadable(tls.certificateChain()))) {
      throw new ConfigException(source + ": key 'tls.certificateChain' is '" + tls.certificateChain()
          + "', expected a readable PEM certificate chain (leaf first) for the key from 'veilraft tls csr'");
    }
    if (cashuInfo().url() != null) {
      throw new ConfigException(source + ": key 'apps.cashu.url' is not used by the mint (its URL is the node's API "
          + "address); remove it");
    }
    if (nostrInfo().motd() != null) {
      throw new ConfigException(source + ": key 'apps.nostr.motd' is not used by the relay (NIP-11 has no message of "
          + "the day); remove it");
    }
    if (nostrInfo().url() != null && !nostrInfo().url().matches("wss?://[^\\s]+")) {
      throw new ConfigException(source + ": key 'apps.nostr.url' is '" + nostrInfo().url()
          + "', expected a ws:// or wss:// URL (clients' NIP-42 relay tag must match it)");
    }
  }

  /**
   * Keys the shared {@link AppInfo} record accepts but that app does not use: refused, so an
   * operator does not believe they took effect.
   */
  static final java.util.Set<String> UNUSED_KEYS = java.util.Set.of("apps.cashu.url", "apps.nostr.motd");

  private static boolean isLoopback(String host) {
    return host.equals("localhost") || host.equals("::1") || host.equals("[::1]") || host.matches("127(\\.\\d{1,3}){3}");
  }

  private static void checkEndpoint(String source, String key, Endpoint endpoint) throws ConfigException {
    if (endpoint.host() == null || endpoint.host().isBlank()) {
      throw new ConfigException(source + ": key '" + key + ".host' is empty, expected a host name or address");
    }
    if (endpoint.port() < 1 || endpoint.port() > 65535) {
      throw new ConfigException(source + ": key '" + key + ".port' is " + endpoint.port() + ", expected 1..65535");
    }
  }

  /** Renders this configuration as YAML (the demo writes its nodes' files with it). */
  public String toYaml() {
    try {
      return YamlFiles.MAPPER.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
