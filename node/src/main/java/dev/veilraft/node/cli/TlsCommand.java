package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.node.ConfigException;
import dev.veilraft.node.NodeConfig;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.VeilraftNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code veilraft tls ...}: the node's CA-issued web certificate. */
@Command(name = "tls", mixinStandardHelpOptions = true, description = "The node's CA-issued web TLS certificate.",
    subcommands = {TlsCommand.Csr.class})
final class TlsCommand {
  private TlsCommand() {}

  @Command(name = "csr", mixinStandardHelpOptions = true, description = {
      "Create the node's web TLS key inside the node (sealed to its TEE; reused if it exists) and write a "
          + "certificate signing request for a CA. Put the issued chain in the configuration as "
          + "tls.certificateChain; the node's evidence then binds this key too (GET /v1/attestation)."})
  static final class Csr implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Node configuration file (YAML).")
    Path config;

    @Option(names = "--dns", required = true, description = "A DNS name of the node (repeat for more; *.domain allowed).")
    List<String> dnsNames;

    @Option(names = "--out", required = true, description = "Where to write the CSR (PEM).")
    Path out;

    @Option(names = "--self-signed-out", description = "Also write a self-signed certificate for the key here "
        + "(test deployments without a CA: clients must pin it).")
    Path selfSignedOut;

    @Option(names = "--days", defaultValue = "90", description = "Validity of the self-signed certificate (default 90).")
    int days;

    @Override
    public Integer call() throws Exception {
      NodeConfig nodeConfig;
      try {
        nodeConfig = ConfigFiles.read(config);
      } catch (ConfigException e) {
        System.out.println("FAILED CONFIG " + e.getMessage());
        return 1;
      }
      try {
        if (days < 1 || days > 825) {
          System.out.println("FAILED BAD_USAGE --days is " + days + ", expected 1..825");
          return 2;
        }
        var csr = VeilraftNode.webTlsCsr(nodeConfig, dnsNames,
            selfSignedOut == null ? null : java.time.Duration.ofDays(days));
        Files.writeString(out, csr.csrPem());
        System.out.println("csr " + out);
        if (selfSignedOut != null) {
          Files.writeString(selfSignedOut, csr.selfSignedPem());
          System.out.println("self-signed certificate " + selfSignedOut);
        }
        System.out.println("web tls spki sha256 " + Hashes.hex(Hashes.sha256(csr.spki())));
        return 0;
      } catch (NodeException e) {
        System.out.println("FAILED " + e.code() + " " + e.getMessage());
        return 1;
      }
    }
  }
}
