package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * While snapshots cannot be written (here the snapshot directory is replaced by a file, as a full
 * or failing disk would make every write fail), a member keeps applying and serving, makes only a
 * few attempts, backing off between them instead of exporting its whole store after every entry,
 * and takes a snapshot again once the directory is back.
 */
class SnapshotRetryBackoffIT {
  private static final long SNAPSHOT_THRESHOLD = RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN;
  /** Entries written while snapshots fail: many thresholds' worth, so without a backoff each would try. */
  private static final int WRITES_WHILE_BROKEN = 4 * (int) SNAPSHOT_THRESHOLD;

  @TempDir Path dir;

  @Test
  void failedSnapshotsBackOffAndResumeWhenTheDiskIsBack() throws Exception {
    try (RaftTestCluster cluster = RaftTestCluster.create(dir, SNAPSHOT_THRESHOLD)) {
      Member n0 = cluster.founder();
      Path sm = n0.groupDir().resolve("sm");
      Path aside = sm.resolveSibling("sm.aside");
      int keys = 0;
      while (n0.consensus().snapshotStatus().snapshotsTaken() == 0 && keys < 4 * SNAPSHOT_THRESHOLD) {
        cluster.put("k" + keys, "v" + keys);
        keys++;
      }
      assertThat(awaitTrue(() -> n0.consensus().snapshotStatus().snapshotsTaken() >= 1)).isTrue();

      Files.move(sm, aside);
      Files.writeString(sm, "not a directory");
      long started = System.nanoTime();
      for (int i = 0; i < WRITES_WHILE_BROKEN; i++, keys++) {
        cluster.put("k" + keys, "v" + keys);
      }
      double brokenSeconds = (System.nanoTime() - started) / 1e9;
      long failed = n0.consensus().snapshotStatus().snapshotsFailed();
      // Attempts at 0, 1, 3, 7, 15 ... s: at most 2 + log2(seconds + 1) of them, however slow the machine.
      long bound = 2 + (long) Math.floor(Math.log(brokenSeconds + 1) / Math.log(2));
      assertThat(failed).as("failed attempts while %d entries were applied in %.1f s", WRITES_WHILE_BROKEN,
          brokenSeconds).isBetween(1L, bound);
      for (int i = 0; i < keys; i += 17) {
        assertThat(cluster.read(n0, "k" + i, false)).contains("v" + i);
      }

      Files.delete(sm);
      Files.move(aside, sm);
      long taken = n0.consensus().snapshotStatus().snapshotsTaken();
      long restoredAt = n0.replica.appliedIndex();
      // The backoff is at most a minute: keep writing (one entry per 50 ms) until a snapshot is taken.
      assertThat(awaitTrue(() -> {
        try {
          int k = (int) (n0.replica.appliedIndex() % 1_000_000);
          cluster.put("again" + k, "v");
        } catch (Exception e) {
          return false;
        }
        return n0.consensus().snapshotStatus().snapshotsTaken() > taken;
      }, RETRY_WAIT)).as("a snapshot after the directory came back").isTrue();
      assertThat(n0.consensus().snapshotStatus().latestSnapshotIndex()).isGreaterThan(restoredAt);
    }
  }

  /** Longer than {@link VeilraftStateMachine#SNAPSHOT_RETRY_MAX}, the longest wait between attempts. */
  private static final Duration RETRY_WAIT = VeilraftStateMachine.SNAPSHOT_RETRY_MAX.plusSeconds(30);
}
