package dev.veilraft.simulator.attack;

import dev.veilraft.node.Await;
import dev.veilraft.node.NodeException;
import dev.veilraft.node.Recovery;
import dev.veilraft.simulator.attack.AttackRunner.Outcome;
import dev.veilraft.simulator.check.MembershipObserver;
import dev.veilraft.simulator.cluster.NodeStatus;
import dev.veilraft.simulator.cluster.SimCluster;
import dev.veilraft.simulator.cluster.SimException;
import dev.veilraft.simulator.cluster.SimLayout;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Attacks by a node's own host: a member removed by governance that tries to come back, and bytes
 * flipped in a stopped member's files.
 */
final class HostAttacks {
  static final Duration MEMBERSHIP_TIMEOUT = Duration.ofSeconds(45);
  /** How long a removed node that restarted from its disk is watched before it is stopped again. */
  static final Duration REVENANT_WATCH = Duration.ofSeconds(3);
  static final int flippedBytes = 16;

  private final SimCluster cluster;
  private final MembershipObserver observer;
  private final Random random;

  HostAttacks(SimCluster cluster, MembershipObserver observer, Random random) {
    this.cluster = cluster;
    this.observer = observer;
    this.random = random;
  }

  /**
   * A spare joins legitimately, the operator removes it by governance, and it tries to come back:
   * first by restarting from its own disk (it must never reappear in any view, and must never
   * hold the epoch created with its removal), then by joining again with its identity, which must
   * be refused with REMOVED_NODE.
   */
  Outcome removedReturn(int slot) throws InterruptedException {
    String id = cluster.layout().nodeIds().get(slot);
    String name = SimLayout.name(slot);
    observer.legitimate(id);
    try {
      cluster.start(slot);
    } catch (SimException e) {
      return new Outcome(false, "inconclusive: " + name + " could not join legitimately first: " + e.getMessage());
    }
    Optional<Integer> leader = awaitLeader();
    if (leader.isEmpty()) {
      return new Outcome(false, "inconclusive: no leader to remove " + name + " through");
    }
    Governance.Result proposed = Governance.propose(cluster, leader.get(), "--remove-node", id);
    if (!proposed.accepted()) {
      return new Outcome(false, "inconclusive: the removal proposal was not accepted: " + proposed.output());
    }
    long[] epoch = new long[1];
    boolean gone = Await.until(() -> {
      Optional<Integer> l = cluster.leader();
      Optional<NodeStatus> s = l.flatMap(cluster::status);
      if (s.isPresent() && !s.get().members().contains(id)) {
        epoch[0] = s.get().epoch();
        return true;
      }
      return false;
    }, MEMBERSHIP_TIMEOUT);
    if (!gone) {
      return new Outcome(false, name + " is still a member " + MEMBERSHIP_TIMEOUT.toSeconds() + " s after its removal");
    }
    observer.removed(new MembershipObserver.Removal(id, observer.now(), epoch[0]));
    cluster.crash(slot);
    String restart;
    try {
      cluster.start(slot);
      restart = "restarted from its disk";
      // It runs for a while as a revenant, so the observer sees whether anyone lets it back in.
      Thread.sleep(REVENANT_WATCH.toMillis());
      observer.sample();
      cluster.crash(slot);
    } catch (SimException e) {
      restart = "refused to restart (" + e.code() + ")";
    }
    try {
      wipeMembership(cluster.dataDir(slot));
    } catch (IOException e) {
      return new Outcome(false, "cannot clear " + name + "'s Raft and state directories: " + e.getMessage());
    }
    try {
      cluster.start(slot);
      cluster.crash(slot);
      return new Outcome(false, "ADMITTED: removed " + name + " joined again with its old identity");
    } catch (SimException e) {
      boolean right = e.code().equals("REMOVED_NODE");
      return new Outcome(right, "removed before epoch " + epoch[0] + "; " + restart + "; joined again: refused "
          + e.code() + (right ? "" : " (expected REMOVED_NODE): " + AttackRunner.oneLine(e.getMessage())));
    }
  }

  private Optional<Integer> awaitLeader() throws InterruptedException {
    Await.until(() -> cluster.leader().isPresent(), MEMBERSHIP_TIMEOUT);
    return cluster.leader();
  }

