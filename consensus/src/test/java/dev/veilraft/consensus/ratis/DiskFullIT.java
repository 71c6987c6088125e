package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assertions.fail;

import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import dev.veilraft.membership.ProtocolVersions;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member whose disk fills halts as a disk failure and stops its Raft server, whether its state
 * store or its Raft log refused the write, while the other two go on; its status still answers;
 * restarted once the disk has room, it resumes from its disk and holds every write. Real Ratis,
 * real RocksDB, each full disk a real tmpfs: mounting needs root, so outside CI the test is
 * skipped with the reason, and in CI (which runs as root) it fails without it.
 */
class DiskFullIT {
  /**
   * 1 MiB log segments, preallocated: on a disk that fills whole, the state store's next write
   * fails long before the log starts a segment, so the first case is the store's deterministically.
   */
  private static final long SNAPSHOT_THRESHOLD = 1024;
  /** Small values while the store's disk fills; large ones fill a log segment in a few dozen writes. */
  private static final int SMALL_VALUE_BYTES = 2048;
  private static final int LARGE_VALUE_BYTES = 48 * 1024;
  /** Writes after which the full disk must have stopped the member (bounded, never timed). */
  private static final int WRITES_UNTIL_HALT_MAX = 200;
  /** Bound of one put through elections (never a timing assertion). */
  private static final java.time.Duration PUT_WAIT = java.time.Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<Path> mounted = new ArrayList<>();
  private final Map<String, String> written = new LinkedHashMap<>();

  @Test
  void aMemberHaltsOnAFullDiskAndResumesAfterARestart() throws Exception {
    // Proves both disk failures (store write, Raft log write) halt the member as a disk failure and stop its
    // server, that the others keep committing, that its status still answers, and that a restart resumes it.
    requireMount();
    Path storeDisk = mount(dir.resolve("n1"), 16);
    Path logDisk = mount(dir.resolve("n2").resolve("raft"), 8);
    try (RaftTestCluster cluster = RaftTestCluster.create(dir, SNAPSHOT_THRESHOLD)) {
      Member n1 = cluster.addVoter("n1");
      Member n2 = cluster.addVoter("n2");
      put(cluster, 5, SMALL_VALUE_BYTES);
      assertThat(cluster.awaitCaughtUp()).isTrue();

      // The whole data directory full: the state store's write fails first (Ratis preallocated its segment).
      haltOnFullDisk(cluster, n1, storeDisk, SMALL_VALUE_BYTES, "RocksDB could not write state store");
      // Only the Raft log's directory full: the store writes on, and the log fails when it starts a segment.
      haltOnFullDisk(cluster, n2, logDisk, LARGE_VALUE_BYTES, "the Raft log could not write");

      for (Member m : List.of(n1, n2)) {
        for (var e : written.entrySet()) {
          assertThat(cluster.read(m, e.getKey(), true)).as("%s after its restart", m).contains(e.getValue());
        }
      }
    } finally {
      for (Path mount : mounted) {
        run("umount", "-l", mount.toString());
      }
    }
  }

  /**
   * Fills {@code disk} under the running {@code victim}, writes until it halts, checks how it
   * halted, frees the disk, restarts it and waits until it caught up.
   */
  private void haltOnFullDisk(RaftTestCluster cluster, Member victim, Path disk, int valueBytes, String reason)
      throws Exception {
    Path ballast = fill(disk);
    for (int i = 0; i < WRITES_UNTIL_HALT_MAX && victim.replica.halted().isEmpty(); i++) {
      put(cluster, 1, valueBytes);
    }
    assertThat(victim.replica.halted()).as("%s halted within %d writes on its full disk", victim.name,
        WRITES_UNTIL_HALT_MAX).isPresent();
    assertThat(victim.replica.halted().orElseThrow()).contains(reason).contains("No space left on device");
    assertThat(victim.replica.haltedOnDiskFailure()).isTrue();
    assertThat(awaitTrue(() -> victim.consensus().localRole().equals("CLOSED")))
        .as("%s stopped its raft server (it neither leads nor votes)", victim.name).isTrue();
    // Status and metrics read these from a stopped server, whose closed log Ratis refuses to read: they answer.
    RaftConsensus stopped = victim.consensus();
    assertThatCode(() -> List.of(stopped.raftProgress(), stopped.commitIndex(), stopped.snapshotStatus(),
        stopped.configurationRoles(), stopped.lastAppliedIndex(), stopped.isLeader())).doesNotThrowAnyException();
    put(cluster, 3, SMALL_VALUE_BYTES); // the other two go on

    Files.delete(ballast);
    victim.restartWithBuild(ProtocolVersions.BUILD_MAX);
    assertThat(cluster.awaitCaughtUp()).as("%s caught up after its restart", victim.name).isTrue();
    assertThat(victim.replica.halted()).isEmpty();
  }

  /**
   * Puts {@code count} new keys, each retried until acknowledged: a halted leader's own write fails,
   * and the group then elects another (putting the same value again is harmless).
   */
  private void put(RaftTestCluster cluster, int count, int valueBytes) throws Exception {
    for (int i = 0; i < count; i++) {
      String key = "k" + written.size();
      String value = key + "=" + "v".repeat(valueBytes);
      Exception[] last = new Exception[1];
      boolean acknowledged = awaitTrue(() -> {
        try {
          cluster.put(key, value);
          return true;
        } catch (Exception e) {
          last[0] = e;
          return false;
        }
      }, PUT_WAIT);
      assertThat(acknowledged).as("put %s acknowledged within %s; last error: %s", key, PUT_WAIT, last[0]).isTrue();
      written.put(key, value);
    }
  }

  /** Skips outside CI when this process cannot mount a tmpfs; in CI (root) that is a failure. */
  private void requireMount() throws Exception {
    Path probe = Files.createDirectories(dir.resolve("probe"));
    String refused = run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.toString());
    if (refused == null) {
      run("umount", probe.toString());
      return;
    }
    String message = "a full disk is a small tmpfs, and mount refused (needs root): " + refused;
    String ci = System.getenv("CI");
    if (ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false")) {
      fail(message + "; CI must run this test");
    }
    Assumptions.assumeTrue(false, message);
  }

  private Path mount(Path at, int megabytes) throws Exception {
    Files.createDirectories(at);
    String refused = run("mount", "-t", "tmpfs", "-o", "size=" + megabytes + "m,mode=0700", "tmpfs", at.toString());
    assertThat(refused).as("mount a tmpfs on %s", at).isNull();
    mounted.add(at);
    return at;
  }

  /** Writes a ballast file until the tmpfs is full to the last page; returns it. */
  private static Path fill(Path disk) {
    Path ballast = disk.resolve("test-disk-ballast");
    byte[] chunk = new byte[1 << 20];
    for (int size = chunk.length; size >= 4096; size /= 16) {
      try (OutputStream out = Files.newOutputStream(ballast, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        while (true) {
          out.write(chunk, 0, size);
        }
      } catch (IOException full) {
        // No space left on the device: the point; go on with smaller writes down to a page.
      }
    }
    return ballast;
  }

  /** Runs a command; null when it succeeded, else its output. */
  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return String.join(" ", command) + " did not finish within 30 s";
    }
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    return p.exitValue() == 0 ? null : output + " (exit " + p.exitValue() + ")";
  }
}
