package dev.veilraft.node.cli;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.CodeMeasurement;
import dev.veilraft.node.VeilraftNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Prints the simulated launch measurement of a jar, to put in a policy. Because the jar is built
 * reproducibly, anyone can rebuild it from source and recompute the measurement a cluster allows.
 */
@Command(name = "measure", description = {
    "Print the simulated-TEE launch measurement (SHA-384 form) that a node started with 'java -jar JAR' reports.",
    "Without a jar: the measurement of the running code."})
final class MeasureCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(arity = "0..1", paramLabel = "JAR", description = "Jar to measure (default: the running code).")
  Path jarParameter;

  @Option(names = "--jar", paramLabel = "JAR", description = "The same as the JAR parameter.")
  Path jarOption;

  @Override
  public Integer call() throws Exception {
    if (jarParameter != null && jarOption != null) {
      throw new ParameterException(spec.commandLine(), "give the jar once: either JAR or --jar JAR");
    }
    Path jar = jarParameter != null ? jarParameter : jarOption;
    // A node launched as 'java -jar JAR' has no code-affecting JVM arguments, so the launch config is empty.
    byte[] m = jar != null ? CodeMeasurement.ofJar(jar, List.of()) : CodeMeasurement.ofRunningCode(VeilraftNode.class);
    System.out.println(Hashes.hex(m));
    return 0;
  }
}
