package dev.veilraft.node.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** The {@code veilraft} command. Every operator-facing action is a subcommand of it. */
@Command(name = "veilraft", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
    versionProvider = VersionCommand.Provider.class,
    description = "Confidential consensus: attested Raft members, encrypted events and state.",
    subcommands = {NodeCommand.Init.class, NodeCommand.class, StatusCommand.class, DemoCommand.class,
        GenesisCommand.class, OperatorCommand.class, GovCommand.class, MeasureCommand.class, VerifyCommand.class,
        HardwareCommand.class, TlsCommand.class, LauncherOnlyCommands.Simulate.class, LauncherOnlyCommands.Local.class,
        LauncherOnlyCommands.Bench.class, CompletionCommand.class, VersionCommand.class,
        CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: " + Main.EXIT_OK + " success, " + Main.EXIT_FAILURE + " failure (the last line says why), "
        + Main.EXIT_USAGE + " bad usage (unknown command or option, a command run from the wrong jar).",
        "Node configuration: --config FILE (YAML), overridden by VEILRAFT_* environment variables (README).",
        "Shell completion: source <(veilraft completion)"})
public final class Main implements Runnable {
  public static final int EXIT_OK = 0;
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_USAGE = 2;
  /** The system property logback.xml reads for the log format (the environment's VEILRAFT_LOG_FORMAT otherwise). */
  public static final String LOG_FORMAT_PROPERTY = dev.veilraft.node.logging.LogFormat.PROPERTY;

  /** The log output format; selected before anything logs (and logback reconfigured if it had started). */
  enum LogFormat { text, json }

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--log-format", paramLabel = "text|json", scope = ScopeType.INHERIT,
      description = "Log lines as text (default) or JSON objects, one per line (also env VEILRAFT_LOG_FORMAT).")
  void logFormat(LogFormat format) {
    dev.veilraft.node.logging.LogFormat.select(format.name());
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** The JDK property that sizes the common fork-join pool; read once, when the pool is first used. */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
  /** The smallest common-pool parallelism at which CompletableFuture's async methods use the pool. */
  static final int COMMON_POOL_PARALLELISM_MIN = 2;

  /**
   * On a machine with 2 cores the common pool's parallelism is 1, and below 2 CompletableFuture's
   * {@code *Async} methods without an executor start a new thread per task. Ratis' log worker and
   * the JDK HttpClient use them, so a node started a thread per log entry (measured on the
   * benchmark's followers, thousands per 20 s). Unless the operator set the property, it is raised
   * to at least {@link #COMMON_POOL_PARALLELISM_MIN} before anything touches the pool. Set in code,
   * not on the java command line, so the launch configuration (part of the measurement) is unchanged.
   * Public for the benchmark's plaintext baseline, which must run Ratis under the same JVM setting.
   */
  public static void commonPoolNeverThreadPerTask() {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(
          Math.max(COMMON_POOL_PARALLELISM_MIN, Runtime.getRuntime().availableProcessors() - 1)));
    }
  }

  public static void main(String[] args) {
    commonPoolNeverThreadPerTask();
    // Logging may initialise while the command line is built (a command class's logger): set the
    // format from the raw arguments first. Picocli validates the value afterwards.
    presetLogFormat(args);
    System.exit(commandLine().execute(args));
  }

  /** Sets {@link #LOG_FORMAT_PROPERTY} from a valid {@code --log-format} among {@code args}, if any. */
  static void presetLogFormat(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String value = null;
      if (args[i].equals("--log-format") && i + 1 < args.length) {
        value = args[i + 1];
      } else if (args[i].startsWith("--log-format=")) {
        value = args[i].substring("--log-format=".length());
      }
      if (value != null && (value.equals(LogFormat.text.name()) || value.equals(LogFormat.json.name()))) {
        System.setProperty(LOG_FORMAT_PROPERTY, value);
      }
    }
  }

  /** The configured command line: errors a user can act on print one line, not a stack trace. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("error: " + ErrorMessages.describe(e));
      return EXIT_FAILURE;
    });
    return cli;
  }
}
