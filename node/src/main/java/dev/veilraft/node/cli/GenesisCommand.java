package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.node.LocalCluster;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Genesis tooling. Operator signatures and governance arrive with the governance work. */
@Command(name = "genesis", description = "Create and inspect genesis documents.",
    subcommands = {GenesisCommand.Create.class, GenesisCommand.Show.class})
final class GenesisCommand {

  @Command(name = "create", description = "Create a genesis for simulated members (INSECURE simulated TEE).")
  static final class Create implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Genesis file to write.")
    Path out;

    @Option(names = "--name", defaultValue = "demo", description = "Cluster name (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(names = "--policy-name", defaultValue = "default", description = "Policy name (default: ${DEFAULT-VALUE}).")
    String policyName;

    @Option(names = "--sim-vendor", required = true,
        description = "Simulated TEE vendor directory (created if absent); its root is pinned in the policy.")
    Path simVendor;

    @Option(names = "--allow-measurement", required = true, description = "Allowed launch measurement (96 hex chars).")
    List<String> measurements;

    @Override
    public Integer call() throws Exception {
      List<byte[]> allowed = new ArrayList<>();
      for (String m : measurements) {
        allowed.add(Hashes.unhex(m));
      }
      GenesisDocument genesis = LocalCluster.genesis(name, policyName, SimulatedSnpVendor.openOrCreate(simVendor), allowed);
      genesis.write(out);
      System.out.println("cluster id " + genesis.clusterIdHex());
      return 0;
    }
  }

  @Command(name = "show", description = "Validate a genesis file and print it.")
  static final class Show implements Callable<Integer> {
    @Parameters(index = "0", description = "Genesis file.")
    Path file;

    @Override
    public Integer call() throws Exception {
      GenesisDocument genesis = GenesisDocument.read(file);
      System.out.println("cluster id " + genesis.clusterIdHex());
      System.out.print(genesis.genesis());
      return 0;
    }
  }

  private GenesisCommand() {}
}
