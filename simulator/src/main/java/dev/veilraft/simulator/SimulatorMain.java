package dev.veilraft.simulator;

import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code veilraft simulate ...} and {@code veilraft local up|down ...}; the launcher script runs
 * {@code java -cp simulator/target/veilraft-simulator.jar dev.veilraft.simulator.SimulatorMain}
 * with the same arguments.
 */
@Command(name = "veilraft", mixinStandardHelpOptions = true, versionProvider = SimulatorMain.Version.class,
    description = "The veilraft cluster simulator and local clusters for app authors (simulated TEE, INSECURE).",
    subcommands = {SimulateCommand.class, dev.veilraft.simulator.local.LocalCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 1 failure (the last line says why), 2 bad usage."})
public final class SimulatorMain implements Runnable {
  /** The logback configuration of simulator runs: node logs go to a file, not the console. */
  static final String LOGBACK_CONFIG = "veilraft-simulator-logback.xml";
  static final String LOG_FILE_PROPERTY = "veilraft.sim.logFile";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** The version from the jar's manifest ("dev" when run from classes). */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = SimulatorMain.class.getPackage().getImplementationVersion();
      return new String[] {"veilraft simulator " + (v == null ? "dev" : v)};
    }
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
    }
    System.setProperty("java.awt.headless", "true");
    // gRPC logs through java.util.logging; only its warnings are worth a line on the console.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    int code = commandLine().execute(args);
    System.exit(code);
  }

  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new SimulatorMain());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("error: " + e.getMessage());
      return 1;
    });
    cli.setParameterExceptionHandler((e, args) -> {
      e.getCommandLine().getErr().println("error: " + e.getMessage());
      e.getCommandLine().usage(e.getCommandLine().getErr());
      return 2;
    });
    return cli;
  }

  /** Sends this JVM's logs (the in-JVM nodes' too) to {@code file}, unless logging was already set up. */
  public static void logTo(Path file) {
    if (System.getProperty(LOG_FILE_PROPERTY) == null) {
      System.setProperty(LOG_FILE_PROPERTY, file.toString());
    }
  }
}
