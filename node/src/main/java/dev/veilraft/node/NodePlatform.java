package dev.veilraft.node;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedTdxAttester;
import dev.veilraft.crypto.attestation.SimulatedTdxMachine;
import dev.veilraft.crypto.attestation.SimulatedTdxVendor;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.seal.Sealer;
import dev.veilraft.crypto.seal.SimulatedFileSealer;
import dev.veilraft.crypto.tee.AmdKdsClient;
import dev.veilraft.crypto.tee.HardwareAttesters;
import dev.veilraft.crypto.tee.SevGuestDevice;
import dev.veilraft.crypto.tee.SnpDerivedKeySealer;
import dev.veilraft.crypto.tee.SnpEndorsements;
import dev.veilraft.crypto.tee.TeeDetection;
import dev.veilraft.crypto.tee.TeeEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TEE this node runs in: how it seals secrets and how it produces evidence. The hardware
 * platform is whatever {@link TeeDetection} finds; sealing needs the SEV-SNP derived key, so TDX
 * and Nitro nodes cannot start yet (they need a key-release service). The simulated platform says
 * loudly that it protects nothing.
 */
record NodePlatform(Sealer sealer, Attester attester, String describe) {
  private static final Logger LOG = LoggerFactory.getLogger(NodePlatform.class);

  static NodePlatform open(NodeConfig config, Attester attesterOverride) throws IOException {
    return NodeConfig.PLATFORM_HARDWARE.equals(config.platform()) ? hardware(config, attesterOverride)
        : simulated(config, attesterOverride);
  }

  private static NodePlatform hardware(NodeConfig config, Attester attesterOverride) throws IOException {
    TeeEnvironment environment = TeeDetection.detect();
    if (!environment.anyTee()) {
      throw new IOException("platform is 'hardware' but " + TeeEnvironment.NO_TEE
          + "; use 'platform: simulated' for development");
    }
    Optional<TeeEnvironment.Node> sevGuest = environment.sevGuest();
    if (sevGuest.isEmpty()) {
      throw new IOException("platform is 'hardware' on " + environment.preferred().map(Enum::name).orElse("this TEE")
          + ", but node secrets can only be sealed with the SEV-SNP derived key (/dev/sev-guest) so far; TDX and "
          + "Nitro need a key-release service, which veilraft does not have yet");
    }
    try {
      Sealer sealer;
      try (SevGuestDevice device = SevGuestDevice.open(sevGuest.get().path())) {
        sealer = SnpDerivedKeySealer.open(device);
      }
      SnpEndorsements endorsements = SnpEndorsements.builder().cache(config.dataDir().resolve("amd-kds"))
          .kds(AmdKdsClient.create()).build();
      Attester attester = attesterOverride != null ? attesterOverride : HardwareAttesters.open(environment, endorsements);
      String describe = attester.platform() + " hardware, sealing with the " + sealer.describe();
      LOG.info("TEE: {}; measurement {}", describe, Hashes.hex(attester.measurement()));
      return new NodePlatform(sealer, attester, describe);
    } catch (AttestationException e) {
      throw new IOException("platform is 'hardware' but the TEE failed: " + e.getMessage(), e);
    }
  }

  private static NodePlatform simulated(NodeConfig config, Attester attesterOverride) throws IOException {
    if (!Files.isDirectory(config.simulated().vendorDir())) {
      throw new IOException("simulated.vendorDir " + config.simulated().vendorDir()
          + " does not exist: create it with 'veilraft genesis create --sim-vendor DIR'");
    }
    Sealer sealer = SimulatedFileSealer.openOrCreate(config.dataDir().resolve("simulated-seal.key"));
    byte[] code = CodeMeasurement.ofRunningCode(VeilraftNode.class);
    if (NodeConfig.Simulated.FORMAT_TDX.equals(config.simulated().formatOrDefault())) {
      SimulatedTdxVendor vendor = SimulatedTdxVendor.openOrCreate(config.simulated().vendorDir());
      SimulatedTdxMachine machine = SimulatedTdxMachine.openOrCreate(config.dataDir().resolve("simulated-tdx"), vendor);
      Attester attester = attesterOverride != null ? attesterOverride
          : SimulatedTdxAttester.create(machine, SimulatedTdxAttester.measurementOfCode(code));
      LOG.warn("SIMULATED TEE (INSECURE): TDX quotes are signed by a simulated Intel chain whose keys the host holds; "
          + "measurement {}", Hashes.hex(attester.measurement()));
      return new NodePlatform(sealer, attester, "simulated TDX (INSECURE)");
    }
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(config.simulated().vendorDir());
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(config.dataDir().resolve("simulated-chip"), vendor);
    Attester attester = attesterOverride != null ? attesterOverride : SimulatedSnpAttester.create(chip, code);
    LOG.warn("SIMULATED TEE (INSECURE): evidence is signed by a simulated AMD chain whose keys the host holds; "
        + "measurement {}", Hashes.hex(attester.measurement()));
    return new NodePlatform(sealer, attester, "simulated SEV-SNP (INSECURE)");
  }
}
