package dev.veilraft.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.GovernanceMessages;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.Operators;
import dev.veilraft.membership.proto.GovProposal;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorSetAction;
import dev.veilraft.membership.proto.RemoveNodeAction;
import dev.veilraft.membership.proto.RotateKeyAction;
import dev.veilraft.membership.proto.SignedGov;
import dev.veilraft.node.PolicyFile;
import dev.veilraft.node.api.GovernanceJson;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Operator governance from the command line: sign proposals and ballots with an operator key and
 * send them to a node (or only write them, for offline signing), and list the recorded proposals.
 * The node is trusted by its key: --node-cert FILE or --node-id HEX pins it.
 */
@Command(name = "gov", description = "Propose, vote on and list governance proposals.",
    subcommands = {GovCommand.Propose.class, GovCommand.Vote.class, GovCommand.ListProposals.class,
        GovCommand.Submit.class},
    footer = {"", "Signed messages (--out, 'gov submit') are JSON: {\"body\": base64, \"signature\": base64}.",
        "A proposal's id is the SHA-256 of its body (hex)."})
final class GovCommand {
  static final String PROPOSALS_PATH = "/v1/gov/proposals";
  static final String BALLOTS_PATH = "/v1/gov/ballots";
  private static final Pattern NODE_ID = Pattern.compile("[0-9a-fA-F]{32}");
  private static final Pattern PROPOSAL_ID = Pattern.compile("[0-9a-fA-F]{64}");
  static final int SIGNED_FILE_BYTES_MAX = 1 << 20;

  private GovCommand() {}

  /** Which node to talk to and how it is trusted. */
  static final class NodeOptions {
    @Option(names = "--node", paramLabel = "URL", description = "The node's HTTPS API, e.g. https://10.0.0.5:8443.")
    URI node;

    @Option(names = "--node-cert", paramLabel = "FILE",
        description = "The node's identity certificate (PEM or DER): only that key is trusted.")
    Path nodeCert;

    @Option(names = "--node-id", paramLabel = "HEX", description = "The node's id (32 hex digits): only that key is trusted.")
    String nodeId;

    @Option(names = "--insecure-skip-verify",
        description = "INSECURE: trust whatever key answers at --node (anyone on the path can impersonate it).")
    boolean insecureSkipVerify;

