package dev.veilraft.simulator.attack;

import dev.veilraft.node.LocalCluster;
import dev.veilraft.simulator.cluster.SimCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Governance as the cluster's operator does it: {@code veilraft gov propose}, run in this JVM with
 * the single local operator's key (threshold 1, so a proposal applies at once), pinned to the
 * node it talks to by node id.
 */
public final class Governance {
  private Governance() {}

  /** The command's exit code and everything it printed. */
  public record Result(int exitCode, String output) {
    public boolean accepted() {
      return exitCode == 0;
    }
  }

  /** Proposes {@code action} (e.g. {@code --rotate-key}, {@code --remove-node ID}) through {@code slot}. */
  public static Result propose(SimCluster cluster, int slot, String... action) {
    var layout = cluster.layout();
    List<String> args = new ArrayList<>(List.of("gov", "propose", "--key",
        layout.cluster().operatorKey(LocalCluster.LOCAL_OPERATOR).toString(), "--operator", LocalCluster.LOCAL_OPERATOR,
        "--genesis", layout.cluster().genesisFile().toString(), "--node", cluster.api(slot).toString(), "--node-id",
        layout.nodeIds().get(slot), "--summary", "veilraft simulator"));
    args.addAll(List.of(action));
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new dev.veilraft.node.cli.Main());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(out, true));
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("error: " + dev.veilraft.node.cli.ErrorMessages.describe(e));
      return 1;
    });
    int code = cli.execute(args.toArray(String[]::new));
    return new Result(code, out.toString().strip().replace('\n', ' '));
  }
}
