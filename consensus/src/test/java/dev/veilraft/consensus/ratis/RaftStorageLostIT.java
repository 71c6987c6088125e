package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.util.FileUtils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose store has applied entries but whose Raft storage lost its term and vote, or its
 * log, refuses to start (started on it, the node could vote twice in a term or for a candidate
 * lacking entries it acknowledged), naming what was lost and the remedies. A missing directory or
 * {@code raft-meta} is refused before Ratis formats anything, so nothing else is lost on the way
 * and putting the storage back brings the node back. The tests share one founder, which takes a
 * snapshot every few entries, and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftStorageLostIT {
  /** Writes before the tests: several snapshots' worth. */
  private static final int KEYS = (int) (3 * RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN);

  @TempDir static Path dir;
  @TempDir static Path aside;
  private static RaftTestCluster cluster;
  private static Member n0;
  private static Path group;
  private static Path current;
  private static Path sm;
  private static int keys;
  @RegisterExtension
  final CapturedLog beforeRatis = new CapturedLog(RaftConsensus.class);
  @RegisterExtension
  final CapturedLog afterRatis = new CapturedLog(VeilraftStateMachine.class);

  @BeforeAll
  static void startGroup() throws Exception {
    cluster = RaftTestCluster.create(dir, RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_MIN);
    n0 = cluster.founder();
    group = n0.groupDir();
    current = group.resolve("current");
    sm = group.resolve("sm");
    while (keys < KEYS) {
      put();
    }
  }

  @AfterAll
  static void stopGroup() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** The whole group directory gone: refused before Ratis would format a new one, again at the next start. */
  @Test
  @Order(1)
  void aMissingRaftStorageFailsTheStartAndNothingIsCreated() throws Exception {
    n0.stop();
    Path moved = aside.resolve("group");
    Files.move(group, moved);

    assertStartFails(beforeRatis, "has lost all of it (the directory is missing)");
    assertStartFails(beforeRatis, "has lost all of it");
    assertThat(group).doesNotExist();

    Files.move(moved, group);
    n0.start();
    assertServesEveryKey();
  }

  /** The current directory emptied: Ratis would format it and clear the snapshots with it. */
  @Test
  @Order(2)
  void anEmptiedCurrentDirectoryFailsTheStartAndTheSnapshotsStay() throws Exception {
    n0.stop();
    List<Path> snapshots = snapshots();
    assertThat(snapshots).isNotEmpty();
    List<Path> moved = moveAside(current, p -> !p.getFileName().toString().equals("in_use.lock"));

    assertStartFails(beforeRatis, "has lost its term and vote (current/raft-meta is missing)");
    assertThat(snapshots()).isEqualTo(snapshots);

    putBack(moved, current);
    n0.start();
    assertServesEveryKey();
  }

  /** raft-meta replaced by a new one (term 0, no vote), the log kept. */
  @Test
  @Order(3)
  void aNewRaftMetaFailsTheStart() throws Exception {
    n0.stop();
    Path meta = current.resolve(RaftLogFiles.META_FILE);
    Path original = aside.resolve("raft-meta.original");
    Files.copy(meta, original);
    Properties fresh = new Properties();
    fresh.setProperty("term", "0");
    fresh.setProperty("votedFor", "");
    try (Writer out = Files.newBufferedWriter(meta, StandardCharsets.UTF_8)) {
      fresh.store(out, "");
    }

    IOException failed = assertStartFails(afterRatis, "has lost its term and vote (raft-meta is new: term 0)");
    assertThat(failed.getMessage()).doesNotContain("its log");

    Files.copy(original, meta, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertThat(term(meta)).isGreaterThan(0);
    n0.start();
    assertServesEveryKey();
  }

  /** The log's segments and the latest snapshot gone, the vote kept: the entries after the older snapshot are lost. */
  @Test
  @Order(4)
  void aLostLogAboveTheLatestUsableSnapshotFailsTheStart() throws Exception {
    n0.stop();
    List<Path> all = snapshots();
    assertThat(all).as("two snapshots, the latest at the applied index (taken at stop)").hasSizeGreaterThanOrEqualTo(2);
    long older = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(all.get(1).toFile()).getIndex();
    String latestName = all.get(0).getFileName().toString();
    List<Path> segments = moveAside(current, p -> p.getFileName().toString().startsWith("log_"));
    List<Path> latest = moveAside(sm, p -> p.getFileName().toString().startsWith(latestName));
    assertThat(segments).isNotEmpty();
    assertThat(latest).hasSize(2);

    IOException failed = assertStartFails(afterRatis,
        "has lost its log (no segment file in current, and the latest usable snapshot is at index " + older + ")");
    assertThat(failed.getMessage()).doesNotContain("term and vote");

    putBack(segments, current);
    putBack(latest, sm);
    n0.start();
    assertServesEveryKey();
  }

  /** The log's segments and every snapshot gone, the vote kept. */
  @Test
  @Order(5)
  void aLostLogWithoutSnapshotsFailsTheStart() throws Exception {
    n0.stop();
    List<Path> segments = moveAside(current, p -> p.getFileName().toString().startsWith("log_"));
    List<Path> snapshots = moveAside(sm, p -> true);
    assertThat(segments).isNotEmpty();

    assertStartFails(afterRatis, "has lost its log (no segment file in current, and no usable snapshot)");

    putBack(segments, current);
    putBack(snapshots, sm);
    n0.start();
    assertServesEveryKey();
  }

  /**
   * The start fails, leaving no server running, with one ERROR from {@code source} naming what was
   * lost, the applied index, the directory and the remedies.
   */
  private static IOException assertStartFails(CapturedLog source, String lost) {
    long applied = n0.replica.appliedIndex();
    source.events().clear();
    IOException failed = catchThrowableOfType(n0::start, RaftStorageLostException.class);

    assertThat(failed).as("the start failed").isNotNull();
    assertThat(n0.running()).isFalse();
    assertThat(failed.getMessage()).contains("applied the log up to index " + applied,
        "raft storage in " + group + " has lost", lost, "two leaders in one term",
        "If the raft directory was only moved, put it back", "an older copy is not safe",
        "remove this node from the cluster", "join a fresh node");
    List<ILoggingEvent> errors = source.events().stream()
        .filter(e -> e.getLevel() == Level.ERROR && e.getFormattedMessage().equals(failed.getMessage())).toList();
    assertThat(errors).as("logged at ERROR once").hasSize(1);
    return failed;
  }

  /** The founder leads again, has every key, and applies a new write. */
  private static void assertServesEveryKey() throws Exception {
    assertThat(cluster.awaitLeader()).isSameAs(n0);
    for (int i = 0; i < keys; i++) {
      assertThat(cluster.read(n0, "k" + i, false)).as("key %d", i).contains("v" + i);
    }
    long written = put();
    assertThat(n0.replica.appliedIndex()).isGreaterThanOrEqualTo(written);
  }

  private static long put() throws Exception {
    long index = cluster.put("k" + keys, "v" + keys);
    keys++;
    return index;
  }

  private static long term(Path meta) throws IOException {
    Properties properties = new Properties();
    try (Reader in = Files.newBufferedReader(meta, StandardCharsets.UTF_8)) {
      properties.load(in);
    }
    return Long.parseLong(properties.getProperty("term"));
  }

  /** The founder's snapshot files by Ratis' name pattern, highest index first. */
  private static List<Path> snapshots() throws IOException {
    try (Stream<Path> files = Files.list(sm)) {
      return files.filter(p -> SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString()).matches())
          .sorted(Comparator.comparingLong((Path p) -> SimpleStateMachineStorage.getTermIndexFromSnapshotFile(
              p.toFile()).getIndex()).reversed())
          .toList();
    }
  }

  /** Moves the files of {@code from} that {@code which} selects into a fresh directory aside; returns where they went. */
  private static List<Path> moveAside(Path from, Predicate<Path> which) throws IOException {
    Path to = Files.createTempDirectory(aside, from.getFileName().toString());
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.filter(which).toList()) {
        Files.move(file, to.resolve(file.getFileName()));
      }
    }
    try (Stream<Path> files = Files.list(to)) {
      return files.toList();
    }
  }

  /** Moves {@code files} back into {@code to}, replacing whatever a failed start left there under their names. */
  private static void putBack(List<Path> files, Path to) throws IOException {
    for (Path file : files) {
      Path target = to.resolve(file.getFileName());
      FileUtils.deleteFully(target);
      Files.move(file, target);
    }
  }

}
