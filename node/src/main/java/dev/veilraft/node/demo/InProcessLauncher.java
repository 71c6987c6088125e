package dev.veilraft.node.demo;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/** Runs every demo node inside this JVM (used when not running from the jar, and by tests). */
final class InProcessLauncher implements NodeLauncher {

  private record InProcessHandle(VeilraftNode node) implements Handle {
    @Override
    public String nodeId() {
      return node.nodeId();
    }

    @Override
    public String measurementHex() {
      return Hashes.hex(node.measurement());
    }

    @Override
    public long epoch() {
      return node.replica().view().epoch();
    }

    @Override
    public void close() {
      node.close();
    }
  }

  @Override
  public Handle start(String name, NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException {
    try {
      return new InProcessHandle(peer == null ? VeilraftNode.start(config, Clock.systemUTC())
          : VeilraftNode.join(config, peer, Clock.systemUTC(), null));
    } catch (NodeException e) {
      throw new DemoException(name + " did not start: " + e.code() + " " + e.getMessage());
    }
  }

  @Override
  public String startRogue(NodeConfig config, Path configFile, URI peer) throws DemoException, InterruptedException {
    SimulatedSnpAttester altered;
    try {
      SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(config.dataDir().resolve("simulated-chip"),
          SimulatedSnpVendor.openOrCreate(config.simulated().vendorDir()));
      // In one JVM there is no second jar to alter; measure a patched code image instead.
      byte[] alteredCode = Hashes.sha384(CodeMeasurement.ofRunningCode(VeilraftNode.class), Hashes.utf8("backdoor"));
      altered = SimulatedSnpAttester.create(chip, CodeMeasurement.of(alteredCode, List.of()));
    } catch (IOException e) {
      throw new DemoException("cannot prepare the rogue node: " + e.getMessage());
    }
    try (VeilraftNode rogue = VeilraftNode.join(config, peer, Clock.systemUTC(), altered)) {
      throw new DemoException("a node with an altered measurement was admitted: " + rogue.nodeId());
    } catch (NodeException e) {
      return e.code() + " " + e.getMessage();
    }
  }
}
