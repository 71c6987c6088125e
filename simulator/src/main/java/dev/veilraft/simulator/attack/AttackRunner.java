package dev.veilraft.simulator.attack;

import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.client.proto.MemberInfo;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import dev.veilraft.simulator.check.MembershipObserver;
import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.cluster.SimLayout;
import dev.veilraft.simulator.fault.Fault;
import dev.veilraft.simulator.fault.FaultKind;
import dev.veilraft.simulator.workload.ClientFactory;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs the attacks of a schedule. A joining attacker runs in this JVM (it is refused before it
 * starts Raft, so it needs no proxy), tries each running member in turn until one answers, and
 * must be refused with the reason its one defect calls for. The host attacks (a removed member
 * coming back, flipped bytes in a member's files) are in {@link HostAttacks}.
 */
public final class AttackRunner {
  /** Members an attacker tries before the attack counts as inconclusive. */
  static final int joinAttemptsMax = 3;

  private final SimCluster cluster;
  private final MembershipObserver observer;
  private final ClientFactory clients;
  private final HostAttacks host;

  public AttackRunner(SimCluster cluster, MembershipObserver observer, ClientFactory clients, Random random) {
    this.cluster = cluster;
    this.observer = observer;
    this.clients = clients;
    this.host = new HostAttacks(cluster, observer, random);
  }

  /** What an attack came to: whether the cluster refused it as it must, and how. */
  public record Outcome(boolean passed, String detail) {}

  public Outcome run(Fault.Attack attack) throws InterruptedException {
    return switch (attack.kind()) {
      case REMOVED_RETURN -> host.removedReturn(attack.slot());
      case TAMPER_FILES -> host.tamperFiles(attack.victim());
      default -> join(attack);
    };
  }

  /** The reason each joining attacker must be refused with. */
  static String expectedCode(FaultKind kind) {
    return switch (kind) {
      case ROGUE_MEASUREMENT -> "MEASUREMENT_NOT_ALLOWED";
      case DEBUG_POLICY -> "DEBUG_ENABLED";
      case REPLAYED_EVIDENCE, STOLEN_IDENTITY -> "REPORT_DATA_MISMATCH";
      case FORGED_SIGNATURE -> "SIGNATURE_INVALID";
      default -> throw new IllegalArgumentException(kind + " is not a joining attacker");
    };
  }

  private Outcome join(Fault.Attack attack) throws InterruptedException {
    NodeConfig config = cluster.layout().config(attack.slot());
    observer.attacker(cluster.layout().nodeIds().get(attack.slot()));
    String expected = expectedCode(attack.kind());
    Attester attester;
    try {
      attester = attester(attack, config);
    } catch (IOException | AttestationException | ClientException e) {
      return new Outcome(false, "cannot prepare the attacker: " + e.getMessage());
    }
    List<String> tries = new ArrayList<>();
    for (int slot = 0; slot < cluster.layout().slots() && tries.size() < joinAttemptsMax; slot++) {
      if (!cluster.running(slot) || slot == attack.slot()) {
        continue;
      }
      try (VeilraftNode admitted = VeilraftNode.join(config, cluster.api(slot), Clock.systemUTC(), attester)) {
        return new Outcome(false, "ADMITTED: the attacker " + admitted.nodeId() + " joined through "
            + SimLayout.name(slot));
      } catch (NodeException e) {
        if (e.code().equals(expected)) {
          return new Outcome(true, "refused by " + SimLayout.name(slot) + ": " + e.code());
        }
        tries.add(SimLayout.name(slot) + ": " + e.code() + " " + oneLine(e.getMessage()));
        if (!transientCode(e.code())) {
          return new Outcome(false, "refused for the wrong reason (expected " + expected + ") by " + tries.get(
              tries.size() - 1));
        }
      }
    }
    return new Outcome(false, "inconclusive: no member answered the attacker (" + String.join("; ", tries) + ")");
  }

  /** Failures that say nothing about the attack: the member was unreachable or busy. */
  private static boolean transientCode(String code) {
    return code.equals("UNREACHABLE") || code.equals("NOT_READY") || code.equals("TIMEOUT") || code.startsWith("HTTP_5")
        || code.equals("COMMIT_FAILED") || code.equals("CONNECT_TIMEOUT");
  }

  private Attester attester(Fault.Attack attack, NodeConfig config)
      throws IOException, AttestationException, ClientException, InterruptedException {
    byte[] allowed = cluster.layout().cluster().genesis().policy().getAllowedMeasurements(0).toByteArray();
    return switch (attack.kind()) {
      case ROGUE_MEASUREMENT -> Attackers.rogueMeasurement(config);
      case DEBUG_POLICY -> Attackers.debugPolicy(config, allowed);
      case REPLAYED_EVIDENCE -> Attackers.replayedEvidence(config, allowed);
      case FORGED_SIGNATURE -> Attackers.forgedSignature(config, allowed);
      case STOLEN_IDENTITY -> Attackers.stolenEvidence(config, allowed, victimEvidence(attack.victim()));
      default -> throw new IllegalArgumentException(attack.kind() + " is not a joining attacker");
    };
  }

  /** A member's evidence as any client sees it in the cluster description. */
  private dev.veilraft.crypto.proto.Evidence victimEvidence(int victim) throws ClientException, InterruptedException {
    String victimId = cluster.layout().nodeIds().get(victim);
    ClientException last = null;
    for (int slot = 0; slot < cluster.layout().members(); slot++) {
      if (!cluster.running(slot)) {
        continue;
      }
      try {
        try (VeilraftClient client = clients.connect(slot)) {
          for (MemberInfo m : client.cluster().body().getMembersList()) {
            if (m.getNodeId().equals(victimId)) {
              return m.getEvidence();
            }
          }
        }
      } catch (ClientException e) {
        last = e;
      }
    }
    throw last != null ? last : new ClientException("NO_VICTIM", "member " + victimId + " is in no cluster description");
  }

  static String oneLine(String s) {
    String line = s == null ? "" : s.replace('\n', ' ');
    return line.length() > 160 ? line.substring(0, 160) + "…" : line;
  }
}
