package dev.veilraft.node;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.Attester;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.seal.Sealer;
import dev.veilraft.crypto.seal.SimulatedFileSealer;
import java.io.IOException;
import java.nio.file.Files;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TEE this node runs in: how it seals secrets and how it produces evidence. Only the
 * simulated platform exists so far; it says so loudly, because it protects nothing.
 */
record NodePlatform(Sealer sealer, Attester attester, String describe) {
  private static final Logger LOG = LoggerFactory.getLogger(NodePlatform.class);

  static NodePlatform open(NodeConfig config, Attester attesterOverride) throws IOException {
    if (!Files.isDirectory(config.simulated().vendorDir())) {
      throw new IOException("simulated.vendorDir " + config.simulated().vendorDir()
          + " does not exist: create it with 'veilraft genesis create --sim-vendor DIR'");
    }
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(config.simulated().vendorDir());
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(config.dataDir().resolve("simulated-chip"), vendor);
    Sealer sealer = SimulatedFileSealer.openOrCreate(config.dataDir().resolve("simulated-seal.key"));
    Attester attester = attesterOverride != null ? attesterOverride
        : SimulatedSnpAttester.create(chip, CodeMeasurement.ofRunningCode(VeilraftNode.class));
    LOG.warn("SIMULATED TEE (INSECURE): evidence is signed by a simulated AMD chain whose keys the host holds; "
        + "measurement {}", Hashes.hex(attester.measurement()));
    return new NodePlatform(sealer, attester, "simulated SEV-SNP (INSECURE)");
  }
}
