package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random workloads: the books balance after every step, and replicas that apply the same
 * log (from scratch, or from a snapshot taken halfway) return byte-identical responses and hold
 * byte-identical state. A failure names the seed; rerun with it to replay.
 */
class CashuScenarioTest {
  static final long[] SEEDS = {1, 2, 3};
  static final int STEPS = 40;

  @TempDir Path dir;

  @Test
  void booksBalanceAfterEveryStepOfRandomWorkloads() throws Exception {
    // Proves minted = melted + outstanding + fees kept, outstanding = the wallet's unspent and locked proofs, and
    // pending = the locked ones, after every step of seeded random workloads.
    for (long seed : SEEDS) {
      try (MintHarness mint = new MintHarness(dir.resolve("seed-" + seed), ScriptedLightning::new)) {
        ScriptedLightning lightning = (ScriptedLightning) mint.lightning;
        MintScenario scenario = new MintScenario(mint, lightning, seed);
        try {
          scenario.run(STEPS);
        } catch (AssertionError e) {
          throw new AssertionError("scenario seed " + seed + " failed after steps " + scenario.steps, e);
        }
        MintAccounting books = mint.accounting();
        assertThat(books.minted()).isPositive();
        assertThat(books.minted()).isEqualTo(books.melted() + books.outstanding() + books.feesKept());
      }
    }
  }

  @Test
  void replicasApplyingTheSameLogAgreeByteForByte() throws Exception {
    // Proves determinism: a second replica fed the first one's log (same entries, leader times and
    // per-entry randomness) returns identical results and ends in identical state; a replica that
    // installs a snapshot halfway and continues agrees too; another group's randomness makes other keys.
    long seed = 7;
    try (MintHarness first = new MintHarness(dir.resolve("first"), ScriptedLightning::new)) {
      ScriptedLightning lightning = (ScriptedLightning) first.lightning;
      new MintScenario(first, lightning, seed).run(STEPS);
      List<byte[]> log = first.gateway.committed();
      List<Long> times = first.gateway.committedTimes();
      List<EventResult> results = first.gateway.results();
      byte[] randomSeed = Hashes.sha256(Hashes.utf8("cashu test random"));

      try (SerialGateway second = new SerialGateway(dir.resolve("second"), () -> 0, randomSeed)) {
        int half = log.size() / 2;
        for (int i = 0; i < half; i++) {
          assertThat(second.apply(CashuMintApp.NAME, log.get(i), times.get(i)).toByteArray())
              .as("result of entry %s", i + 1).isEqualTo(results.get(i).toByteArray());
        }
        RocksDbStateStore snapshot = RocksDbStateStore.importRecords(dir.resolve("third"), SerialGateway.STORAGE_SECRET,
            second.store().appliedIndex(), sink -> second.store().exportRecords(sink));
        try (SerialGateway third = new SerialGateway(snapshot, () -> 0, randomSeed)) {
          for (int i = half; i < log.size(); i++) {
            byte[] expected = results.get(i).toByteArray();
            assertThat(second.apply(CashuMintApp.NAME, log.get(i), times.get(i)).toByteArray())
                .as("result of entry %s", i + 1).isEqualTo(expected);
            assertThat(third.apply(CashuMintApp.NAME, log.get(i), times.get(i)).toByteArray())
                .as("result of entry %s after the snapshot", i + 1).isEqualTo(expected);
          }
          assertThat(second.stateBytes()).isEqualTo(first.gateway.stateBytes());
          assertThat(third.stateBytes()).isEqualTo(first.gateway.stateBytes());
        }
      }

      try (SerialGateway other = new SerialGateway(dir.resolve("other"), () -> 0, Hashes.sha256(Hashes.utf8("other")))) {
        EventResult setup = other.apply(CashuMintApp.NAME, log.get(0), times.get(0));
        assertThat(setup.getStatus()).isEqualTo(EventResult.Status.OK);
        assertThat(setup.getResponse()).isNotEqualTo(results.get(0).getResponse());
      }
    }
  }
}