  /** Keeps the node's keys and endorsement; drops what made it a member (its log, state and join history). */
  static void wipeMembership(Path dataDir) throws IOException {
    for (String dir : List.of("raft", "state", "state.new", "state.old")) {
      deleteTree(dataDir.resolve(dir));
    }
    Files.deleteIfExists(dataDir.resolve("epoch-history.sealed"));
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

  /**
   * The host of a member stops it, flips bytes in one of its files (a closed Raft log segment, a
   * snapshot, or a state table) and starts it again. The node must either refuse to start with a
   * specific reason (then the operator's recovery runs) or start and serve correct data (the final
   * reads through every node check that).
   */
  Outcome tamperFiles(int victim) throws InterruptedException {
    String name = SimLayout.name(victim);
    cluster.crash(victim);
    Path dataDir = cluster.dataDir(victim);
    List<Path> candidates;
    try {
      candidates = tamperable(dataDir);
    } catch (IOException e) {
      return new Outcome(false, "cannot list " + name + "'s files: " + e.getMessage());
    }
    if (candidates.isEmpty()) {
      restartQuietly(victim);
      return new Outcome(true, "nothing to tamper with in " + name + " yet (no closed log segment, snapshot or table)");
    }
    // First a kind of file (log segment, snapshot, state table), then one of that kind, so every kind gets hit.
    List<List<Path>> kinds = new ArrayList<>();
    for (String kind : List.of("log_", "snapshot.", ".sst")) {
      List<Path> ofKind = candidates.stream().filter(p -> p.getFileName().toString().startsWith(kind)
          || p.getFileName().toString().endsWith(kind)).toList();
      if (!ofKind.isEmpty()) {
        kinds.add(ofKind);
      }
    }
    List<Path> chosen = kinds.get(random.nextInt(kinds.size()));
    Path file = chosen.get(random.nextInt(chosen.size()));
    String what;
    try {
      what = flip(file);
    } catch (IOException e) {
      restartQuietly(victim);
      return new Outcome(false, "cannot tamper with " + file + ": " + e.getMessage());
    }
    try {
      cluster.start(victim);
      return new Outcome(true, what + "; " + name + " restarted (its data is checked by the final reads)");
    } catch (SimException e) {
      String refused = what + "; " + name + " refused to start: " + e.code();
      boolean specific = !e.code().equals("START_FAILED");
      String recovered = recover(victim);
      return new Outcome(specific, refused + (specific ? "" : " (no specific reason: " + AttackRunner.oneLine(
          e.getMessage()) + ")") + "; " + recovered);
    }
  }

  private String recover(int victim) throws InterruptedException {
    try {
      var report = Recovery.run(cluster.layout().config(victim), false, java.time.Clock.systemUTC());
      cluster.start(victim);
      return "'node recover' quarantined its store (" + AttackRunner.oneLine(report.damage()) + ") and it restarted";
    } catch (NodeException e) {
      return "'node recover' refused: " + e.code() + " " + AttackRunner.oneLine(e.getMessage()) + "; it stays down";
    } catch (SimException e) {
      return "stays down (" + e.code() + " " + AttackRunner.oneLine(e.getMessage()) + ")";
    }
  }

  private void restartQuietly(int slot) throws InterruptedException {
    try {
      cluster.start(slot);
    } catch (SimException e) {
      // The final heal tries again.
    }
  }

  /** The files a host would go after: closed log segments, snapshots and state tables. */
  static List<Path> tamperable(Path dataDir) throws IOException {
    List<Path> found = new ArrayList<>();
    if (!Files.isDirectory(dataDir)) {
      return found;
    }
    try (Stream<Path> walk = Files.walk(dataDir)) {
      walk.filter(Files::isRegularFile).filter(p -> {
        String n = p.getFileName().toString();
        String parent = p.getParent().getFileName().toString();
        return (n.matches("log_\\d+-\\d+") || n.startsWith("snapshot.") || (n.endsWith(".sst") && !parent.equals(
            "quarantine"))) && !p.toString().contains("/quarantine/");
      }).sorted().forEach(found::add);
    }
    return found;
  }

  /** Flips {@link #flippedBytes} bytes in the middle third of {@code file}. */
  private String flip(Path file) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      long size = f.length();
      if (size < flippedBytes * 3L) {
        throw new IOException(file.getFileName() + " is only " + size + " bytes");
      }
      long offset = size / 3 + (long) (random.nextDouble() * (size / 3 - flippedBytes));
      byte[] bytes = new byte[flippedBytes];
      f.seek(offset);
      f.readFully(bytes);
      for (int i = 0; i < bytes.length; i++) {
        bytes[i] ^= (byte) 0xA5;
      }
      f.seek(offset);
      f.write(bytes);
      return "flipped " + flippedBytes + " bytes at offset " + offset + " of " + file.getFileName() + " (" + size
          + " bytes)";
    }
  }
}
