package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SnpReport;
import dev.veilraft.crypto.proto.Evidence;
import java.util.function.Supplier;

/**
 * A scenario's node: its name in the file, identity and KEM keys, the simulated chip it runs on
 * and the code it runs (a measurement that {@code upgrade} changes), and the last evidence it sent
 * (so a scenario can replay it). Evidence variants play the attacks the rules must refuse.
 */
final class ScenarioNode {
  /** Where an SEV-SNP report keeps MEASUREMENT (AMD SEV-SNP ABI, ATTESTATION_REPORT offset 0x90, 48 bytes). */
  private static final int SNP_MEASUREMENT_OFFSET = 0x090;

  /** The evidence a node presents: genuine, or one of the attacks. */
  enum EvidenceKind {
    GENUINE("genuine"),
    /** The evidence the node sent last time (an earlier nonce): REPORT_DATA_MISMATCH. */
    REPLAYED("replayed"),
    /** Other code's report with the allowed measurement written over it: SIGNATURE_INVALID. */
    FORGED("forged"),
    /** A guest launched with the debug policy bit: DEBUG_ENABLED. */
    DEBUG("debug"),
    /** Bound to the nonce but to another identity key (key substitution): REPORT_DATA_MISMATCH. */
    WRONG_KEY("wrong-key"),
    /** Genuine evidence of other code: MEASUREMENT_NOT_ALLOWED. */
    OTHER_MEASUREMENT("other-measurement"),
    /** Genuine evidence from another chip than the one the node was admitted on: PLATFORM_INSTANCE_CHANGED. */
    OTHER_CHIP("other-chip");

    final String word;

    EvidenceKind(String word) {
      this.word = word;
    }

    static EvidenceKind of(String word) {
      for (EvidenceKind k : values()) {
        if (k.word.equals(word)) {
          return k;
        }
      }
      throw new IllegalArgumentException("evidence=" + word + " is not one of genuine, replayed, forged, debug, "
          + "wrong-key, other-measurement, other-chip");
    }
  }

  final String name;
  final NodeIdentity identity;
  final KemKeyPair kem;
  final SimulatedSnpChip chip;
  byte[] measurement;
  Evidence lastEvidence;

  ScenarioNode(String name, NodeIdentity identity, KemKeyPair kem, SimulatedSnpChip chip, byte[] measurement) {
    this.name = name;
    this.identity = identity;
    this.kem = kem;
    this.chip = chip;
    this.measurement = measurement.clone();
  }

  String id() {
    return identity.nodeId();
  }

  /**
   * Evidence of {@code kind} bound to {@code nonce}; genuine evidence is remembered as the last sent.
   * {@code newChip} supplies the other chip of {@link EvidenceKind#OTHER_CHIP}.
   */
  Evidence evidence(byte[] nonce, EvidenceKind kind, byte[] otherMeasurement, Supplier<SimulatedSnpChip> newChip) {
    byte[] bound = ReportData.bind(nonce, identity.spki(), kem.publicKey());
    Evidence evidence = switch (kind) {
      case GENUINE -> attest(SimulatedSnpAttester.create(chip, measurement), bound);
      case REPLAYED -> {
        if (lastEvidence == null) {
          throw new IllegalArgumentException("node " + name + " has sent no evidence yet to replay");
        }
        yield lastEvidence;
      }
      case FORGED -> forge(attest(SimulatedSnpAttester.create(chip, otherMeasurement), bound));
      case DEBUG -> attest(SimulatedSnpAttester.builder(chip, measurement)
          .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | SnpReport.POLICY_DEBUG_BIT).build(), bound);
      case WRONG_KEY -> attest(SimulatedSnpAttester.create(chip, measurement), ReportData.bind(nonce,
          NodeIdentity.generate(SimulatedMembers.CERTS_NOT_BEFORE).spki(), kem.publicKey()));
      case OTHER_MEASUREMENT -> attest(SimulatedSnpAttester.create(chip, otherMeasurement), bound);
      case OTHER_CHIP -> attest(SimulatedSnpAttester.create(newChip.get(), measurement), bound);
    };
    if (kind == EvidenceKind.GENUINE) {
      lastEvidence = evidence;
    }
    return evidence;
  }

  /** Writes this node's allowed measurement over a report of other code, leaving the chip's signature as it was. */
  private Evidence forge(Evidence genuine) {
    byte[] report = genuine.getReport().toByteArray();
    System.arraycopy(measurement, 0, report, SNP_MEASUREMENT_OFFSET, measurement.length);
    return genuine.toBuilder().setReport(ByteString.copyFrom(report)).build();
  }

  private static Evidence attest(SimulatedSnpAttester attester, byte[] reportData) {
    try {
      return attester.attest(reportData);
    } catch (AttestationException e) {
      throw new IllegalStateException("simulated attester failed: " + e.getMessage(), e);
    }
  }
}
