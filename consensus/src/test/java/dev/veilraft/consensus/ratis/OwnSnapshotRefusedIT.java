package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.veilraft.consensus.SnapshotException;
import dev.veilraft.consensus.SnapshotFile;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.MD5FileUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A member whose own latest snapshot file was altered on its host while it was stopped refuses
 * the file at restart (logged and counted), keeps serving its intact store, replaces the file with
 * a new valid snapshot as soon as it has applied an entry (setting the altered one aside as
 * {@code .refused}), and a new follower that needs a snapshot install then gets the valid one.
 */
class OwnSnapshotRefusedIT {
  /** The lowest threshold accepted: a snapshot every few entries keeps the test short. */
  private static final long SNAPSHOT_THRESHOLD = RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN;
  private static final int KEYS = (int) SNAPSHOT_THRESHOLD + 5;

  @TempDir Path dir;
  private RaftTestCluster cluster;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger machineLog = (Logger) LoggerFactory.getLogger(VeilraftStateMachine.class);

  @AfterEach
  void stop() throws Exception {
    machineLog.detachAppender(logged);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void alteredOwnSnapshotIsRefusedAtStartReplacedAndNeverSentToAFollower() throws Exception {
    cluster = RaftTestCluster.create(dir, SNAPSHOT_THRESHOLD);
    Member n0 = cluster.founder();
    for (int i = 0; i < KEYS; i++) {
      cluster.put("k" + i, "v" + i);
    }
    assertThat(awaitTrue(() -> n0.consensus().snapshotStatus().snapshotsTaken() >= 1)).isTrue();
    n0.stop();

    Path sm = n0.settings.storageDir().resolve(RaftIds.groupId(cluster.genesis.clusterId()).getUuid().toString())
        .resolve("sm");
    Path altered = latestSnapshot(sm).orElseThrow();
    long alteredIndex = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(altered.toFile()).getIndex();
    byte[] bytes = Files.readAllBytes(altered);
    bytes[bytes.length / 2] ^= 0x01;
    Files.write(altered, bytes);
    // A host that knows Ratis fixes the .md5 as well: only the snapshot format can catch the change.
    MD5FileUtil.computeAndSaveMd5ForFile(altered.toFile());

    logged.start();
    machineLog.addAppender(logged);
    n0.start();
    assertThat(cluster.awaitLeader()).isSameAs(n0);
    assertThat(n0.consensus().snapshotsRefusedAtStart()).isEqualTo(1);
    assertThat(logged.list).anySatisfy(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.ERROR);
      assertThat(event.getFormattedMessage()).contains(altered.toString(), "refused",
          SnapshotException.Reason.CHUNK_NOT_AUTHENTIC.name());
    });
    for (int i = 0; i < KEYS; i++) {
      assertThat(cluster.read(n0, "k" + i, false)).contains("v" + i);
    }

    long written = cluster.put("after", "restart");
    Path setAside = altered.resolveSibling(altered.getFileName() + VeilraftStateMachine.REFUSED_SUFFIX);
    assertThat(awaitTrue(() -> n0.consensus().snapshotStatus().latestSnapshotIndex() > alteredIndex
        && Files.exists(setAside) && !Files.exists(altered)))
        .as("a new snapshot replaced %s, which was renamed aside", altered.getFileName()).isTrue();
    assertThat(n0.consensus().snapshotStatus().latestSnapshotIndex()).isLessThanOrEqualTo(written);
    Path replacement = latestSnapshot(sm).orElseThrow();
    SnapshotFile.Stats stats = SnapshotFile.verify(replacement, cluster.genesis.clusterId(),
        header -> n0.replica.keyring().get(header.epoch()));
    assertThat(stats.records()).isPositive();

    Member n1 = cluster.admit("n1");
    n1.start();
    n0.consensus().addMember(n1.record());
    assertThat(awaitTrue(() -> n1.running() && n1.consensus().snapshotStatus().snapshotsInstalled() >= 1
        && n1.replica.appliedIndex() >= n0.replica.appliedIndex()))
        .as("the new follower installed a snapshot and caught up").isTrue();
    assertThat(n1.consensus().localRole()).isEqualTo("FOLLOWER");
    for (int i = 0; i < KEYS; i++) {
      assertThat(cluster.read(n1, "k" + i, true)).contains("v" + i);
    }
    assertThat(cluster.read(n1, "after", true)).contains("restart");
  }

  /** The snapshot file with the highest index in {@code sm}, by Ratis' file name pattern. */
  private static Optional<Path> latestSnapshot(Path sm) {
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