    GovHttp connect(PrintWriter err) throws Exception {
      if (node == null) {
        throw new IllegalArgumentException("--node URL is required");
      }
      if (!"https".equals(node.getScheme())) {
        throw new IllegalArgumentException("--node '" + node + "' must be an https:// URL");
      }
      int ways = (nodeCert != null ? 1 : 0) + (nodeId != null ? 1 : 0) + (insecureSkipVerify ? 1 : 0);
      if (ways != 1) {
        throw new IllegalArgumentException("give exactly one of --node-cert FILE or --node-id HEX to pin the node's "
            + "key (or --insecure-skip-verify, INSECURE)");
      }
      if (insecureSkipVerify) {
        err.println("warning: --insecure-skip-verify: the node's key is not checked");
        return GovHttp.insecure(node);
      }
      String pinned = nodeId;
      if (nodeCert != null) {
        List<byte[]> certs = Certificates.readAll(Files.readAllBytes(nodeCert), nodeCert.toString());
        pinned = Certificates.nodeId(Certificates.parse(certs.get(0), nodeCert.toString()));
      } else if (!NODE_ID.matcher(nodeId).matches()) {
        throw new IllegalArgumentException("--node-id '" + nodeId + "' is not 32 hex digits");
      }
      return GovHttp.pinned(node, pinned.toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** Who signs, for which cluster. */
  static final class SignerOptions {
    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The operator's private key (N.key).")
    Path key;

    @Option(names = "--operator", required = true, paramLabel = "N", description = "The operator's name.")
    String operator;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Cluster cluster;

    static final class Cluster {
      @Option(names = "--genesis", paramLabel = "FILE", description = "The cluster's genesis file (names the cluster).")
      Path genesis;

      @Option(names = "--cluster-id", paramLabel = "HEX", description = "The cluster id (64 hex digits).")
      String clusterId;
    }

    byte[] clusterId() throws Exception {
      if (cluster.genesis != null) {
        return GenesisDocument.read(cluster.genesis).clusterId();
      }
      if (!PROPOSAL_ID.matcher(cluster.clusterId).matches()) {
        throw new IllegalArgumentException("--cluster-id '" + cluster.clusterId + "' is not 64 hex digits");
      }
      return Hashes.unhex(cluster.clusterId);
    }

    /** The key, checked against the genesis when the operator is listed there (governance may have added others). */
    OperatorKey loadKey() throws Exception {
      OperatorKey loaded = OperatorKey.load(key);
      if (cluster.genesis != null) {
        Optional<Operator> listed = Operators.find(GenesisDocument.read(cluster.genesis).operators(), operator);
        if (listed.isPresent() && !Arrays.equals(listed.get().getPublicKeySpki().toByteArray(), loaded.publicKeySpki())) {
          throw new IllegalArgumentException(key + " is not operator '" + operator + "''s key in the genesis (sha256 "
              + OperatorKey.fingerprintHex(listed.get().getPublicKeySpki().toByteArray()) + ")");
        }
      }
      return loaded;
    }
  }

  @Command(name = "propose", description = {"Sign a governance proposal and submit it (it counts as your approval).",
      "Exactly one action: --set-policy, --remove-node, --rotate-key or --set-operators."})
  static final class Propose implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin SignerOptions signer;
    @Mixin NodeOptions node;

    @Option(names = "--set-policy", paramLabel = "FILE.yaml", description = "Replace the policy (a code upgrade, a TCB floor).")
    Path setPolicy;

    @Option(names = "--remove-node", paramLabel = "ID", description = "Remove a member (its node id).")
    String removeNode;

    @Option(names = "--rotate-key", description = "Start a new key epoch.")
    boolean rotateKey;

    @Option(names = "--set-protocol-version", paramLabel = "V",
        description = "Raise the cluster's protocol version to V (applies only once every member's build advertised V; "
            + "it never goes down). See 'veilraft status', column PROTO.")
    Integer setProtocolVersion;

    @Option(names = "--set-operators", paramLabel = "name=N,key=FILE.pub[,nodes-max=K]",
        description = "Replace the operator set: one per operator, repeatable; with --new-threshold.")
    List<String> setOperators = new ArrayList<>();

    @Option(names = "--new-threshold", paramLabel = "M", description = "Governance threshold of the new operator set.")
    Integer newThreshold;

    @Option(names = "--nodes-max", defaultValue = "9", paramLabel = "K",
        description = "nodes-max of --set-operators entries that give none (default: ${DEFAULT-VALUE}).")
    int nodesMax;

    @Option(names = "--expires", defaultValue = "24h", paramLabel = "DURATION",
        description = "Lifetime from now (default: ${DEFAULT-VALUE}; at most the genesis proposal ttl max).")
    String expires;

    @Option(names = "--summary", defaultValue = "", paramLabel = "TEXT", description = "Why, for the other operators (<= 256 chars).")
    String summary;

    @Option(names = "--out", paramLabel = "FILE", description = "Only write the signed proposal (JSON) here; send nothing.")
    Path out;

    @Override
    public Integer call() throws Exception {
      long expiresAt = System.currentTimeMillis() + Durations.parseMs(expires, "--expires");
      GovProposal.Builder proposal = GovernanceMessages.proposal(signer.clusterId(), signer.operator, expiresAt, summary);
      setAction(proposal);
      SignedGov signed = GovernanceMessages.sign(proposal.build(), signer.loadKey());
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.println("proposal " + Hashes.hex(GovernanceMessages.proposalId(signed)) + ": "
          + GovernanceMessages.describeAction(proposal.build()));
      return deliver(spec, node, out, PROPOSALS_PATH, signed);
    }

    private void setAction(GovProposal.Builder proposal) throws Exception {
      int actions = (setPolicy != null ? 1 : 0) + (removeNode != null ? 1 : 0) + (rotateKey ? 1 : 0)
          + (setOperators.isEmpty() ? 0 : 1) + (setProtocolVersion != null ? 1 : 0);
      if (actions != 1) {
        throw new IllegalArgumentException("give exactly one action: --set-policy FILE, --remove-node ID, --rotate-key, "
            + "--set-protocol-version V or --set-operators SPEC... --new-threshold M");
      }
      if (newThreshold != null && setOperators.isEmpty()) {
        throw new IllegalArgumentException("--new-threshold goes with --set-operators");
      }
      if (setPolicy != null) {
        proposal.setSetPolicy(PolicyFile.read(setPolicy));
      } else if (removeNode != null) {
        proposal.setRemoveNode(RemoveNodeAction.newBuilder().setNodeId(removeNode));
      } else if (rotateKey) {
        proposal.setRotateKey(RotateKeyAction.getDefaultInstance());
      } else if (setProtocolVersion != null) {
        if (setProtocolVersion < 2 || setProtocolVersion > dev.veilraft.membership.ProtocolVersions.VERSION_LIMIT) {
          throw new IllegalArgumentException("--set-protocol-version is " + setProtocolVersion + ", expected 2.."
              + dev.veilraft.membership.ProtocolVersions.VERSION_LIMIT + " (version 1 is every cluster's start)");
        }
        proposal.setSetProtocolVersion(dev.veilraft.membership.proto.SetProtocolVersionAction.newBuilder()
            .setVersion(setProtocolVersion));
      } else {
        if (newThreshold == null) {
          throw new IllegalArgumentException("--set-operators needs --new-threshold M");
        }
        OperatorSetAction.Builder set = OperatorSetAction.newBuilder().setThreshold(newThreshold);
        for (String spec : setOperators) {
          set.addOperators(OperatorSpec.parse(spec, "--set-operators", nodesMax));
        }
        Optional<String> problem = Operators.problem(set.getOperatorsList(), newThreshold, "set_operators.",
            "--new-threshold");
        if (problem.isPresent()) {
          throw new IllegalArgumentException(problem.get());
        }
        proposal.setSetOperators(set);
      }
    }
  }

  @Command(name = "vote", description = "Sign a ballot on a recorded proposal and submit it.")
  static final class Vote implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin SignerOptions signer;
    @Mixin NodeOptions node;

    @Option(names = "--proposal", required = true, paramLabel = "HEX", description = "The proposal id (64 hex digits).")
    String proposal;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Choice choice;

    static final class Choice {
      @Option(names = "--approve", required = true, description = "Approve the proposal.")
      boolean approve;

      @Option(names = "--reject", required = true, description = "Reject the proposal.")
      boolean reject;
    }

    @Option(names = "--out", paramLabel = "FILE", description = "Only write the signed ballot (JSON) here; send nothing.")
    Path out;

    @Override
    public Integer call() throws Exception {
      if (!PROPOSAL_ID.matcher(proposal).matches()) {
        throw new IllegalArgumentException("--proposal '" + proposal + "' is not 64 hex digits");
      }
      SignedGov signed = GovernanceMessages.sign(GovernanceMessages.ballot(signer.clusterId(), Hashes.unhex(proposal),
          signer.operator, choice.approve), signer.loadKey());
      spec.commandLine().getOut().println((choice.approve ? "approve" : "reject") + " proposal " + proposal.toLowerCase(
          java.util.Locale.ROOT) + " as operator '" + signer.operator + "'");
      return deliver(spec, node, out, BALLOTS_PATH, signed);
    }
  }

