package dev.veilraft.simulator.attack;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import dev.veilraft.node.NodeConfig;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.List;

/**
 * The TEEs of attacking nodes: each is a simulated SEV-SNP chip of the cluster's (simulated)
 * vendor whose evidence is wrong in exactly one way, so the refusal must name that one way.
 */
public final class Attackers {
  /** Bit 19 of the SNP guest policy: the guest may be debugged, so its memory is open to the host. */
  public static final long GUEST_POLICY_DEBUG = 1L << 19;
  /** Offset of the signature in an SNP attestation report (r, little-endian, first). */
  static final int REPORT_SIGNATURE_OFFSET = 0x2A0;

  private Attackers() {}

  static SimulatedSnpChip chip(NodeConfig config) throws IOException {
    return SimulatedSnpChip.openOrCreate(config.dataDir().resolve("simulated-chip"),
        SimulatedSnpVendor.openOrCreate(config.simulated().vendorDir()));
  }

  /** Code that is not the approved code: the measurement of an altered image. */
  public static Attester rogueMeasurement(NodeConfig config) throws IOException {
    return SimulatedSnpAttester.create(chip(config), CodeMeasurement.of(Hashes.sha384(Hashes.utf8("altered code")),
        List.of()));
  }

  /** The approved code, launched with the debug policy bit set. */
  public static Attester debugPolicy(NodeConfig config, byte[] allowedMeasurement) throws IOException {
    return SimulatedSnpAttester.builder(chip(config), allowedMeasurement)
        .guestPolicy(SimulatedSnpAttester.GUEST_POLICY_DEFAULT | GUEST_POLICY_DEBUG).build();
  }

  /** Genuine evidence produced once for another nonce, sent again for every challenge. */
  public static Attester replayedEvidence(NodeConfig config, byte[] allowedMeasurement)
      throws IOException, AttestationException {
    SimulatedSnpAttester genuine = SimulatedSnpAttester.create(chip(config), allowedMeasurement);
    byte[] old = new byte[64];
    new SecureRandom().nextBytes(old);
    return fixed(genuine, genuine.attest(old));
  }

  /** Genuine evidence whose report signature has one byte changed. */
  public static Attester forgedSignature(NodeConfig config, byte[] allowedMeasurement) throws IOException {
    SimulatedSnpAttester genuine = SimulatedSnpAttester.create(chip(config), allowedMeasurement);
    return new Attester() {
      @Override
      public Platform platform() {
        return genuine.platform();
      }

      @Override
      public Evidence attest(byte[] reportData) throws AttestationException {
        Evidence real = genuine.attest(reportData);
        byte[] report = real.getReport().toByteArray();
        report[REPORT_SIGNATURE_OFFSET] ^= 0x01;
        return real.toBuilder().setReport(ByteString.copyFrom(report)).build();
      }

      @Override
      public byte[] measurement() {
        return genuine.measurement();
      }
    };
  }

  /**
   * A stolen identity: a member's genuine evidence (from the public cluster description; it binds
   * that member's keys), presented by a node with keys of its own.
   */
  public static Attester stolenEvidence(NodeConfig config, byte[] allowedMeasurement, Evidence victims)
      throws IOException {
    return fixed(SimulatedSnpAttester.create(chip(config), allowedMeasurement), victims);
  }

  private static Attester fixed(Attester shape, Evidence evidence) {
    return new Attester() {
      @Override
      public Platform platform() {
        return shape.platform();
      }

      @Override
      public Evidence attest(byte[] reportData) {
        return evidence;
      }

      @Override
      public byte[] measurement() {
        return shape.measurement();
      }
    };
  }
}
