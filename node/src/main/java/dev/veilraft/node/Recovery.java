package dev.veilraft.node;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SnapshotFile;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.seal.NodeKeys;
import dev.veilraft.membership.proto.EpochHistory;
import dev.veilraft.membership.proto.EpochSecretEntry;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateDirectory;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateRecord;
import dev.veilraft.state.StoreSalvage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a member whose state store is damaged (the operator action {@code veilraft node
 * recover}): the store is moved into {@code <data>/quarantine/<time>/}, never deleted, and the node
 * restarts with an empty store that it refills from its own Raft log and latest snapshot, then
 * from its peers (Ratis sends the entries, or a snapshot, it lacks). It keeps its identity, so it
 * does not join again.
 *
 * <p>What is kept, and why:
 * <ul>
 *   <li>{@code keys.sealed} (identity, KEM key, storage secret) and the simulated sealing key: the
 *       node's identity in the Raft group and the membership, and the join history
 *       ({@code epoch-history.sealed}).
 *   <li>The whole Raft storage: the persisted term and vote ({@code raft-meta}), without which the
 *       node could vote twice in a term; the log, without which it would forget entries it
 *       acknowledged and could vote for a candidate that lacks a committed entry (Raft's safety
 *       rests on every voter keeping what it acknowledged); and the local snapshots, because the
 *       log is purged up to the latest one: Ratis applies from the snapshot index on, and with the
 *       snapshot gone it would wait for entries that no longer exist anywhere on this node, while
 *       the leader, whose log matches this node's, would never send a snapshot.
 *   <li>The node's epoch secrets: they live in the damaged store (namespace {@value
 *       #SECRETS_NAMESPACE}), and the store keeps a sealed copy of its node-local records in a
 *       separate file ({@code node-local.sealed}). {@link StoreSalvage} reads them from that copy,
 *       else record by record from RocksDB (each authenticates on its own; an epoch's secret is
 *       written once, so even an old copy is right), and they are added to {@code
 *       epoch-history.sealed}, which the node loads at start, so it can open its latest snapshot
 *       (sealed under that epoch's key) and the events after it. Secrets the node erased stay
 *       erased: neither copy holds them.
 * </ul>
 *
 * <p>The node is then started as a member restarting from its disk, not as a founder or joiner:
 * a marker file ({@value #MARKER_FILE}) says so, because its store is at index 0 until the
 * snapshot is installed. Recovery refuses, changing nothing, when the node is running, when the
 * store opens and verifies (unless forced), when the node never had Raft storage, when the latest
 * local snapshot's header does not read, or when the log has a gap below it; it warns when the
 * secret that snapshot is sealed under cannot be found. A damaged Raft log or snapshot is not repaired here:
 * a member that lost entries it acknowledged is only safe to bring back as a new member.
 */
public final class Recovery {
  private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);
  /** Where quarantined state goes, under the data directory. */
  public static final String QUARANTINE_DIR = "quarantine";
  /** Present once a member's state was quarantined: start it as a restart even with an empty store. */
  public static final String MARKER_FILE = "recovered-member";
  /** The node's epoch secrets in its store: {@code dev.veilraft.consensus.Replica.SECRETS_NAMESPACE}. */
  static final String SECRETS_NAMESPACE = "node/epochs";
  static final String STATE_DIR = "state";
  static final String RAFT_DIR = "raft";
  private static final Pattern SNAPSHOT_FILE = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");
  private static final Pattern CLOSED_SEGMENT = Pattern.compile("log_(\\d+)-(\\d+)");
  private static final Pattern OPEN_SEGMENT = Pattern.compile("log_inprogress_(\\d+)");
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);

  /** What a recovery did. */
  public record Report(Path quarantine, List<Path> moved, String damage, long snapshotIndex, long snapshotEpoch,
      List<Long> epochsSalvaged, List<String> salvageProblems, String warning) {}

  private Recovery() {}

  /** Whether this data directory belongs to a member whose state was quarantined (see {@link #MARKER_FILE}). */
  public static boolean isRecoveredMember(Path dataDir) {
    return Files.exists(dataDir.resolve(MARKER_FILE));
  }

  /**
   * Quarantines the state of the stopped node of {@code config} and prepares it to restart as a
   * member. With {@code force}, a store that opens and verifies is quarantined too.
   *
   * @throws NodeException with a code naming why nothing was changed ({@code NODE_RUNNING},
   *     {@code NO_KEYS}, {@code NOT_A_MEMBER}, {@code STATE_HEALTHY}, {@code SNAPSHOT_UNREADABLE},
   *     {@code LOG_GAP}) or {@code RECOVERY_FAILED} for an I/O failure
   */
  public static Report run(NodeConfig config, boolean force, Clock clock) throws NodeException {
    Path dataDir = config.dataDir().toAbsolutePath();
    Path groupDir = raftGroupDir(dataDir);
    checkStopped(groupDir);
    if (!Files.exists(dataDir.resolve(NodeKeys.FILE_NAME))) {
      throw new NodeException("NO_KEYS", "no " + NodeKeys.FILE_NAME + " in " + dataDir + ": this is not a member's data "
          + "directory");
    }
    NodePlatform platform;
    NodeKeys keys;
    try {
      platform = NodePlatform.open(config, null);
      keys = NodeKeys.loadOrCreate(dataDir, platform.sealer(), clock.instant());
    } catch (IOException | CryptoException e) {
      throw new NodeException("NO_KEYS", "cannot unseal this node's keys in " + dataDir + ": " + e.getMessage(), e);
    }
    StateDirectory stateDir = new StateDirectory(dataDir.resolve(STATE_DIR), keys.storageSecret());
    String damage = diagnose(stateDir, keys.storageSecret(), force);

    Optional<Path> snapshot = latestSnapshot(groupDir);
    SnapshotFile.Header header = snapshot.isPresent() ? readHeader(snapshot.get()) : null;
    long snapshotIndex = header == null ? 0 : header.index();
    checkLogCovers(groupDir, snapshotIndex);

    EpochHistoryFile historyFile = new EpochHistoryFile(dataDir, platform.sealer(), keys.nodeId());
    List<Long> salvaged = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    EpochHistory merged = mergeSecrets(historyFile, stateDir.path(), keys.storageSecret(),
        header == null ? 0 : header.epoch(), salvaged, problems);
    String warning = header == null ? null : missingSecretWarning(merged, snapshot.get(), header, problems);

    Path quarantine = dataDir.resolve(QUARANTINE_DIR).resolve(STAMP.format(clock.instant()));
    List<Path> moved;
    try {
      if (!salvaged.isEmpty()) {
        historyFile.save(merged);
      }
      // The marker before the move: a crash in between leaves a member that refuses to start
      // (its store is still the damaged one) and can be recovered again, never a node that
      // takes itself for a founder because its store is empty.
      Files.writeString(dataDir.resolve(MARKER_FILE), "state quarantined in " + quarantine + " at "
          + clock.instant() + "\n", StandardCharsets.UTF_8);
      moved = stateDir.quarantineInto(quarantine);
      Files.writeString(quarantine.resolve("RECOVERY.txt"), describe(keys.nodeId(), clock, damage, moved, snapshot,
          header, salvaged, problems), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new NodeException("RECOVERY_FAILED", "cannot quarantine the state of " + dataDir + ": " + e.getMessage(), e);
    }
    LOG.warn("node {}: state quarantined in {} ({}); it restarts from its Raft log{} and its peers", keys.nodeId(),
        quarantine, damage, header == null ? "" : " and snapshot at index " + header.index());
    return new Report(quarantine, moved, damage, snapshotIndex, header == null ? 0 : header.epoch(),
        List.copyOf(salvaged), List.copyOf(problems), warning);
  }

  private static SnapshotFile.Header readHeader(Path snapshot) throws NodeException {
    try {
      return SnapshotFile.readHeader(snapshot);
    } catch (IOException e) {
      throw new NodeException("SNAPSHOT_UNREADABLE", "the latest local snapshot " + snapshot + " does not read ("
          + e.getMessage() + "): this node cannot rebuild its state from its own disk; remove it from the cluster "
          + "and join a new node", e);
    }
  }

  /**
   * Null when the secret the latest snapshot is sealed under was found; else what will happen.
   * Not a refusal: the snapshot's epoch chain may still let the node derive the secret at start.
   */
  private static String missingSecretWarning(EpochHistory secrets, Path snapshot, SnapshotFile.Header header,
      List<String> problems) {
    long epoch = header.epoch();
    if (secrets.getSecretsList().stream().anyMatch(s -> s.getEpoch() == epoch)) {
      return null;
    }
    String warning = "the secret of epoch " + epoch + ", under which the latest local snapshot "
        + snapshot.getFileName() + " is sealed, was found neither in the damaged store ("
        + String.join("; ", problems.isEmpty() ? List.of("absent") : problems) + ") nor in "
        + EpochHistoryFile.FILE_NAME + ": unless the node derives it through the snapshot's epoch chain, it will "
        + "refuse to start with NO_EPOCH_SECRET, and must then be removed and replaced by a new member";
    LOG.warn("{}", warning);
    return warning;
  }

  /** Why the store is being quarantined; refuses a healthy store unless forced. */
  private static String diagnose(StateDirectory stateDir, byte[] storageSecret, boolean force) throws NodeException {
    if (!Files.exists(stateDir.path())) {
      return "the state store is missing";
    }
    try (RocksDbStateStore store = RocksDbStateStore.open(stateDir.path(), storageSecret)) {
      if (!force && store.appliedIndex() > 0) {
        throw new NodeException("STATE_HEALTHY", "the state store " + stateDir.path() + " opens and its state digest "
            + "verifies at applied index " + store.appliedIndex() + ": nothing to recover (use --force to rebuild it "
            + "anyway)");
      }
      return "rebuilt on request (the store opened, at applied index " + store.appliedIndex() + ")";
    } catch (StateException e) {
      return e.getMessage();
    }
  }

  /** The Raft group's storage directory: the one directory under {@code <data>/raft} holding Raft metadata. */
  private static Path raftGroupDir(Path dataDir) throws NodeException {
    Path raft = dataDir.resolve(RAFT_DIR);
    List<Path> groups = new ArrayList<>();
    if (Files.isDirectory(raft)) {
      try (Stream<Path> entries = Files.list(raft)) {
        entries.filter(p -> Files.exists(p.resolve("current").resolve("raft-meta"))).forEach(groups::add);
      } catch (IOException e) {
        throw new NodeException("RECOVERY_FAILED", "cannot list " + raft + ": " + e.getMessage(), e);
      }
    }
    if (groups.size() != 1) {
      throw new NodeException("NOT_A_MEMBER", groups.isEmpty()
          ? "no Raft storage under " + raft + ": this node never ran as a member, so there is nothing to catch up; "
              + "delete its data directory and join again"
          : "several Raft groups under " + raft + " " + groups + ": recover them by hand");
    }
    return groups.get(0);
  }

  /** Ratis holds {@code in_use.lock} in the group directory while its server runs. */
  private static void checkStopped(Path groupDir) throws NodeException {
    Path lockFile = groupDir.resolve("in_use.lock");
    if (!Files.exists(lockFile)) {
      return;
    }
    try (RandomAccessFile file = new RandomAccessFile(lockFile.toFile(), "rw")) {
      FileLock lock;
      try {
        lock = file.getChannel().tryLock();
      } catch (OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        throw new NodeException("NODE_RUNNING", "the node is running (" + lockFile + " is locked): stop it first");
      }
      lock.release();
    } catch (IOException e) {
      throw new NodeException("RECOVERY_FAILED", "cannot check " + lockFile + ": " + e.getMessage(), e);
    }
  }

  /** The snapshot file of the highest index (then term) in the group's storage, if any. */
  static Optional<Path> latestSnapshot(Path groupDir) throws NodeException {
    try (Stream<Path> files = Files.walk(groupDir)) {
      return files.filter(p -> SNAPSHOT_FILE.matcher(p.getFileName().toString()).matches()).max((a, b) -> {
        long[] x = termIndex(a);
        long[] y = termIndex(b);
        return x[1] != y[1] ? Long.compare(x[1], y[1]) : Long.compare(x[0], y[0]);
      });
    } catch (IOException e) {
      throw new NodeException("RECOVERY_FAILED", "cannot list " + groupDir + ": " + e.getMessage(), e);
    }
  }

  private static long[] termIndex(Path snapshot) {
    Matcher m = SNAPSHOT_FILE.matcher(snapshot.getFileName().toString());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a snapshot file name: " + snapshot);
    }
    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
  }

  /**
   * Ratis applies from the latest snapshot's index on (from index 0 without one), so the log must
   * hold the entry after it, or start before it: otherwise nothing on this node holds the entries
   * in between, and the leader, whose log matches, would never send them.
   */
  private static void checkLogCovers(Path groupDir, long snapshotIndex) throws NodeException {
    long start = Long.MAX_VALUE;
    try (Stream<Path> files = Files.list(groupDir.resolve("current"))) {
      for (Path file : files.toList()) {
        String name = file.getFileName().toString();
        Matcher closed = CLOSED_SEGMENT.matcher(name);
        Matcher open = OPEN_SEGMENT.matcher(name);
        if (closed.matches()) {
          start = Math.min(start, Long.parseLong(closed.group(1)));
        } else if (open.matches()) {
          start = Math.min(start, Long.parseLong(open.group(1)));
        }
      }
    } catch (IOException e) {
      throw new NodeException("RECOVERY_FAILED", "cannot list the Raft log in " + groupDir + ": " + e.getMessage(), e);
    }
    if (start != Long.MAX_VALUE && start > snapshotIndex + 1) {
      throw new NodeException("LOG_GAP", "the Raft log of this node starts at index " + start + " but its latest local "
          + "snapshot is at " + (snapshotIndex == 0 ? "none" : "index " + snapshotIndex) + ": the entries in between "
          + "are nowhere on this node; remove it from the cluster and join a new node");
    }
  }

  /**
   * The stored epoch history plus every secret of epochs 1..{@code upToEpoch} that can be read
   * from the damaged store; {@code salvaged} receives the epochs added, {@code problems} what
   * could not be read.
   */
  private static EpochHistory mergeSecrets(EpochHistoryFile historyFile, Path stateDir, byte[] storageSecret,
      long upToEpoch, List<Long> salvaged, List<String> problems) throws NodeException {
    EpochHistory stored;
    try {
      stored = historyFile.load().orElse(EpochHistory.getDefaultInstance());
    } catch (IOException | CryptoException e) {
      throw new NodeException("RECOVERY_FAILED", "cannot read " + EpochHistoryFile.FILE_NAME + ": " + e.getMessage(), e);
    }
    Map<Long, ByteString> secrets = new TreeMap<>();
    stored.getSecretsList().forEach(s -> secrets.put(s.getEpoch(), s.getSecret()));
    if (upToEpoch > 0 && Files.isDirectory(stateDir)) {
      List<byte[]> keys = new ArrayList<>();
      for (long epoch = 1; epoch <= upToEpoch; epoch++) {
        keys.add(Hashes.u64(epoch));
      }
      StoreSalvage.Result result = StoreSalvage.read(stateDir, storageSecret, SECRETS_NAMESPACE, keys);
      problems.addAll(result.problems());
      for (StateRecord record : result.found()) {
        long epoch = ByteBuffer.wrap(record.key()).getLong();
        if (secrets.putIfAbsent(epoch, ByteString.copyFrom(record.value())) == null) {
          salvaged.add(epoch);
        }
      }
    }
    EpochHistory.Builder merged = stored.toBuilder().clearSecrets();
    secrets.forEach((epoch, secret) -> merged.addSecrets(EpochSecretEntry.newBuilder().setEpoch(epoch).setSecret(secret)));
    return merged.build();
  }

  private static String describe(String nodeId, Clock clock, String damage, List<Path> moved, Optional<Path> snapshot,
      SnapshotFile.Header header, List<Long> salvaged, List<String> problems) {
    StringBuilder text = new StringBuilder();
    text.append("veilraft node recover\n");
    text.append("node: ").append(nodeId).append('\n');
    text.append("time: ").append(clock.instant()).append('\n');
    text.append("why: ").append(damage).append('\n');
    text.append("moved here: ").append(moved).append('\n');
    text.append("rebuilt from: ").append(snapshot.map(p -> "local snapshot " + p.getFileName() + " (epoch "
        + header.epoch() + ", index " + header.index() + "), then").orElse("")).append(" the local Raft log and the peers\n");
    text.append("epoch secrets salvaged: ").append(salvaged).append('\n');
    if (!problems.isEmpty()) {
      text.append("could not salvage: ").append(String.join("; ", problems)).append('\n');
    }
    text.append("Nothing here is read again by veilraft; delete it once the node serves.\n");
    return text.toString();
  }
}
