package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import dev.veilraft.consensus.SnapshotFile;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose Raft log was purged up to its latest snapshot, and whose latest snapshot Ratis
 * then cannot use (the file deleted, its .md5 unreadable), fails its start with an error naming
 * the gap, the store's applied index, the snapshot directory and the remedies, instead of
 * starting a server whose apply thread waits forever; restoring the files from a backup brings it
 * back. A .md5 that reads but names a wrong digest is refused like an altered snapshot, and
 * replaced. The tests share one founder and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OwnSnapshotMissingIT {
  /** The lowest threshold accepted, so that a few writes bring snapshots and purges. */
  private static final long SNAPSHOT_THRESHOLD = RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN;
  /** Large values fill Ratis' smallest log segment (64 KiB) in a few entries, so that purges free segments. */
  private static final int VALUE_BYTES = 16 * 1024;
  /** Writes after which the log must have been purged past the second-latest snapshot. */
  private static final int PURGE_WRITES_MAX = 200;
  /** How long a snapshot's purge may take to show in the log's start index. */
  private static final Duration PURGE_WAIT = Duration.ofSeconds(3);
  /** A guard against a start that hangs instead of failing (the test takes a few seconds). */
  private static final long START_FAILURE_TEST_SECONDS_MAX = 120;

  @TempDir static Path dir;
  @TempDir static Path backup;
  private static RaftTestCluster cluster;
  private static Member n0;
  private static Path sm;
  private static Path current;
  private static int keys;
  @RegisterExtension
  final CapturedLog logged = new CapturedLog(VeilraftStateMachine.class);

  @BeforeAll
  static void startGroupAndPurgeItsLog() throws Exception {
    cluster = RaftTestCluster.create(dir, SNAPSHOT_THRESHOLD);
    n0 = cluster.founder();
    Path group = n0.groupDir();
    sm = group.resolve("sm");
    current = group.resolve("current");
    // Write until only the latest snapshot covers the log's start, and that snapshot is at the last
    // write: Ratis takes a snapshot when a server stops if it applied past its latest one, and that
    // snapshot (one index further, the log not purged to it) would cover the start once the
    // latest is deleted. No further write follows, so nothing changes that before the founder stops.
    while (true) {
      assertThat(keys).as("the log was purged past the second-latest snapshot within %s writes", PURGE_WRITES_MAX)
          .isLessThan(PURGE_WRITES_MAX);
      long written = put();
      if (written - latestSnapshotIndex() < SNAPSHOT_THRESHOLD) {
        continue;
      }
      // Ratis takes the snapshot on its apply thread after the put was answered.
      assertThat(awaitTrue(() -> latestSnapshotIndex() >= written)).as("a snapshot at index %d", written).isTrue();
      // Ratis purges after the snapshot, on its log worker: give it a moment.
      if (latestSnapshotIndex() == written && awaitTrue(
          () -> n0.consensus().snapshotStatus().logStartIndex() > secondLatestSnapshotIndex() + 1, PURGE_WAIT)) {
        break;
      }
    }
  }

  /** Bounded too: a server started over a log gap (the defect) never finishes closing, its apply thread spinning. */
  @AfterAll
  @Timeout(value = START_FAILURE_TEST_SECONDS_MAX, unit = TimeUnit.SECONDS)
  static void stopGroup() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** With its latest snapshot file deleted the founder refuses to start; restored from a backup, it starts and serves. */
  @Test
  @Order(1)
  @Timeout(value = START_FAILURE_TEST_SECONDS_MAX, unit = TimeUnit.SECONDS)
  void aDeletedLatestSnapshotFailsTheStartClearly() throws Exception {
    n0.stop();
    Path latest = latestSnapshot();
    backUp(latest);
    Files.delete(latest);

    assertStartFails("no snapshot file reaches index");

    restore(latest);
    n0.start();
    assertServesEveryKey();
  }

  /** With the latest snapshot's .md5 unreadable Ratis sees no snapshot at all: the start fails, naming the file. */
  @Test
  @Order(2)
  @Timeout(value = START_FAILURE_TEST_SECONDS_MAX, unit = TimeUnit.SECONDS)
  void anUnreadableMd5FailsTheStartClearly() throws Exception {
    n0.stop();
    Path latest = latestSnapshot();
    backUp(latest);
    Files.writeString(md5(latest), "not a digest\n", StandardCharsets.UTF_8);

    assertStartFails(latest.getFileName() + " has an unusable .md5 file");

    restore(latest);
    n0.start();
    assertServesEveryKey();
  }

  /**
   * A .md5 that reads but does not match the file would make every follower refuse the file: the
   * snapshot is refused at start like an altered one, and a new snapshot replaces it.
   */
  @Test
  @Order(3)
  void aWrongDigestIsRefusedAndReplaced() throws Exception {
    n0.stop();
    Path latest = latestSnapshot();
    MD5FileUtil.saveMD5File(latest.toFile(), MD5Hash.newInstance(new byte[MD5Hash.MD5_LENGTH]));

    n0.start();
    assertThat(cluster.awaitLeader()).isSameAs(n0);
    assertThat(n0.consensus().snapshotsRefusedAtStart()).isEqualTo(1);
    assertThat(logged.events()).anySatisfy(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.ERROR);
      assertThat(event.getFormattedMessage()).contains(latest.toString(), "does not match its .md5");
    });
    Path setAside = latest.resolveSibling(latest.getFileName() + VeilraftStateMachine.REFUSED_SUFFIX);
    assertThat(awaitTrue(() -> Files.exists(setAside) && n0.consensus().snapshotStatus().snapshotsTaken() >= 1))
        .as("a new snapshot replaced %s, which was renamed aside", latest.getFileName()).isTrue();
    Path replacement = latestSnapshot();
    assertThat(MD5FileUtil.readStoredMd5ForFile(replacement.toFile()))
        .isEqualTo(MD5FileUtil.computeMd5ForFile(replacement.toFile()));
    SnapshotFile.verify(replacement, cluster.genesis.clusterId(), header -> n0.replica.keyring().get(header.epoch()));
    assertServesEveryKey();
  }

  /**
   * The start fails at once (no server left running, its apply thread never started), with one
   * ERROR, and the error names the log's first index, the store's applied index, the snapshot
   * directory, what is wrong with the snapshot files ({@code problem}) and both remedies.
   */
  private void assertStartFails(String problem) throws IOException {
    long firstIndex = RaftLogFiles.firstIndex(current).orElseThrow();
    long applied = n0.replica.appliedIndex();
    IOException failed = catchThrowableOfType(n0::start, IOException.class);

    assertThat(failed).as("the start failed").isNotNull();
    assertThat(n0.running()).isFalse();
    assertThat(failed.getMessage()).contains("raft log in " + current, "starts at index " + firstIndex,
        "applied index " + applied, "snapshot directory " + sm, "missing or does not match its .md5", problem,
        "restore this node's latest snapshot file", "from a backup", "remove this node from the cluster",
        "wipe its data directory");
    assertThat(logged.events().stream().filter(e -> e.getLevel() == Level.ERROR
        && e.getFormattedMessage().equals(failed.getMessage()))).as("logged at ERROR once").hasSize(1);
  }

  /** The founder leads again, has every key, and applies a new write. */
  private static void assertServesEveryKey() throws Exception {
    assertThat(cluster.awaitLeader()).isSameAs(n0);
    for (int i = 0; i < keys; i++) {
      assertThat(cluster.read(n0, "k" + i, false)).as("key %d", i).contains(value(i));
    }
    long written = put();
    assertThat(n0.replica.appliedIndex()).isGreaterThanOrEqualTo(written);
  }

  private static long put() throws Exception {
    long index = cluster.put("k" + keys, value(keys));
    keys++;
    return index;
  }

  private static String value(int i) {
    return (i + ":").repeat(VALUE_BYTES).substring(0, VALUE_BYTES);
  }

  private static void backUp(Path snapshot) throws IOException {
    Files.copy(snapshot, backup.resolve(snapshot.getFileName()), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(md5(snapshot), backup.resolve(md5(snapshot).getFileName()), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void restore(Path snapshot) throws IOException {
    Files.copy(backup.resolve(snapshot.getFileName()), snapshot, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(backup.resolve(md5(snapshot).getFileName()), md5(snapshot), StandardCopyOption.REPLACE_EXISTING);
  }

  private static Path md5(Path snapshot) {
    return MD5FileUtil.getDigestFileForFile(snapshot.toFile()).toPath();
  }

  /** The founder's snapshot files by Ratis' name pattern, highest index first. */
  private static List<Path> snapshots() {
    try (Stream<Path> files = Files.list(sm)) {
      return files.filter(p -> SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString()).matches())
          .sorted(Comparator.comparingLong((Path p) -> SimpleStateMachineStorage.getTermIndexFromSnapshotFile(
              p.toFile()).getIndex()).reversed())
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path latestSnapshot() {
    List<Path> all = snapshots();
    assertThat(all).as("snapshot files in %s", sm).isNotEmpty();
    return all.get(0);
  }

  /** The index of the latest snapshot file, -1 with none yet. */
  private static long latestSnapshotIndex() {
    List<Path> all = snapshots();
    return all.isEmpty() ? -1 : SimpleStateMachineStorage.getTermIndexFromSnapshotFile(all.get(0).toFile()).getIndex();
  }

  /**
   * The index of the second-latest snapshot file: -1 with only one (nothing covers the log's start
   * but the latest), and {@code Long.MAX_VALUE - 1} with none yet (so that the writes go on).
   */
  private static long secondLatestSnapshotIndex() {
    List<Path> all = snapshots();
    if (all.isEmpty()) {
      return Long.MAX_VALUE - 1;
    }
    return all.size() < 2 ? -1 : SimpleStateMachineStorage.getTermIndexFromSnapshotFile(all.get(1).toFile()).getIndex();
  }
}
