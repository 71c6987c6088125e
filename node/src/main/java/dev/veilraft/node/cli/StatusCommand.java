package dev.veilraft.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.VeilraftNode;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What one node knows of its cluster, from its {@code GET /v1/status} over its TLS API: cluster,
 * leader, epoch, commit and applied index, and every member's operator, platform, measurement,
 * last attestation, Raft role and lag. The node is trusted by its key, as for {@code gov}.
 */
@Command(name = "status", description = {"Show a node's view of its cluster: leader, epoch, indexes, members.",
    "Give --config FILE (the node's own configuration: its API address and identity.pem pin it) or",
    "--url URL with --node-cert FILE, --node-id HEX or --insecure-skip-verify."},
    footer = {"", "Lag (entries behind the commit index) is known by the leader; a follower shows '-'.",
        "Exit codes: 0 the node answered, 1 it did not (the last line says why), 2 bad usage."})
final class StatusCommand implements Callable<Integer> {
  private static final Pattern NODE_ID = Pattern.compile("[0-9a-fA-F]{32}");
  /** Measurements are shown by their first hex digits in the table; --json has them whole. */
  static final int MEASUREMENT_HEX_SHOWN = 16;
  static final String STATUS_PATH = "/v1/status";

  @Spec
  CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "The node's configuration (with environment overrides).")
  Path config;

  @Option(names = "--url", paramLabel = "URL", description = "The node's HTTPS API, e.g. https://10.0.0.5:8443.")
  URI url;

  @Option(names = "--node-cert", paramLabel = "FILE", description = "The node's identity certificate (PEM or DER).")
  Path nodeCert;

  @Option(names = "--node-id", paramLabel = "HEX", description = "The node's id (32 hex digits).")
  String nodeId;

  @Option(names = "--insecure-skip-verify",
      description = "INSECURE: trust whatever key answers at --url (anyone on the path can impersonate it).")
  boolean insecureSkipVerify;

  @Option(names = "--json", description = "Print the node's answer as JSON, unchanged.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    GovHttp http = connect(err);
    byte[] answer;
    try {
      answer = http.get(STATUS_PATH);
    } catch (GovHttp.NodeError e) {
      err.println("error: node refused " + STATUS_PATH + ": " + e.getMessage());
      return 1;
    } catch (java.io.IOException e) {
      err.println("error: node unreachable: " + e.getMessage());
      return 1;
    }
    if (json) {
      out.println(new String(answer, java.nio.charset.StandardCharsets.UTF_8).strip());
      out.flush();
      return 0;
    }
    JsonNode status = new ObjectMapper().readTree(answer);
    out.print(render(status, System.currentTimeMillis()));
    out.flush();
    return 0;
  }

  private GovHttp connect(PrintWriter err) throws Exception {
    if ((config == null) == (url == null)) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give exactly one of --config FILE or --url URL");
    }
    URI base = url;
    String pinned = null;
    if (config != null) {
      NodeConfig nodeConfig = ConfigFiles.read(config);
      String host = nodeConfig.api().host();
      if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
        host = "127.0.0.1";
      }
      base = URI.create("https://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":"
          + nodeConfig.api().port());
      Path identity = nodeConfig.dataDir().resolve(VeilraftNode.IDENTITY_FILE);
      if (nodeCert == null && nodeId == null && !insecureSkipVerify) {
        if (!Files.isReadable(identity)) {
          throw new IllegalArgumentException(identity + " is missing (run 'veilraft init --config " + config
              + "'), or pin the node with --node-cert FILE / --node-id HEX");
        }
        nodeCert = identity;
      }
    }
    if (!"https".equals(base.getScheme())) {
      throw new IllegalArgumentException("--url '" + base + "' must be an https:// URL");
    }
    int ways = (nodeCert != null ? 1 : 0) + (nodeId != null ? 1 : 0) + (insecureSkipVerify ? 1 : 0);
    if (ways != 1) {
      throw new IllegalArgumentException("give exactly one of --node-cert FILE or --node-id HEX to pin the node's key "
          + "(or --insecure-skip-verify, INSECURE)");
    }
    if (insecureSkipVerify) {
      err.println("warning: --insecure-skip-verify: the node's key is not checked");
      return GovHttp.insecure(base);
    }
    if (nodeCert != null) {
      List<byte[]> certs = Certificates.readAll(Files.readAllBytes(nodeCert), nodeCert.toString());
      pinned = Certificates.nodeId(Certificates.parse(certs.get(0), nodeCert.toString()));
    } else if (!NODE_ID.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("--node-id '" + nodeId + "' is not 32 hex digits");
    } else {
      pinned = nodeId;
    }
    return GovHttp.pinned(base, pinned.toLowerCase(Locale.ROOT));
  }

  /** The human-readable status: a header of cluster facts and a table of members. */
  /**
   * The status as text for a terminal. Every string in it came from the node: control characters
   * (ANSI escapes, carriage returns, Unicode line separators) are shown as '?', so a node cannot
   * rewrite the operator's screen.
   */
  static String render(JsonNode s, long nowMs) {
    return printable(renderRaw(s, nowMs));
  }

  static String printable(String text) {
    return text.replaceAll("[\\p{Cc}\\p{Zl}\\p{Zp}&&[^\\n]]", "?");
  }

  private static String renderRaw(JsonNode s, long nowMs) {
    StringBuilder out = new StringBuilder();
    String answering = s.path("node_id").asText();
    if (!s.path("initialized").asBoolean(false)) {
      out.append("node      ").append(answering).append(" (not a member of an initialized cluster yet)\n");
      out.append("applied   ").append(s.path("applied_index").asLong()).append('\n');
      return out.toString();
    }
    out.append("cluster   ").append(s.path("cluster_name").asText()).append(" (")
        .append(shorten(s.path("cluster_id").asText(), 16)).append(")\n");
    out.append("epoch     ").append(s.path("epoch").asLong()).append("   policy ").append(s.path("policy").asText());
    if (s.has("protocol_version")) {
      out.append("   protocol ").append(s.path("protocol_version").asLong());
      if (s.has("build_protocol_version_max")) {
        out.append(" (this node applies up to ").append(s.path("build_protocol_version_max").asLong()).append(')');
      }
    }
    out.append('\n');
    if (s.has("halted")) {
      out.append("halted    ").append(s.path("halted").asText()).append('\n');
    }
    String leader = s.path("leader_id").asText("");
    out.append("leader    ").append(leader.isEmpty() ? "unknown" : leader)
        .append(leader.equals(answering) ? " (the node answering)" : "").append('\n');
    out.append("node      ").append(answering).append(" (").append(s.path("raft_role").asText("?")).append(")\n");
    out.append("index     commit ").append(s.has("commit_index") ? s.path("commit_index").asText() : "?")
        .append("   applied ").append(s.path("applied_index").asLong()).append('\n');
    if (!s.path("diversity_satisfied").asBoolean(true)) {
      out.append("warning   the diversity rule does not hold: one operator holds a Raft majority\n");
    }
    List<String[]> rows = new ArrayList<>();
    // PROTO: the highest protocol version the member's build advertised (a raise needs every member at or above it).
    rows.add(new String[] {"NODE", "OPERATOR", "ROLE", "PLATFORM", "MEASUREMENT", "PROTO", "ATTESTED", "LAG", "API"});
    JsonNode raft = s.path("raft_configuration");
    for (JsonNode m : s.path("members")) {
      String id = m.path("node_id").asText();
      String role = raft.path(id).asText(m.path("role").asText());
      long attested = m.path("attested_at_ms").asLong(0);
      rows.add(new String[] {id + (id.equals(leader) ? "*" : ""), m.path("operator").asText(), role.toLowerCase(Locale.ROOT),
          m.path("platform").asText(), shorten(m.path("measurement").asText(), MEASUREMENT_HEX_SHOWN),
          m.has("protocol_version_max") ? m.path("protocol_version_max").asText() : "?",
          attested == 0 ? "never" : age(nowMs - attested) + " ago",
          m.has("lag_entries") ? m.path("lag_entries").asText() : "-", m.path("api_address").asText()});
    }
    out.append("members   ").append(rows.size() - 1).append(" (* leader)\n");
    out.append(table(rows));
    for (JsonNode m : s.path("members")) {
      if (m.has("failure")) {
        out.append("failure   ").append(m.path("node_id").asText()).append(": ").append(m.path("failure").asText())
            .append('\n');
      }
    }
    if (!leader.isEmpty() && !leader.equals(answering)) {
      for (JsonNode m : s.path("members")) {
        if (m.path("node_id").asText().equals(leader) && !m.path("api_address").asText().isEmpty()) {
          out.append("hint      lag is known by the leader: veilraft status --url https://")
              .append(m.path("api_address").asText()).append(" --node-id ").append(leader).append('\n');
        }
      }
    }
    for (JsonNode p : s.path("pending_removals")) {
      out.append("removal   ").append(p.path("node_id").asText()).append(" pending: ").append(p.path("reason").asText())
          .append(p.path("blocked").asBoolean() ? " (blocked: would break quorum)" : "").append('\n');
    }
    return out.toString();
  }

  private static String shorten(String hex, int chars) {
    return hex.length() <= chars ? hex : hex.substring(0, chars) + "…";
  }

  /** A duration as the largest sensible unit: 42s, 5m, 3h, 2d. Negative ages (clock skew) read as 0s. */
  static String age(long ms) {
    Duration d = Duration.ofMillis(Math.max(0, ms));
    if (d.toSeconds() < 120) {
      return d.toSeconds() + "s";
    }
    if (d.toMinutes() < 120) {
      return d.toMinutes() + "m";
    }
    if (d.toHours() < 48) {
      return d.toHours() + "h";
    }
    return d.toDays() + "d";
  }

  private static String table(List<String[]> rows) {
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].codePointCount(0, row[i].length()));
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder("  ");
      for (int i = 0; i < row.length; i++) {
        line.append(row[i]).append(" ".repeat(widths[i] - row[i].codePointCount(0, row[i].length()) + 2));
      }
      out.append(line.toString().stripTrailing()).append('\n');
    }
    return out.toString();
  }
}
