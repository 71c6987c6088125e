package dev.veilraft.node;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** How the process tests run {@code veilraft node ...} from the packaged jar, each node its own JVM. */
final class NodeProcesses {
  /**
   * Small heaps for a shared 2-core CI machine, and C1 only: a test node lives for seconds to a
   * minute and serves a few hundred requests, so C2's compilations cost more CPU than they save
   * (measured: about 3.5 s of CPU to READY with C1 only, 5 to 5.7 s with C2). None of these
   * options changes the node's measurement, which is the jar's.
   */
  static final List<String> JVM_OPTIONS = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

  private NodeProcesses() {}

  /** {@code java <JVM_OPTIONS> -cp jar dev.veilraft.node.cli.Main node <args>}, with this JVM's java. */
  static List<String> command(Path jar, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(JVM_OPTIONS);
    command.addAll(List.of("-cp", jar.toString(), "dev.veilraft.node.cli.Main", "node"));
    command.addAll(args);
    return command;
  }
}
