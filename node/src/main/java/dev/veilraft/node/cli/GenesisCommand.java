package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.node.PolicyFile;
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

  @Command(name = "create", description = {"Create a genesis document.",
      "Hardware clusters: --policy FILE (a YAML attestation policy, see 'veilraft verify --help').",
      "Simulated clusters (INSECURE): --sim-vendor DIR and --allow-measurement HEX."})
  static final class Create implements Callable<Integer> {
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

    @Override
    public Integer call() throws Exception {
      GenesisDocument genesis;
      if (policy != null) {
        if (simVendor != null || !measurements.isEmpty()) {
          throw new IllegalArgumentException("--policy makes a hardware cluster; --sim-vendor and "
              + "--allow-measurement are for simulated clusters (measurements go in the policy file)");
        }
        genesis = LocalCluster.genesis(name, PolicyFile.read(policy));
      } else {
        if (simVendor == null || measurements.isEmpty()) {
          throw new IllegalArgumentException("give --policy FILE (hardware cluster) or --sim-vendor DIR and "
              + "--allow-measurement HEX (simulated cluster, INSECURE)");
        }
        List<byte[]> allowed = new ArrayList<>();
        for (String m : measurements) {
          allowed.add(Hashes.unhex(m));
        }
        genesis = LocalCluster.genesis(name, policyName, SimulatedSnpVendor.openOrCreate(simVendor), allowed);
      }
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
