package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.membership.ScenarioNode.EvidenceKind;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The parties of a scenario, by the names the file gives them: operators (a key each, made on
 * first use, so {@code by=mallory} is an operator nobody listed), nodes, and the code they run
 * (measurement names: {@code approved} is the genesis measurement, {@code other} the fixture's
 * altered code, any other word a measurement of its own).
 */
final class ScenarioCast {
  /** A cluster id that is not this scenario's. */
  static final byte[] OTHER_CLUSTER = Hashes.sha256(Hashes.utf8("another cluster"));

  private final SimulatedMembers sim;
  private final Map<String, OperatorKey> operatorKeys = new TreeMap<>();
  private final Map<String, ScenarioNode> nodes = new LinkedHashMap<>();
  private final Map<String, byte[]> measurements = new LinkedHashMap<>();
  private int chipsTaken;

  ScenarioCast(SimulatedMembers sim) {
    this.sim = sim;
    measurements.put("approved", SimulatedMembers.MEASUREMENT);
    measurements.put("other", SimulatedMembers.OTHER_MEASUREMENT);
  }

  OperatorKey operatorKey(String name) {
    return operatorKeys.computeIfAbsent(name, n -> OperatorKey.generate());
  }

  /** The operator entry a genesis or an operator-set proposal lists for {@code name}. */
  Operator operator(String name, int nodesMax) {
    return Operator.newBuilder().setName(name).setNodesMax(nodesMax)
        .setPublicKeySpki(ByteString.copyFrom(operatorKey(name).publicKeySpki())).build();
  }

  /** The named operator's key, or a key nobody listed when {@code forged}. */
  OperatorKey signer(String name, boolean forged) {
    return forged ? OperatorKey.generate() : operatorKey(name);
  }

  boolean hasNode(String name) {
    return nodes.containsKey(name);
  }

  /** A new node with fresh keys on its own chip, or on the chip of node {@code chipOf}. */
  ScenarioNode newNode(String name, String chipOf, String measurement) {
    if (nodes.containsKey(name)) {
      throw new IllegalArgumentException("node " + name + " exists already (its chip and code are fixed; use "
          + "'upgrade')");
    }
    // Pooled chips and keys (see SimulatedMembers.pooledChip): distinct within this cast, made once per test JVM.
    SimulatedSnpChip chip = chipOf != null ? node(chipOf).chip : sim.pooledChip(chipsTaken++);
    SimulatedMembers.Keys keys = sim.pooledKeys(nodes.size());
    ScenarioNode node = new ScenarioNode(name, keys.identity(), keys.kem(), chip, measurement(measurement));
    nodes.put(name, node);
    return node;
  }

  ScenarioNode node(String name) {
    ScenarioNode n = nodes.get(name);
    if (n == null) {
      throw new IllegalArgumentException("unknown node '" + name + "' (nodes come from 'start' and 'join')");
    }
    return n;
  }

  ScenarioNode nodeWithId(String id) {
    return nodes.values().stream().filter(n -> n.id().equals(id)).findFirst()
        .orElseThrow(() -> new AssertionError("node id " + id + " belongs to no scenario node"));
  }

  /** The id of a node name; a name no node has stands for itself (a node id nobody holds). */
  String idOrName(String name) {
    return nodes.containsKey(name) ? nodes.get(name).id() : name;
  }

  /** The scenario name of a node id, or the id itself. */
  String nameOf(String id) {
    return nodes.values().stream().filter(n -> n.id().equals(id)).map(n -> n.name).findFirst().orElse(id);
  }

  byte[] measurement(String name) {
    return measurements.computeIfAbsent(name, n -> Hashes.sha384(Hashes.utf8("veilraft scenario code: " + n)));
  }

  /** The name of a measurement, or its hex when the scenario never named it. */
  String measurementName(byte[] value) {
    return measurements.entrySet().stream().filter(e -> Arrays.equals(e.getValue(), value)).map(Map.Entry::getKey)
        .findFirst().orElse(Hashes.shortHex(value, 8));
  }

  Evidence evidence(ScenarioNode node, byte[] nonce, EvidenceKind kind) {
    return node.evidence(nonce, kind, measurement("other"), sim::newChip);
  }

  /**
   * {@code operator}'s endorsement of {@code node} signed with {@code signer}'s key, or a variant:
   * {@code forged} (a key nobody listed), {@code missing} (empty), {@code other-cluster}.
   */
  Optional<OperatorEndorsement> endorsement(String variant, String operator, String signer, ScenarioNode node,
      byte[] clusterId) {
    byte[] spki = node.identity.spki();
    return switch (variant) {
      case "genuine" -> Optional.of(Endorsements.sign(operatorKey(signer), operator, clusterId, spki));
      case "forged" -> Optional.of(Endorsements.sign(OperatorKey.generate(), operator, clusterId, spki));
      case "missing" -> Optional.empty();
      case "other-cluster" -> Optional.of(Endorsements.sign(operatorKey(signer), operator, OTHER_CLUSTER, spki));
      default -> throw new IllegalArgumentException("endorsement=" + variant
          + " is not one of genuine, forged, missing, other-cluster");
    };
  }
}
