package dev.veilraft.node.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Commands that live in other jars ({@code simulate} and {@code local} in the simulator's,
 * {@code bench} in the benchmarks'): the {@code ./veilraft} launcher runs those jars directly.
 * Here they only appear in {@code --help} and, when the node jar is run with them, say how to
 * run them instead of failing as an unknown command.
 */
final class LauncherOnlyCommands {
  /** The exit code when such a command reaches the node jar: bad usage. */
  static final int EXIT_WRONG_JAR = 2;

  private LauncherOnlyCommands() {}

  abstract static class Redirect implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** The real command's arguments (--nodes 3 ...), which this stand-in does not know, in their order. */
    @picocli.CommandLine.Unmatched
    List<String> unmatched;

    abstract String jar();

    abstract String module();

    @Override
    public Integer call() {
      String name = spec.name();
      List<String> all = new java.util.ArrayList<>();
      if (unmatched != null) {
        all.addAll(unmatched);
      }
      var err = spec.commandLine().getErr();
      err.println("error: '" + name + "' runs from " + jar() + ", not from the node jar. Run it with the launcher:");
      err.println("  ./veilraft " + name + (all.isEmpty() ? " --help" : " " + String.join(" ", all)));
      err.println("(build it first: mvn -q -DskipTests package -pl " + module() + " -am)");
      err.flush();
      return EXIT_WRONG_JAR;
    }
  }

  @Command(name = "simulate", description = "Run a seeded simulation with faults and attackers (simulator jar, "
      + "via ./veilraft).")
  static final class Simulate extends Redirect {
    @Override
    String jar() {
      return "simulator/target/veilraft-simulator.jar";
    }

    @Override
    String module() {
      return "simulator";
    }
  }

  @Command(name = "local", description = "Start or stop a local cluster for app authors (simulator jar, via "
      + "./veilraft).")
  static final class Local extends Redirect {
    @Override
    String jar() {
      return "simulator/target/veilraft-simulator.jar";
    }

    @Override
    String module() {
      return "simulator";
    }
  }

  @Command(name = "bench", description = "Run the cluster benchmarks (benchmarks jar, via ./veilraft).")
  static final class Bench extends Redirect {
    @Override
    String jar() {
      return "bench/target/benchmarks.jar";
    }

    @Override
    String module() {
      return "bench";
    }
  }
}
