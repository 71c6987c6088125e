package dev.veilraft.node.cli;

import dev.veilraft.node.demo.Demo;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs the end-to-end demo. */
@Command(name = "demo", description = "Start a 3-node attested, encrypted cluster on loopback and exercise it.")
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--events", defaultValue = "1000", description = "Encrypted put/get operations (default: ${DEFAULT-VALUE}).")
  int events;

  @Option(names = "--in-flight", defaultValue = "32", description = "Requests in flight (default: ${DEFAULT-VALUE}).")
  int inFlight;

  @Option(names = "--work-dir", description = "Directory for the nodes' data (default: a new temporary directory).")
  Path workDir;

  @Option(names = "--in-process", description = "Run all nodes in this JVM instead of one JVM per node.")
  boolean inProcess;

  @Override
  public Integer call() {
    if (events < 2 || inFlight < 1) {
      System.out.println("demo FAILED --events must be >= 2 and --in-flight >= 1");
      return 2;
    }
    return new Demo(new Demo.Options(events, inFlight, workDir, inProcess), System.out).run();
  }
}
