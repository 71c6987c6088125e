package dev.veilraft.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code veilraft} command. Every operator-facing action is a subcommand of it. */
@Command(name = "veilraft", mixinStandardHelpOptions = true, versionProvider = VersionCommand.Provider.class,
    description = "Confidential consensus: attested Raft members, encrypted events and state.",
    subcommands = {DemoCommand.class, NodeCommand.class, GenesisCommand.class, OperatorCommand.class, GovCommand.class,
        MeasureCommand.class, VerifyCommand.class, HardwareCommand.class, TlsCommand.class,
        VersionCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 1 failure (the last line says why), 2 bad usage."})
public final class Main implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line: errors a user can act on print one line, not a stack trace. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("error: " + e.getMessage());
      return 1;
    });
    return cli;
  }
}
