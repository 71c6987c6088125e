package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import dev.veilraft.consensus.SnapshotException;
import dev.veilraft.consensus.SnapshotFile;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose own latest snapshot file was altered on its host while it was stopped refuses
 * the file at restart (logged and counted), keeps serving its intact store, replaces the file with
 * a new valid snapshot at start (store at the snapshot's index) or once it has replayed the
 * store's last entry (store ahead), setting the altered file aside as {@code .refused}, takes no
 * term or index from the refused file's name, and a new follower that needs a snapshot install
 * then gets the valid one. The tests share one group (a founder, later a joiner) and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OwnSnapshotRefusedIT {
  /** The lowest threshold accepted: a snapshot every few entries keeps the test short. */
  private static final long SNAPSHOT_THRESHOLD = RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN;
  /** How long the apply thread gets to take a snapshot that is due, before the test writes again. */
  private static final Duration SNAPSHOT_WAIT = Duration.ofSeconds(1);
  /** A term no entry of the test's group reaches (one founder, a few restarts). */
  private static final long UNREACHED_TERM = 999;

  @TempDir static Path dir;
  private static RaftTestCluster cluster;
  private static Member n0;
  private static Path sm;
  /** Keys written so far: k0..k(keys-1), each with value v + its number. */
  private static int keys;
  @RegisterExtension
  final CapturedLog logged = new CapturedLog(VeilraftStateMachine.class);

  @BeforeAll
  static void startGroup() throws Exception {
    cluster = RaftTestCluster.create(dir, SNAPSHOT_THRESHOLD);
    n0 = cluster.founder();
    sm = n0.groupDir().resolve("sm");
  }

  @AfterAll
  static void stopGroup() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * With the store exactly at the altered snapshot's index (the member snapshotted last, then
   * idled), no entry replayed at restart reaches the store; the member still replaces the refused
   * file at start, without waiting for a client write, with a valid snapshot of the same term and
   * index (the term read from the Raft log), and keeps the altered one aside.
   */
  @Test
  @Order(1)
  void alteredOwnSnapshotAtTheStoreIndexIsRefusedAndReplacedAtStart() throws Exception {
    // Ratis' first snapshot comes at applied index threshold - 1 (counted from -1): write up to
    // there, then one entry at a time until the snapshot is there, so that it is at the last entry.
    while (n0.replica.appliedIndex() < SNAPSHOT_THRESHOLD - 1) {
      put();
    }
    while (!awaitTrue(() -> n0.consensus().snapshotStatus().snapshotsTaken() >= 1, SNAPSHOT_WAIT)
        && keys < 2 * SNAPSHOT_THRESHOLD) {
      put();
    }
    long storeIndex = n0.replica.appliedIndex();
    assertThat(n0.consensus().snapshotStatus().latestSnapshotIndex()).as("the last entry applied is snapshotted")
        .isEqualTo(storeIndex);
    Path altered = stopAndAlterLatestSnapshot();

    int keysBefore = keys;
    n0.start();
    assertRefusedAtStart(altered, 1);
    assertReplacedAndSetAside(altered);
    assertThat(keys).as("no client write").isEqualTo(keysBefore);
    assertThat(n0.replica.appliedIndex()).isEqualTo(storeIndex);
    assertThat(n0.consensus().snapshotStatus().latestSnapshotIndex()).as("replaced at the store index")
        .isEqualTo(storeIndex);
    assertThat(latestSnapshot()).as("the replacement took the refused file's name").contains(altered);

    long written = put();
    assertThat(cluster.read(n0, "k" + (keys - 1), false)).contains("v" + (keys - 1));
    assertThat(n0.replica.appliedIndex()).isGreaterThanOrEqualTo(written);
  }

  /**
   * With the store ahead of the altered snapshot, the restart's replay of the store's last entry
   * already brings the replacement, before any client write; a joiner then installs it. The
   * altered file also names a higher term than any entry has: a member that took its last applied
   * term from that name would fail its next apply (terms must not go backwards).
   */
  @Test
  @Order(2)
  void alteredOwnSnapshotBehindTheStoreIsReplacedAtReplayAndAJoinerInstallsTheNewOne() throws Exception {
    long snapshotsBefore = n0.consensus().snapshotStatus().snapshotsTaken();
    while (n0.consensus().snapshotStatus().snapshotsTaken() == snapshotsBefore
        || n0.replica.appliedIndex() <= n0.consensus().snapshotStatus().latestSnapshotIndex()) {
      put();
    }
    long storeIndex = n0.replica.appliedIndex();
    Path altered = renameToTerm(stopAndAlterLatestSnapshot(), UNREACHED_TERM);

    n0.start();
    assertRefusedAtStart(altered, 1);
    assertReplacedAndSetAside(altered);
    assertThat(Files.exists(altered)).as("the replacement has the real term, not the altered name's").isFalse();
    assertThat(n0.consensus().snapshotStatus().latestSnapshotIndex()).as("replaced at the replayed store index")
        .isEqualTo(storeIndex);
    assertThat(n0.replica.appliedIndex()).isEqualTo(storeIndex);

    Member n1 = cluster.admit("n1");
    n1.start();
    n0.consensus().addMember(n1.record());
    assertThat(awaitTrue(() -> n1.running() && n1.consensus().snapshotStatus().snapshotsInstalled() >= 1
        && n1.replica.appliedIndex() >= n0.replica.appliedIndex()))
        .as("the new follower installed a snapshot and caught up").isTrue();
    assertThat(n1.consensus().localRole()).isEqualTo("FOLLOWER");
    for (int i = 0; i < keys; i++) {
      assertThat(cluster.read(n1, "k" + i, true)).contains("v" + i);
    }
    long written = put();
    assertThat(awaitTrue(() -> n1.replica.appliedIndex() >= written)).as("both members apply the next write").isTrue();
    assertThat(n0.running()).isTrue();
  }

  /** Writes the next key through the group; returns its log index. */
  private static long put() throws Exception {
    long index = cluster.put("k" + keys, "v" + keys);
    keys++;
    return index;
  }

  /**
   * Stops the founder and flips one bit in the middle of its latest snapshot file, as a host could,
   * recomputing Ratis' .md5 as well (so only the snapshot format can catch the change).
   */
  private static Path stopAndAlterLatestSnapshot() throws IOException {
    n0.stop();
    Path file = latestSnapshot().orElseThrow();
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(file, bytes);
    MD5FileUtil.computeAndSaveMd5ForFile(file.toFile());
    return file;
  }

  /** The founder leads again, counted and logged the refusal of {@code altered}, and serves every key. */
  private void assertRefusedAtStart(Path altered, long refusals) throws Exception {
    assertThat(cluster.awaitLeader()).isSameAs(n0);
    assertThat(n0.consensus().snapshotsRefusedAtStart()).isEqualTo(refusals);
    assertThat(logged.events()).anySatisfy(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.ERROR);
      assertThat(event.getFormattedMessage()).contains(altered.toString(), "refused",
          SnapshotException.Reason.CHUNK_NOT_AUTHENTIC.name());
    });
    for (int i = 0; i < keys; i++) {
      assertThat(cluster.read(n0, "k" + i, false)).contains("v" + i);
    }
  }

  /**
   * A snapshot taken since the restart (awaited), at least as new as {@code altered},
   * authenticates and is the latest, and {@code altered} was renamed aside.
   */
  private static void assertReplacedAndSetAside(Path altered) throws Exception {
    long alteredIndex = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(altered.toFile()).getIndex();
    Path setAside = altered.resolveSibling(altered.getFileName() + VeilraftStateMachine.REFUSED_SUFFIX);
    assertThat(awaitTrue(() -> n0.consensus().snapshotStatus().snapshotsTaken() >= 1
        && n0.consensus().snapshotStatus().latestSnapshotIndex() >= alteredIndex && Files.exists(setAside)))
        .as("a new snapshot replaced %s, which was renamed aside", altered.getFileName()).isTrue();
    Path replacement = latestSnapshot().orElseThrow();
    SnapshotFile.Stats stats = SnapshotFile.verify(replacement, cluster.genesis.clusterId(),
        header -> n0.replica.keyring().get(header.epoch()));
    assertThat(stats.records()).isPositive();
  }

  /**
   * Renames snapshot {@code file} to name {@code term} with its index, as a host could, with a
   * matching .md5; returns the new path.
   */
  private static Path renameToTerm(Path file, long term) throws IOException {
    long index = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(file.toFile()).getIndex();
    Path renamed = file.resolveSibling(SimpleStateMachineStorage.getSnapshotFileName(term, index));
    Files.move(file, renamed);
    Files.delete(MD5FileUtil.getDigestFileForFile(file.toFile()).toPath());
    MD5FileUtil.computeAndSaveMd5ForFile(renamed.toFile());
    return renamed;
  }

  /** The founder's snapshot file with the highest index, by Ratis' file name pattern. */
  private static Optional<Path> latestSnapshot() {
    try (Stream<Path> files = Files.list(sm)) {
      List<Path> snapshots = files
          .filter(p -> SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString()).matches())
          .toList();
      return snapshots.stream().max(Comparator.comparingLong(
          p -> SimpleStateMachineStorage.getTermIndexFromSnapshotFile(p.toFile()).getIndex()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
