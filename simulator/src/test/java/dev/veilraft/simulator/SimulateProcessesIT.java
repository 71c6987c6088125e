package dev.veilraft.simulator;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The lines of {@code simulations.txt} with {@code --processes} (one JVM per node, launched from
 * this module's shaded jar), each required to end {@code simulate OK} as in {@link SimulateIT},
 * which runs the other lines. A class of its own so that failsafe's two JVMs run it beside the
 * in-JVM simulations rather than after them.
 */
class SimulateProcessesIT {
  @TempDir static Path root;

  @TestFactory
  Stream<DynamicTest> listedProcessSimulationsPass() throws IOException {
    // Proves each listed process-mode run, seeded and replayable, ends with every checker passing.
    return SimulateIT.listed(true).stream().map(args -> DynamicTest.dynamicTest(args, () -> SimulateIT.simulate(root, args)));
  }
}
