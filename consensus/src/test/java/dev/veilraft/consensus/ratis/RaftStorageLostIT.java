package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
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
 * log, refuses to start (Ratis would format the storage as new, and the node could vote twice in
 * a term or for a candidate lacking entries it acknowledged), naming what was lost and the
 * remedies; the refusal sticks across starts, and the storage put back brings the node back. The
 * tests share one founder and run in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RaftStorageLostIT {
  private static final int KEYS = 5;

  @TempDir static Path dir;
  @TempDir static Path aside;
  private static RaftTestCluster cluster;
  private static Member n0;
  private static Path group;
  private static int keys;
  @RegisterExtension
  final CapturedLog logged = new CapturedLog(VeilraftStateMachine.class);

  @BeforeAll
  static void startGroup() throws Exception {
    cluster = RaftTestCluster.create(dir);
    n0 = cluster.founder();
    group = n0.settings.storageDir().resolve(RaftIds.groupId(cluster.genesis.clusterId()).getUuid().toString());
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

  /** The whole storage directory gone: Ratis would format a new one. */
  @Test
  @Order(1)
  void aDeletedRaftStorageFailsTheStartAndKeepsFailing() throws Exception {
    n0.stop();
    Path moved = aside.resolve("group");
    Files.move(group, moved);

    assertStartFails("its term and vote (raft-meta is new: term 0) and its log (no segment file, and no snapshot)");
    assertStartFails("its term and vote (raft-meta is new: term 0) and its log (no segment file, and no snapshot)");

    deleteTree(group);
    Files.move(moved, group);
    n0.start();
    assertServesEveryKey();
  }

  /** Its current directory emptied: on recovery Ratis formats it without a word. */
  @Test
  @Order(2)
  void anEmptiedCurrentDirectoryFailsTheStart() throws Exception {
    n0.stop();
    List<Path> moved = moveAside(group.resolve("current"), p -> !p.getFileName().toString().equals("in_use.lock"));
    assertThat(moved).anySatisfy(p -> assertThat(p.getFileName().toString()).isEqualTo("raft-meta"));

    assertStartFails("its term and vote (raft-meta is new: term 0) and its log");

    putBack(moved, group.resolve("current"));
    n0.start();
    assertServesEveryKey();
  }

  /** The log and the snapshots gone, the term and vote kept: still entries it acknowledged are lost. */
  @Test
  @Order(3)
  void aLostLogWithTheVoteKeptFailsTheStart() throws Exception {
    n0.stop();
    List<Path> segments = moveAside(group.resolve("current"), p -> p.getFileName().toString().startsWith("log_"));
    List<Path> snapshots = moveAside(group.resolve("sm"), p -> true);
    assertThat(segments).isNotEmpty();

    IOException failed = assertStartFails("has lost its log (no segment file, and no snapshot)");
    assertThat(failed.getMessage()).doesNotContain("term and vote");

    putBack(segments, group.resolve("current"));
    putBack(snapshots, group.resolve("sm"));
    n0.start();
    assertServesEveryKey();
  }

  /** The start fails at once with one ERROR naming what was lost, the applied index, the directory and the remedies. */
  private IOException assertStartFails(String lost) {
    long applied = n0.replica.appliedIndex();
    logged.events().clear();
    IOException failed = catchThrowableOfType(n0::start, RaftStorageLostException.class);

    assertThat(failed).as("the start failed").isNotNull();
    assertThat(n0.running()).isFalse();
    assertThat(failed.getMessage()).contains("applied the log up to index " + applied,
        "raft storage in " + group.resolve("current"), lost, "two leaders in one term",
        "If the raft directory was only moved, put it back", "an older copy is not safe",
        "remove this node from the cluster", "join a fresh node");
    assertThat(logged.events().stream().filter(e -> e.getLevel() == Level.ERROR
        && e.getFormattedMessage().equals(failed.getMessage()))).as("logged at ERROR once").hasSize(1);
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

  /** Moves {@code files} back into {@code to}, replacing what a failed start formatted there. */
  private static void putBack(List<Path> files, Path to) throws IOException {
    for (Path file : files) {
      Path target = to.resolve(file.getFileName());
      deleteTree(target);
      Files.move(file, target);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
