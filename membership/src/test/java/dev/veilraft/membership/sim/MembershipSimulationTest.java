// In the sim/ folder but in package dev.veilraft.membership: the scenario driver it drives is package-private.
package dev.veilraft.membership;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the membership rules and the join protocol keep their invariants over many seeded
 * schedules of joins (late, lost, duplicated, with bad evidence), rotations (some stale), beacons,
 * removals (direct and by governance), replays and clock jumps ({@link MembershipSimulation}).
 * {@code -Dveilraft.sim.seed=S} runs one seed; {@code -Dveilraft.sim.seeds=N} sets how many
 * (default {@value #SEEDS_DEFAULT}, from seed 1).
 */
class MembershipSimulationTest {
  /**
   * Seeds per CI run. Each seed signs and verifies real (simulated SEV-SNP, P-384) evidence, about
   * 0.1 to 0.25 s per seed here; thousands run with {@code -Dveilraft.sim.seeds=5000}.
   */
  static final int SEEDS_DEFAULT = 200;

  @TempDir static Path dir;
  private static SimulatedMembers sim;

  @BeforeAll
  static void createVendor() throws IOException {
    // The simulated vendor's RSA-4096 keys take about a second: one vendor for every seed.
    sim = SimulatedMembers.create(dir);
  }

  @org.junit.jupiter.api.Test
  void theSchedulesReachEveryKindOfOutcome() {
    // Proves the generator is not vacuous: over the first seeds, admissions and removals happen and every attack
    // and protocol accident the schedules inject is refused with its own code somewhere.
    java.util.Map<String, Integer> codes = new java.util.TreeMap<>();
    for (long seed = COVERAGE_SEED_FIRST; seed < COVERAGE_SEED_FIRST + COVERAGE_SEEDS; seed++) {
      for (ScenarioReplica.Result r : new MembershipSimulation(seed, sim).run().driver().results()) {
        codes.merge(r.kind() + " " + (r.accepted() ? "accepted" : r.code()), 1, Integer::sum);
      }
    }
    System.out.println("outcomes over " + COVERAGE_SEEDS + " seeds: " + codes);
    org.assertj.core.api.Assertions.assertThat(codes.keySet()).contains("ADMIT accepted", "REMOVE accepted",
        "KEY_EPOCH accepted", "ADMIT MEASUREMENT_NOT_ALLOWED", "ADMIT DEBUG_ENABLED", "ADMIT SIGNATURE_INVALID",
        "ADMIT REPORT_DATA_MISMATCH", "ADMIT CHALLENGE_EXPIRED", "ADMIT NONCE_REUSED", "ADMIT REMOVED_NODE");
  }

  /** Seeds of the coverage test: apart from the seeds of the invariant test, so no seed runs twice. */
  static final long COVERAGE_SEED_FIRST = 1_000_001;
  static final int COVERAGE_SEEDS = 60;

  @TestFactory
  Stream<DynamicTest> invariantsHoldForEverySeed() {
    String one = System.getProperty("veilraft.sim.seed", "");
    LongStream seeds = one.isEmpty() ? LongStream.rangeClosed(1, Long.getLong("veilraft.sim.seeds", SEEDS_DEFAULT))
        : LongStream.of(Long.parseLong(one));
    return seeds.mapToObj(seed -> DynamicTest.dynamicTest("seed " + seed, () -> new MembershipSimulation(seed, sim).run()));
  }
}
