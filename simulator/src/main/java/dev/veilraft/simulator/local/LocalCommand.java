package dev.veilraft.simulator.local;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code veilraft local up|down}: a local cluster for app authors. */
@Command(name = "local", mixinStandardHelpOptions = true,
    versionProvider = dev.veilraft.simulator.SimulatorMain.Version.class,
    description = {"A local N-node cluster on this machine for testing clients against a real federation: one process "
        + "per node, simulated TEE (INSECURE), fresh genesis."},
    subcommands = {LocalUp.class, LocalDown.class, CommandLine.HelpCommand.class})
public final class LocalCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
