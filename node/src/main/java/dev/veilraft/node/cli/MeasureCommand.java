package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.VeilraftNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints the simulated launch measurement of a jar, to put in a policy. */
@Command(name = "measure", description = "Print the simulated-TEE launch measurement (SHA-384) of a veilraft jar.")
final class MeasureCommand implements Callable<Integer> {
  @Option(names = "--jar", description = "Jar to measure (default: the running code).")
  Path jar;

  @Override
  public Integer call() throws Exception {
    byte[] m = jar != null ? CodeMeasurement.ofJar(jar, List.of()) : CodeMeasurement.ofRunningCode(VeilraftNode.class);
    System.out.println(Hashes.hex(m));
    return 0;
  }
}
