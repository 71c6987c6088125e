package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorSignature;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.PolicyFile;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Genesis tooling: create a genesis, let each operator sign it, verify and show it. The file is a
 * GenesisFile protobuf: the serialized Genesis (hashed for the cluster id) plus the operators'
 * signatures over {@code "veilraft/genesis/v1" || cluster_id}.
 */
@Command(name = "genesis", description = "Create, sign, verify and inspect genesis documents.",
    subcommands = {GenesisCommand.Create.class, GenesisCommand.Sign.class, GenesisCommand.Verify.class,
        GenesisCommand.Show.class})
final class GenesisCommand {

  @Command(name = "create", description = {"Create a genesis document.",
      "Hardware clusters: --policy FILE (a YAML attestation policy, see 'veilraft verify --help').",
      "Simulated clusters (INSECURE): --sim-vendor DIR and --allow-measurement HEX.",
      "Operators: --operator name=N,key=N.pub[,nodes-max=K] for each (keys from 'veilraft operator keygen') and "
          + "--threshold M; then every operator runs 'veilraft genesis sign'. Without --operator, one operator "
          + "'local' is created (or reused) next to --out and signs at once."},
      footer = {"", "Durations: 500ms, 30s, 10m, 24h, 7d. Omitted rules take the defaults 'genesis show' prints."})
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, description = "Genesis file to write.")
    Path out;

    @Option(names = "--name", defaultValue = "demo", description = "Cluster name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--policy", paramLabel = "FILE", description = "Attestation policy (YAML) for real TEEs.")
    Path policy;

    @Option(names = "--policy-name", defaultValue = "default",
        description = "Policy name of a simulated cluster (default: ${DEFAULT-VALUE}).")
    String policyName;

    @Option(names = "--sim-vendor", paramLabel = "DIR",
        description = "Simulated TEE vendor directory (created if absent); its root is pinned in the policy.")
    Path simVendor;

    @Option(names = "--allow-measurement", paramLabel = "HEX",
        description = "Allowed launch measurement of a simulated cluster (96 hex digits); repeatable.")
    List<String> measurements = new ArrayList<>();

    @Option(names = "--operator", paramLabel = "name=N,key=FILE.pub[,nodes-max=K]",
        description = "An operator and its public key; repeatable. nodes-max defaults to --members-max.")
    List<String> operators = new ArrayList<>();

    @Option(names = "--threshold", paramLabel = "M",
        description = "Operators that must approve a governance proposal (1..operators; required with several).")
    Integer threshold;

    @Option(names = "--members-max", defaultValue = "9", description = "Most admitted members (default: ${DEFAULT-VALUE}).")
    int membersMax;

    @Option(names = "--join-window", paramLabel = "DURATION", description = "How long a join challenge stays valid (default 60s).")
    String joinWindow;

    @Option(names = "--diversity", paramLabel = "listener|refuse|off", description = "What a join that would give one "
        + "operator a Raft majority becomes (default: off with one operator, listener with several).")
    String diversity;

    @Option(names = "--allow-shared-platform-instance",
        description = "Admit two members on the same chip / PCK key / Nitro module (default: refused).")
    boolean allowSharedPlatformInstance;

    @Option(names = "--reattest-interval", paramLabel = "DURATION", description = "Re-attestation beacon interval.")
    String reattestInterval;

    @Option(names = "--reattest-grace", paramLabel = "DURATION", description = "How long a beacon may stay unanswered.")
    String reattestGrace;

    @Option(names = "--policy-grace", paramLabel = "DURATION",
        description = "How long members failing a changed policy stay.")
    String policyGrace;

    @Option(names = "--rotation-interval", paramLabel = "DURATION", description = "Scheduled key rotation interval.")
    String rotationInterval;

    @Option(names = "--proposal-ttl-max", paramLabel = "DURATION", description = "Longest governance proposal lifetime.")
    String proposalTtlMax;

    @Option(names = "--protocol-version", paramLabel = "V", description = "The protocol version the cluster starts at "
        + "(default 1; later raised only by 'gov propose --set-protocol-version'). Every founding build must apply it.")
    Integer protocolVersion;

    @Override
    public Integer call() throws Exception {
      PrintWriter stdout = spec.commandLine().getOut();
      Genesis.Builder builder = base();
      builder.setMembersMax(membersMax);
      if (joinWindow != null) {
        builder.setJoinWindowMs(Durations.parseMs(joinWindow, "--join-window"));
      }
      Map<String, OperatorKey> signers = new LinkedHashMap<>();
      if (operators.isEmpty()) {
        Path dir = out.toAbsolutePath().getParent();
        boolean existed = Files.exists(dir.resolve(LocalCluster.LOCAL_OPERATOR + ".key"));
        OperatorKey key = LocalCluster.operatorKey(dir, LocalCluster.LOCAL_OPERATOR);
        signers.put(LocalCluster.LOCAL_OPERATOR, key);
        builder.addOperators(LocalCluster.operator(LocalCluster.LOCAL_OPERATOR, key, membersMax));
        stdout.println("no --operator given: operator '" + LocalCluster.LOCAL_OPERATOR + "' ("
            + (existed ? "existing" : "new") + " key " + dir.resolve(LocalCluster.LOCAL_OPERATOR + ".key")
            + ") runs this cluster alone and signs it");
      } else {
        for (String operator : operators) {
          builder.addOperators(OperatorSpec.parse(operator, "--operator", membersMax));
        }
      }
      int count = builder.getOperatorsCount();
      if (threshold == null && count > 1) {
        throw new IllegalArgumentException("--threshold is required with " + count + " operators (1.." + count + ")");
      }
      builder.setGovernanceThreshold(threshold == null ? 1 : threshold);
      builder.setRules(rules(count));
      if (protocolVersion != null) {
        if (protocolVersion < 1) {
          throw new IllegalArgumentException("--protocol-version is " + protocolVersion + ", expected 1.."
              + dev.veilraft.membership.ProtocolVersions.VERSION_LIMIT);
        }
        builder.setProtocolVersion(protocolVersion);
      }
      GenesisDocument genesis = GenesisDocument.create(builder.build());
      for (Map.Entry<String, OperatorKey> signer : signers.entrySet()) {
        genesis = genesis.sign(signer.getKey(), signer.getValue());
      }
      genesis.write(out);
      stdout.println("cluster id " + genesis.clusterIdHex());
      if (!genesis.fullySigned()) {
        stdout.println("next: every operator signs it: veilraft genesis sign --key N.key --operator N " + out);
      }
      return 0;
    }

    private Genesis.Builder base() throws Exception {
      if (policy != null) {
        if (simVendor != null || !measurements.isEmpty()) {
          throw new IllegalArgumentException("--policy makes a hardware cluster; --sim-vendor and "
              + "--allow-measurement are for simulated clusters (measurements go in the policy file)");
        }
        return LocalCluster.hardwareGenesisBuilder(name, PolicyFile.read(policy));
      }
      if (simVendor == null || measurements.isEmpty()) {
        throw new IllegalArgumentException("give --policy FILE (hardware cluster) or --sim-vendor DIR and "
            + "--allow-measurement HEX (simulated cluster, INSECURE)");
      }
      List<byte[]> allowed = new ArrayList<>();
      for (String m : measurements) {
        allowed.add(Hashes.unhex(m));
      }
      return LocalCluster.simulatedGenesisBuilder(name, policyName, SimulatedSnpVendor.openOrCreate(simVendor), allowed);
    }

    private MembershipRules rules(int operatorCount) {
      MembershipRules.Builder rules = MembershipRules.newBuilder();
      String action = diversity != null ? diversity.toLowerCase(Locale.ROOT) : operatorCount == 1 ? "off" : "listener";
      rules.setDiversity(switch (action) {
        case "listener" -> DiversityAction.DIVERSITY_LISTENER;
        case "refuse" -> DiversityAction.DIVERSITY_REFUSE;
        case "off" -> DiversityAction.DIVERSITY_OFF;
        default -> throw new IllegalArgumentException("--diversity '" + diversity + "': expected listener, refuse or off");
      });
      rules.setAllowSharedPlatformInstance(allowSharedPlatformInstance);
      if (reattestInterval != null) {
        rules.setReattestIntervalMs(Durations.parseMs(reattestInterval, "--reattest-interval"));
      }
      if (reattestGrace != null) {
        rules.setReattestGraceMs(Durations.parseMs(reattestGrace, "--reattest-grace"));
      }
      if (policyGrace != null) {
        rules.setPolicyGraceMs(Durations.parseMs(policyGrace, "--policy-grace"));
      }
      if (rotationInterval != null) {
        rules.setRotationIntervalMs(Durations.parseMs(rotationInterval, "--rotation-interval"));
      }
      if (proposalTtlMax != null) {
        rules.setProposalTtlMsMax(Durations.parseMs(proposalTtlMax, "--proposal-ttl-max"));
      }
      return rules.build();
    }
  }

  @Command(name = "sign", description = {"Add (or replace) one operator's signature to a genesis file, in place.",
      "The key must be the operator's key listed in the genesis."})
  static final class Sign implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--key", required = true, paramLabel = "FILE", description = "The operator's private key (N.key).")
    Path key;

    @Option(names = "--operator", required = true, paramLabel = "N", description = "The operator's name in the genesis.")
    String operator;

    @Parameters(index = "0", paramLabel = "FILE", description = "Genesis file (rewritten atomically).")
    Path file;

    @Override
    public Integer call() throws Exception {
      GenesisDocument signed = GenesisDocument.read(file).sign(operator, OperatorKey.load(key));
      signed.write(file);
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.println("signed cluster " + signed.clusterIdHex() + " as operator '" + operator + "'");
      List<String> problems = signed.verifySignatures();
      stdout.println(problems.isEmpty() ? "fully signed" : "still needed: " + String.join("; ", problems));
      return 0;
    }
  }

  @Command(name = "verify", description = "Check that every operator signed the genesis with its listed key.",
      footer = {"", "Exit codes: 0 fully signed, 1 a signature is missing or bad (each is listed) or the file is invalid."})
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Genesis file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      GenesisDocument genesis = GenesisDocument.read(file);
      PrintWriter stdout = spec.commandLine().getOut();
      stdout.println("cluster id " + genesis.clusterIdHex());
      List<String> problems = genesis.verifySignatures();
      if (problems.isEmpty()) {
        stdout.println("fully signed by " + genesis.operators().size() + " operators: " + String.join(", ",
            genesis.operators().stream().map(Operator::getName).toList()));
        return 0;
      }
      problems.forEach(p -> stdout.println("problem: " + p));
      stdout.println("NOT FULLY SIGNED");
      return 1;
    }
  }

  @Command(name = "show", description = "Validate a genesis file and print it, with its operators and signatures.")
  static final class Show implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", description = "Genesis file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      GenesisDocument g = GenesisDocument.read(file);
      PrintWriter out = spec.commandLine().getOut();
      out.println("cluster id " + g.clusterIdHex());
      out.println("cluster name " + g.genesis().getClusterName());
      out.println("members max " + g.genesis().getMembersMax() + ", join window " + g.genesis().getJoinWindowMs() + " ms");
      out.println("protocol version " + g.protocolVersion() + " at start (this build applies up to "
          + dev.veilraft.membership.ProtocolVersions.BUILD_MAX + ")");
      printPolicy(out, g);
      out.println("operators (governance threshold " + g.governanceThreshold() + " of " + g.operators().size() + "):");
      for (Operator op : g.operators()) {
        out.println("  " + op.getName() + "  nodes_max " + op.getNodesMax() + "  key sha256 "
            + OperatorKey.fingerprintHex(op.getPublicKeySpki().toByteArray()));
      }
      out.println("rules: diversity " + g.diversity().name().toLowerCase(Locale.ROOT).replace("diversity_", "")
          + ", shared platform instance " + (g.allowSharedPlatformInstance() ? "allowed" : "refused")
          + ", reattest interval " + g.reattestIntervalMs() + " ms, reattest grace " + g.reattestGraceMs()
          + " ms, policy grace " + g.policyGraceMs() + " ms, rotation interval " + g.rotationIntervalMs()
          + " ms, proposal ttl max " + g.proposalTtlMsMax() + " ms");
      out.println("limits: event bytes max " + g.eventBytesMax() + ", pending per client max " + g.pendingPerClientMax()
          + ", batch events max " + g.batchEventsMax());
      out.println("signatures:");
      for (OperatorSignature s : g.signatures()) {
        out.println("  " + s.getOperator() + "  " + Hashes.shortHex(s.getSignature().toByteArray(), 8));
      }
      List<String> problems = g.verifySignatures();
      problems.forEach(p -> out.println("  problem: " + p));
      out.println(problems.isEmpty() ? "fully signed" : "NOT FULLY SIGNED");
      return 0;
    }

    private static void printPolicy(PrintWriter out, GenesisDocument g) {
      var p = g.policy();
      out.println("policy '" + p.getName() + "' sha256 " + Hashes.hex(g.policyHash())
          + (p.getAllowSimulated() ? " (allows SIMULATED members: INSECURE)" : ""));
      out.println("  platforms " + (p.getAllowedPlatformsCount() == 0 ? "any hardware" : p.getAllowedPlatformsList()));
      p.getAllowedMeasurementsList().forEach(m -> out.println("  measurement " + Hashes.hex(m.toByteArray())));
      p.getAllowedHostDataList().forEach(h -> out.println("  host data " + Hashes.hex(h.toByteArray())));
    }
  }

  private GenesisCommand() {}
}