  @Command(name = "list", description = "List the proposals a node has recorded, open ones first.")
  static final class ListProposals implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin NodeOptions node;

    @Option(names = "--json", description = "Print the node's JSON answer as is.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      byte[] answer = node.connect(spec.commandLine().getErr()).get(PROPOSALS_PATH);
      PrintWriter stdout = spec.commandLine().getOut();
      if (json) {
        stdout.print(new String(answer, java.nio.charset.StandardCharsets.UTF_8));
        stdout.flush();
        return 0;
      }
      JsonNode proposals = GovernanceJson.tree(answer).path("proposals");
      stdout.println(proposals.size() + " proposals");
      for (JsonNode p : proposals) {
        // Expiry is applied by the next governance entry, so an open proposal may already be past its time.
        boolean overdue = p.path("status").asText().equals("OPEN")
            && p.path("expires_at_ms").asLong() <= System.currentTimeMillis();
        stdout.println(p.path("id").asText() + "  " + p.path("status").asText() + (overdue ? " (expired)" : "") + "  "
            + p.path("action").asText());
        stdout.println("    proposer " + p.path("proposer").asText() + ", approvals " + p.path("approvals")
            + ", rejections " + p.path("rejections") + ", expires at " + java.time.Instant.ofEpochMilli(
                p.path("expires_at_ms").asLong()));
        if (!p.path("summary").asText().isEmpty()) {
          stdout.println("    summary: " + p.path("summary").asText());
        }
        if (!p.path("outcome").asText().isEmpty()) {
          stdout.println("    outcome: " + p.path("outcome").asText());
        }
      }
      return 0;
    }
  }

  @Command(name = "submit", description = "Submit a signed proposal or ballot written earlier with --out.")
  static final class Submit implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin NodeOptions node;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    static final class Which {
      @Option(names = "--proposal-file", required = true, paramLabel = "FILE", description = "A signed proposal (JSON).")
      Path proposal;

      @Option(names = "--ballot-file", required = true, paramLabel = "FILE", description = "A signed ballot (JSON).")
      Path ballot;
    }

    @Override
    public Integer call() throws Exception {
      Path file = which.proposal != null ? which.proposal : which.ballot;
      if (Files.size(file) > SIGNED_FILE_BYTES_MAX) {
        throw new IllegalArgumentException(file + " is larger than " + SIGNED_FILE_BYTES_MAX + " bytes");
      }
      SignedGov signed;
      try {
        signed = GovernanceJson.parseSigned(Files.readAllBytes(file));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(file + ": " + ErrorMessages.describe(e), e);
      }
      return deliver(spec, node, null, which.proposal != null ? PROPOSALS_PATH : BALLOTS_PATH, signed);
    }
  }

  /** Writes the signed message to {@code out}, or posts it and prints the node's result. */
  static int deliver(CommandSpec spec, NodeOptions node, Path out, String path, SignedGov signed) throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    if (out != null) {
      Files.write(out, GovernanceJson.signed(signed));
      stdout.println("wrote " + out + "; submit it with 'veilraft gov submit --node URL --"
          + (path.equals(PROPOSALS_PATH) ? "proposal" : "ballot") + "-file " + out + "'");
      return 0;
    }
    byte[] answer;
    try {
      answer = node.connect(spec.commandLine().getErr()).postJson(path, GovernanceJson.signed(signed));
    } catch (CryptoException e) {
      throw new IllegalArgumentException(ErrorMessages.describe(e), e);
    }
    JsonNode result = GovernanceJson.tree(answer);
    stdout.println(result.path("code").asText() + ": " + result.path("reason").asText());
    return result.path("accepted").asBoolean() ? 0 : 1;
  }
}
