// In the sim/ folder but in package dev.veilraft.membership: the scenario driver it drives is package-private.
package dev.veilraft.membership;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the membership rules and the join protocol keep their invariants over many seeded
 * schedules of joins (late, lost, duplicated, with bad evidence), rotations (some stale), beacons,
 * removals (direct and by governance), replays and clock jumps ({@link MembershipSimulation}).
 * {@code -Dveilraft.sim.seed=S} runs one seed ({@code -Dveilraft.sim.steps=K}: its first K steps);
 * {@code -Dveilraft.sim.seeds=N} sets how many (default {@value #SEEDS_DEFAULT}, from seed 1);
 * {@code -Dveilraft.sim.threads=T} how many run at once (default: the cores, at most
 * {@value #THREADS_MAX}). A failing seed is shrunk: it reruns with fewer steps (a shorter run is
 * a prefix of the longer one) and the failure names the seed, the fewest steps that still fail
 * and the command that replays exactly that.
 */
class MembershipSimulationTest {
  /**
   * Seeds per CI run. Each seed signs and verifies real (simulated SEV-SNP, P-384; P-256 node and
   * operator keys) evidence and signatures, about 60 ECDSA operations at about 1 ms each on the
   * JDK's pure-Java curves, which is most of its 0.1 s.
   */
  static final int SEEDS_DEFAULT = 1_000;
  /** Seeds run at once: each run is single-threaded and shares only the vendor. */
  static final int THREADS_MAX = 4;

  @TempDir static Path dir;
  private static SimulatedMembers sim;

  @BeforeAll
  static void createVendor() throws IOException {
    // The simulated vendor's RSA-4096 keys take about a second: one vendor for every seed.
    sim = SimulatedMembers.create(dir);
  }

  @Test
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

  @Test
  void invariantsHoldForEverySeed() throws InterruptedException {
    String one = System.getProperty("veilraft.sim.seed", "");
    if (!one.isEmpty()) {
      long seed = Long.parseLong(one);
      new MembershipSimulation(seed, sim).run(Integer.getInteger("veilraft.sim.steps", MembershipSimulation.stepsMax));
      return;
    }
    long seeds = Long.getLong("veilraft.sim.seeds", SEEDS_DEFAULT);
    int threads = Math.max(1, Math.min(Integer.getInteger("veilraft.sim.threads",
        Runtime.getRuntime().availableProcessors()), THREADS_MAX));
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> runs = new ArrayList<>();
    try {
      for (long seed = 1; seed <= seeds; seed++) {
        long s = seed;
        runs.add(pool.submit(() -> new MembershipSimulation(s, sim).run()));
      }
      for (int i = 0; i < runs.size(); i++) {
        try {
          runs.get(i).get();
        } catch (ExecutionException e) {
          // The lowest failing seed, shrunk: the report is about the smallest case that still fails.
          throw shrink(i + 1, e.getCause());
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.println("membership simulation: " + seeds + " seeds on " + threads + " threads, every invariant held");
  }

  /**
   * Reruns {@code seed} with fewer steps (binary search over the step limit: a failure at step k
   * fails every longer run) and returns an error naming the fewest steps that fail.
   */
  private static AssertionError shrink(long seed, Throwable failure) {
    int failing = MembershipSimulation.stepsMax;
    int passing = 0;
    Throwable smallest = failure;
    while (failing - passing > 1) {
      int mid = (passing + failing) / 2;
      try {
        new MembershipSimulation(seed, sim).run(mid);
        passing = mid;
      } catch (AssertionError e) {
        failing = mid;
        smallest = e;
      }
    }
    return new AssertionError("membership simulation seed " + seed + " fails; minimal failing step count " + failing
        + " (of at most " + MembershipSimulation.stepsMax + "); replay: mvn -B -o test -pl membership "
        + "-Dtest=MembershipSimulationTest -Dveilraft.sim.seed=" + seed + " -Dveilraft.sim.steps=" + failing
        + "\n" + smallest.getMessage(), smallest);
  }
}
