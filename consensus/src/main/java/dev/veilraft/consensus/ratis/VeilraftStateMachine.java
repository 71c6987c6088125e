package dev.veilraft.consensus.ratis;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.Answer;
import dev.veilraft.consensus.Limits;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.ReplicaHaltedException;
import dev.veilraft.consensus.RepliedCalls;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.SnapshotException;
import dev.veilraft.consensus.SnapshotFile;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.membership.EpochChain;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.state.StateException;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.ClientInvocationId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.SnapshotManagementRequest;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RetryCache;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageDirectory;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts Ratis to the deterministic {@link Replica}. On the leader, {@link #startTransaction}
 * stamps each proposal with the leader's time (forced monotonic); every replica then applies the
 * stamped entry, reading time only from the stamp.
 */
final class VeilraftStateMachine extends BaseStateMachine {
  private static final Logger LOG = LoggerFactory.getLogger(VeilraftStateMachine.class);
  /** Appended to the name of this node's own snapshot file once a newer valid snapshot replaced it. */
  static final String REFUSED_SUFFIX = ".refused";
  /**
   * Snapshot requests made to replace a refused own snapshot (one per applied entry at most, while
   * none is pending); after that the replacement waits for Ratis' auto-trigger threshold.
   */
  static final int REPLACEMENT_REQUESTS_MAX = 64;
  /** How long one such snapshot request may wait for the apply thread to take the snapshot. */
  private static final long REPLACEMENT_REQUEST_TIMEOUT_MS = 60_000;
  /** Ratis takes the requested snapshot when at least this many entries were applied since the latest one. */
  private static final long REPLACEMENT_CREATION_GAP = 1;
  /** At most this many unusable snapshot files are named in the error of a start refused for a log gap. */
  static final int SNAPSHOT_PROBLEMS_LISTED_MAX = 8;

  private final Replica replica;
  private final Clock clock;
  private final AtomicLong lastStampMs = new AtomicLong();
  /** How deep {@link #notifyLogFailed} looks for the failure's root cause. */
  private static final int CAUSE_DEPTH_MAX = 16;
  /** Set by the first failed Raft log write ({@link #notifyLogFailed}); Ratis reports every later one too. */
  private final AtomicBoolean logFailed = new AtomicBoolean();
  /**
   * Replaced by a fresh instance once a refused own snapshot is set aside ({@link #rescanStorage}):
   * Ratis' storage caches its latest snapshot and replaces it only with a higher index.
   */
  private volatile SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private volatile RaftStorage raftStorage;
  private final AtomicLong snapshotsInstalled = new AtomicLong();
  private final AtomicLong snapshotsTaken = new AtomicLong();
  private final AtomicLong snapshotsFailed = new AtomicLong();
  /** How long a halt waits for a Raft server that is still starting before it closes it anyway. */
  static final java.time.Duration HALT_CLOSE_WAIT = java.time.Duration.ofMinutes(1);
  private static final long HALT_CLOSE_POLL_MS = 20;
  /**
   * After a snapshot fails to write (a full disk, an I/O error), the next attempt waits this long,
   * doubling up to {@link #SNAPSHOT_RETRY_MAX}: past the threshold Ratis asks again after every
   * applied entry, and each attempt exports the whole store, so a full disk would otherwise cost a
   * full export (and a stack trace) every few entries.
   */
  static final java.time.Duration SNAPSHOT_RETRY_MIN = java.time.Duration.ofSeconds(1);
  static final java.time.Duration SNAPSHOT_RETRY_MAX = java.time.Duration.ofMinutes(1);
  /** Guarded by {@code this}: the failure backoff ({@link #SNAPSHOT_RETRY_MIN}); zero delay = none. */
  private long snapshotRetryAtNanos;
  private java.time.Duration snapshotRetryDelay = java.time.Duration.ZERO;
  /** Told how long each {@link Replica#apply} call took (ns), for metrics; timing never affects the result. */
  volatile java.util.function.LongConsumer applyNanos = nanos -> {};
  private final AtomicLong snapshotsRefusedAtStart = new AtomicLong();
  /**
   * This node's own latest snapshot when {@link #initialize} refused it; null once a newer snapshot
   * exists and the refused file was set aside (renamed with {@link #REFUSED_SUFFIX}).
   */
  private volatile SingleFileSnapshotInfo refusedSnapshot;
  private final AtomicBoolean replacementPending = new AtomicBoolean();
  /** Snapshot requests made for {@link #refusedSnapshot} (apply thread only). */
  private int replacementRequests;
  private final ClientId snapshotRequestClientId = ClientId.randomId();
  private final AtomicLong snapshotRequestCallIds = new AtomicLong();
  /**
   * Set by {@link #started} once Ratis opened its log from the latest snapshot's index: from then
   * on {@link #getLatestSnapshot} no longer names {@link #refusedSnapshot} (see there).
   */
  private volatile RaftServer.Division startedDivision;
  /** This member's Ratis retry cache once the server runs ({@link #started}); see {@link #releaseReplied}. */
  private volatile RetryCache retryCache;
  private final AtomicLong answersReleased = new AtomicLong();

  VeilraftStateMachine(Replica replica, Clock clock) {
    this.replica = replica;
    this.clock = clock;
  }

  /**
   * Finds the latest snapshot in the state machine storage; when it is ahead of the store (a
   * snapshot Ratis received before a crash, or a swap that was rolled back) installs it. A
   * snapshot that is refused fails the start with its reason. A latest snapshot that is not ahead
   * is authenticated in full (see {@link #verifyOwnSnapshot}): this node would otherwise offer it,
   * unchecked, to every follower that needs a snapshot.
   */
  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    this.raftStorage = raftStorage;
    storage.init(raftStorage);
    SingleFileSnapshotInfo latest = latestSnapshot(storage);
    refuseLostStorage(latest);
    refuseLogGap(latest);
    if (latest != null) {
      if (latest.getIndex() <= replica.appliedIndex() && !verifyOwnSnapshot(latest)) {
        // Neither the refused file's term nor its index is authentic: the last applied term and
        // index come from the Raft log instead (replayed entries, or adoptStoreTermIndex).
        LOG.info("snapshot {} is not ahead of the applied index {}; keeping the store",
            latest.getFile().getPath().getFileName(), replica.appliedIndex());
      } else {
        installIfAhead(latest);
        // A crash may have come between a snapshot and the erasure it allowed.
        eraseCoveredSecrets();
      }
    }
    lastStampMs.set(replica.view().lastLeaderTimeMs());
    getLifeCycle().transition(LifeCycle.State.STARTING);
    getLifeCycle().transition(LifeCycle.State.RUNNING);
  }

  /**
   * Fails the start when this node's Raft storage no longer holds what its store proves it had.
   * The store applied entries up to its applied index; each of them was in this node's synced log
   * first (Ratis applies only flushed entries) and came from a leader of term 1 or later, whose
   * term this node persisted before it appended. So a term of 0 means the storage's {@code
   * raft-meta} (term and vote) is new, and a log without segments whose latest usable snapshot (if
   * any) is below the applied index means the entries it acknowledged are gone; started so, the
   * node could vote twice in one term, or vote for a candidate lacking entries it acknowledged, so
   * that two leaders share a term or committed entries are overwritten (DESIGN.md, "Lost Raft
   * storage"). A missing storage directory or {@code raft-meta} is refused before Ratis formats it
   * ({@code RaftConsensus.refuseLostStorage}); this catches the rest, such as a {@code raft-meta}
   * replaced by a new one, or the log's segments gone. Not caught: an older copy of the storage
   * whose term is above 0 and that still has segments.
   */
  private void refuseLostStorage(SingleFileSnapshotInfo latest) throws IOException {
    long applied = replica.appliedIndex();
    if (applied <= 0) {
      return;
    }
    Path currentDir = raftStorage.getStorageDir().getCurrentDir().toPath();
    boolean voteLost = raftStorage.getMetadataFile().getMetadata().getTerm() == 0;
    long covered = latest == null ? 0 : latest.getIndex();
    boolean logLost = applied > covered && RaftLogFiles.firstIndex(currentDir).isEmpty();
    if (!voteLost && !logLost) {
      return;
    }
    String lost = (voteLost ? "its term and vote (raft-meta is new: term 0)" : "")
        + (voteLost && logLost ? " and " : "")
        + (logLost ? "its log (no segment file in " + RaftStorageDirectory.CURRENT_DIR_NAME + ", and " + (latest == null ? "no usable snapshot"
            : "the latest usable snapshot is at index " + covered) + ")" : "");
    RaftStorageLostException refusal = RaftStorageLostException.of(applied,
        raftStorage.getStorageDir().getRoot().toPath(), lost);
    LOG.error(refusal.getMessage());
    throw refusal;
  }

  /** The remedy for Raft storage that cannot be resumed, shared by the start's refusals. */
  static final String REPLACE_NODE_REMEDY = "remove this node from the cluster (governance --remove-node), "
      + "wipe its data directory and join a fresh node in its place";

  /**
   * Fails the start when Ratis could not resume from {@code latest} (the snapshot it is about to
   * be told is the latest; null for none): its log and apply thread continue from that snapshot's
   * index (-1 without one), so the log must hold the next entry or start before it. The log is
   * purged up to this node's latest snapshot, so when that file is missing, or Ratis skips it (its
   * {@code .md5} missing; any snapshot's {@code .md5} unreadable, which makes Ratis see none at
   * all), the log can start past the resume index + 1. Ratis then opens it anyway, and its apply
   * thread waits forever, at full CPU, for an entry no file on this node holds, while the node
   * looks alive; a leader whose log matches this node's never sends a snapshot either. So this
   * fails the start with what was found and what the operator can do, before Ratis opens the log.
   *
   * <p>Not repaired here, though the store (this node's state) is intact: resuming needs a
   * snapshot Ratis can name at the store's index, with that entry's term, and the term is only
   * in the log, which Ratis has not opened yet (its segment format is not public API); a term
   * taken from anything else would let this node's votes compare a wrong last entry.
   */
  private void refuseLogGap(SingleFileSnapshotInfo latest) throws IOException {
    // Ratis formatted or recovered the storage before this call, so its current directory exists.
    Path logDir = raftStorage.getStorageDir().getCurrentDir().toPath();
    OptionalLong first = RaftLogFiles.firstIndex(logDir);
    long resumeIndex = latest == null ? RaftLog.INVALID_LOG_INDEX
        : Math.max(latest.getIndex(), RaftLog.INVALID_LOG_INDEX);
    if (first.isEmpty() || first.getAsLong() <= resumeIndex + 1) {
      return;
    }
    long firstIndex = first.getAsLong();
    Path snapshotDir = raftStorage.getStorageDir().getStateMachineDir().toPath();
    String message = "cannot start: the raft log in " + logDir + " starts at index " + firstIndex + " but "
        + (latest == null ? "raft finds no usable snapshot" : "the latest usable snapshot is "
            + latest.getFile().getPath().getFileName() + " (index " + latest.getIndex() + ")")
        + " in snapshot directory " + snapshotDir + ", so no file on this node holds entries " + (resumeIndex + 1)
        + ".." + (firstIndex - 1) + " and raft cannot resume (its apply thread would wait forever for entry "
        + (resumeIndex + 1) + "). The log was purged up to this node's latest snapshot, and that snapshot is"
        + " missing or does not match its .md5: " + snapshotFilesProblem(snapshotDir, firstIndex)
        + ". The store (applied index " + replica.appliedIndex() + ") is intact. To recover: restore this node's"
        + " latest snapshot file (snapshot.<term>_<index>) and its .md5 into " + snapshotDir + " from a backup;"
        + " or " + REPLACE_NODE_REMEDY;
    LOG.error(message);
    throw new RaftLogGapException(message);
  }

  /**
   * Why no snapshot file in {@code snapshotDir} covers the log's start, for the operator: the
   * files Ratis skips or cannot read (a {@code .md5} missing, malformed or naming another file),
   * at most {@link #SNAPSHOT_PROBLEMS_LISTED_MAX}, else that none reaches {@code firstIndex - 1}.
   */
  private static String snapshotFilesProblem(Path snapshotDir, long firstIndex) {
    List<String> problems = new ArrayList<>();
    int found = 0;
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(snapshotDir)) {
      for (Path p : entries) {
        if (!SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString()).matches()) {
          continue;
        }
        String problem;
        try {
          problem = MD5FileUtil.readStoredMd5ForFile(p.toFile()) == null ? p.getFileName() + " has no .md5 file"
              : null;
        } catch (IOException e) {
          problem = p.getFileName() + " has an unusable .md5 file (" + e.getMessage() + ")";
        }
        if (problem != null && found++ < SNAPSHOT_PROBLEMS_LISTED_MAX) {
          problems.add(problem);
        }
      }
    } catch (IOException e) {
      return "the snapshot directory cannot be listed (" + e + ")";
    }
    if (problems.isEmpty()) {
      return "no snapshot file reaches index " + (firstIndex - 1) + " (the latest was deleted or lost)";
    }
    if (found > problems.size()) {
      problems.add("and " + (found - problems.size()) + " more");
    }
    return String.join("; ", problems);
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  /**
   * The latest snapshot, as Ratis' contract asks, except a refused own snapshot once the server
   * runs. Ratis reads the latest snapshot while it opens its log at start (its log and apply
   * thread continue from that index, which the store holds); afterwards a leader offers it to any
   * follower that needs a snapshot, and that follower would refuse it and stop its Raft server.
   * So from {@link #started} until a replacement exists this answers "no snapshot": a follower
   * that needs entries the log no longer holds waits for the replacement. One exception keeps
   * votes safe: with an empty Raft log Ratis takes the latest snapshot's term and index as this
   * member's last entry, which votes compare; answering none there would let this member vote for
   * a candidate that lacks entries it holds, so the refused file is still named then.
   */
  @Override
  public SnapshotInfo getLatestSnapshot() {
    SingleFileSnapshotInfo latest = latestSnapshot(storage);
    SingleFileSnapshotInfo refused = refusedSnapshot;
    RaftServer.Division division = startedDivision;
    if (latest == null || refused == null || division == null || !isRefused(latest, refused)) {
      return latest;
    }
    return division.getRaftLog().getLastEntryTermIndex() == null ? latest : null;
  }

  private static boolean isRefused(SingleFileSnapshotInfo info, SingleFileSnapshotInfo refused) {
    return info.getIndex() == refused.getIndex() && info.getFile().getPath().equals(refused.getFile().getPath());
  }

  /**
   * Called once the Raft server runs (its log is open). With a refused own snapshot, stops
   * naming it (see {@link #getLatestSnapshot}) and, when the store sits exactly at its index (no
   * entry replayed at start reaches the store), asks Ratis at once for a snapshot to replace it:
   * the term of the store's last entry is read from the Raft log, never from the refused file's
   * name. When the log no longer holds that entry, the replacement waits for the next applied
   * entry. With the store ahead, replaying the store's last entry brings the replacement.
   */
  void started() {
    stopIfHalted("at start");
    try {
      retryCache = getServer().join().getDivision(getGroupId()).getRetryCache();
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot reach this node's raft group's retry cache; answers stay there until they expire: {}",
          e.toString());
    }
    SingleFileSnapshotInfo refused = refusedSnapshot;
    if (refused == null) {
      return;
    }
    RaftServer.Division division;
    try {
      division = getServer().join().getDivision(getGroupId());
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot reach this node's raft group to replace refused snapshot {}: {}",
          refused.getFile().getPath().getFileName(), e.toString());
      return;
    }
    startedDivision = division;
    long storeIndex = replica.appliedIndex();
    if (refused.getIndex() != storeIndex) {
      return;
    }
    TermIndex stored = division.getRaftLog().getTermIndex(storeIndex);
    if (stored == null) {
      LOG.warn("the raft log no longer holds entry {} (the store's last), so its term is unknown: refused snapshot"
          + " {} is replaced after the next applied entry", storeIndex, refused.getFile().getPath().getFileName());
      return;
    }
    if (adoptStoreTermIndex(stored) && replacementPending.compareAndSet(false, true)) {
      requestSnapshot(refused);
    }
  }

  /**
   * Sets the last applied term and index to the store's last entry, as the Raft log names it,
   * unless Ratis applied further meanwhile. Synchronized with {@link #updateLastAppliedTermIndex}
   * so that the two never move it backwards.
   */
  private synchronized boolean adoptStoreTermIndex(TermIndex stored) {
    if (getLastAppliedTermIndex().getIndex() >= stored.getIndex()) {
      return false;
    }
    return super.updateLastAppliedTermIndex(stored);
  }

  @Override
  protected synchronized boolean updateLastAppliedTermIndex(TermIndex newTermIndex) {
    return super.updateLastAppliedTermIndex(newTermIndex);
  }

  /** Ratis pauses the state machine before it publishes a snapshot received from the leader. */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /**
   * Installs the snapshot Ratis just received (no entry is applied meanwhile). A refused snapshot
   * throws: Ratis then stops this server, which keeps its old state on disk rather than serve
   * state that lacks the snapshot's entries (its log was already moved past them).
   */
  @Override
  public void reinitialize() throws IOException {
    SingleFileSnapshotInfo latest = reloadLatestSnapshot(storage);
    if (latest == null) {
      throw new IOException("asked to install a snapshot, but the state machine storage holds none");
    }
    installIfAhead(latest);
    stopIfHalted("after installing snapshot " + latest.getFile().getPath().getFileName());
    // A snapshot received from the leader also replaces a refused own snapshot.
    setRefusedAside(latest);
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  /**
   * Authenticates this node's own latest snapshot, which is not ahead of the store (header,
   * epoch chain, every chunk, trailer, and the header's term and index against the file name), and
   * compares it with its {@code .md5}, the digest Ratis sends with it (a follower refuses a file
   * that does not match, so a wrong digest would keep every lagging follower from catching up).
   * The store is this node's source of truth, so a refused snapshot does not stop the start: it is
   * logged and counted, Ratis is no longer offered it once the server runs (see
   * {@link #getLatestSnapshot}), and this node asks Ratis for a new snapshot as soon as it can: at
   * start when the store sits at the refused snapshot's index ({@link #started}), else once the
   * store's last entry is applied again (see {@link #requestReplacement}); the new snapshot then
   * sets the refused file aside. Returns whether the snapshot was accepted.
   */
  private boolean verifyOwnSnapshot(SingleFileSnapshotInfo info) {
    Path file = info.getFile().getPath();
    long started = System.nanoTime();
    String refusal;
    try {
      SnapshotFile.Stats stats = SnapshotFile.verify(file, replica.clusterId(),
          header -> replica.keyring().get(header.epoch()));
      SnapshotFile.Header header = stats.header();
      MD5Hash storedMd5 = info.getFile().getFileDigest();
      MD5Hash actualMd5 = storedMd5 == null ? null : MD5FileUtil.computeMd5ForFile(file.toFile());
      if (storedMd5 != null && !storedMd5.equals(actualMd5)) {
        // Ratis sends this digest with the file, and a follower refuses a file that does not match it.
        refusal = "snapshot " + file + " does not match its .md5 (stored " + storedMd5 + ", computed " + actualMd5
            + "), so every follower would refuse it";
      } else if (header.term() == info.getTerm() && header.index() == info.getIndex()) {
        LOG.info("own snapshot {} authenticates ({} records in {} chunks, checked in {} ms)", file.getFileName(),
            stats.records(), stats.chunks(), (System.nanoTime() - started) / 1_000_000);
        return true;
      } else {
        refusal = new SnapshotException(SnapshotException.Reason.HEADER_MISMATCH, file, "the header names term "
            + header.term() + " index " + header.index() + ", the file name term " + info.getTerm() + " index "
            + info.getIndex()).getMessage();
      }
    } catch (SnapshotException e) {
      refusal = e.getMessage();
    } catch (IOException | RuntimeException e) {
      refusal = "snapshot " + file + " cannot be read: " + e;
    }
    snapshotsRefusedAtStart.incrementAndGet();
    refusedSnapshot = info;
    LOG.error("own latest {}. It was altered or damaged on this host. The store (applied index {}) is intact and"
        + " stays this node's state; a new snapshot will replace the refused one, which is then renamed with suffix"
        + " {} for inspection", refusal, replica.appliedIndex(), REFUSED_SUFFIX);
    return false;
  }

  /**
   * Asks Ratis (through its snapshot management API, from the apply thread, without waiting) for
   * a snapshot to replace {@link #refusedSnapshot}, once the store holds exactly the entry just
   * applied: only then does {@link #takeSnapshot} know the store's term. A request that ends
   * without a new snapshot (e.g. the apply thread had moved on to a configuration entry) is
   * made again after the next entry, up to {@link #REPLACEMENT_REQUESTS_MAX} requests.
   */
  private void requestReplacement(long index) {
    SingleFileSnapshotInfo refused = refusedSnapshot;
    if (refused == null || index <= refused.getIndex() || replica.appliedIndex() != index
        || latestSnapshotIndex() > refused.getIndex() || replacementRequests >= REPLACEMENT_REQUESTS_MAX
        || !replacementPending.compareAndSet(false, true)) {
      return;
    }
    replacementRequests++;
    if (replacementRequests == REPLACEMENT_REQUESTS_MAX) {
      LOG.warn("last request for a snapshot to replace refused snapshot {}; after this one the replacement waits"
          + " for the snapshot threshold", refused.getFile().getPath().getFileName());
    }
    requestSnapshot(refused);
  }

  /** Asks Ratis for a snapshot to replace {@code refused}; the caller set {@link #replacementPending}. */
  private void requestSnapshot(SingleFileSnapshotInfo refused) {
    getServer().thenCompose(server -> server.snapshotManagementAsync(SnapshotManagementRequest.newCreate(
        snapshotRequestClientId, getId(), getGroupId(), snapshotRequestCallIds.incrementAndGet(),
        REPLACEMENT_REQUEST_TIMEOUT_MS, REPLACEMENT_CREATION_GAP)))
        .whenComplete((reply, error) -> {
          replacementPending.set(false);
          if (error != null || !reply.isSuccess()) {
            LOG.warn("snapshot request to replace refused snapshot {} failed: {}",
                refused.getFile().getPath().getFileName(), error != null ? error.toString() : reply.getException());
          }
        });
  }

  /**
   * Renames the refused own snapshot (and its .md5) aside once {@code replacement}, a valid
   * snapshot at least as new (taken, or received and installed), exists: Ratis' file pattern no longer matches
   * it, so it is neither offered nor counted for retention, and an operator can inspect it. A
   * failed rename is retried after the next snapshot.
   */
  private void setRefusedAside(SingleFileSnapshotInfo replacement) {
    SingleFileSnapshotInfo refused = refusedSnapshot;
    if (refused == null || replacement.getIndex() < refused.getIndex()) {
      return;
    }
    long newIndex = replacement.getIndex();
    Path file = refused.getFile().getPath();
    if (replacement.getFile().getPath().equals(file)) {
      // Same term and index: the valid snapshot took the refused file's name (a received one
      // replaced it; a taken one moved it aside first, see takeSnapshot).
      LOG.warn("refused snapshot {} replaced by a valid snapshot of the same term and index", file.getFileName());
    } else if (moveAside(refused)) {
      LOG.warn("refused snapshot {} replaced by the snapshot at index {}", file.getFileName(), newIndex);
    } else {
      return;
    }
    refusedSnapshot = null;
    rescanStorage();
  }

  /**
   * Replaces Ratis' storage with a fresh one that finds the latest snapshot on disk again: the
   * old one may still hold the refused file as its latest (it caches the latest and replaces it
   * only with a higher index, while the replacement may have the same index).
   */
  private void rescanStorage() {
    SimpleStateMachineStorage fresh = new SimpleStateMachineStorage();
    try {
      fresh.init(raftStorage);
    } catch (IOException e) {
      LOG.warn("cannot rescan the snapshots after setting a refused one aside: {}", e.toString());
      return;
    }
    storage = fresh;
  }

  /** Renames {@code refused} (and its .md5) with {@link #REFUSED_SUFFIX}; returns whether that worked. */
  private static boolean moveAside(SingleFileSnapshotInfo refused) {
    Path file = refused.getFile().getPath();
    Path aside = file.resolveSibling(file.getFileName() + REFUSED_SUFFIX);
    try {
      if (Files.exists(file)) {
        Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
      }
      Path md5 = MD5FileUtil.getDigestFileForFile(file.toFile()).toPath();
      if (Files.exists(md5)) {
        Files.move(md5, MD5FileUtil.getDigestFileForFile(aside.toFile()).toPath(), StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (IOException e) {
      LOG.warn("cannot rename refused snapshot {} aside: {}", file, e.toString());
      return false;
    }
    LOG.warn("refused snapshot {} renamed to {} for inspection", file.getFileName(), aside.getFileName());
    return true;
  }

  private void installIfAhead(SingleFileSnapshotInfo info) throws IOException {
    Path file = info.getFile().getPath();
    if (info.getIndex() > replica.appliedIndex()) {
      SnapshotFile.Header header = SnapshotFile.readHeader(file);
      if (header.term() != info.getTerm() || header.index() != info.getIndex()) {
        throw new SnapshotException(SnapshotException.Reason.HEADER_MISMATCH, file, "the header names term "
            + header.term() + " index " + header.index() + ", the file name term " + info.getTerm() + " index "
            + info.getIndex());
      }
      long started = System.nanoTime();
      long retainFrom = Math.min(header.epoch(), retainedSnapshotsEpochFloor().orElse(1));
      SnapshotFile.Stats stats;
      try {
        stats = replica.installSnapshotFile(info.getIndex(), file, retainFrom);
      } catch (StateException e) {
        if (e.isDiskFailure()) {
          // Ratis closes the division on this exception; the node must not stay up without it (a
          // restart, once the disk has room, installs the snapshot again: the old store is kept).
          replica.haltOnDiskFailure("cannot install snapshot " + file + ": " + e.getMessage());
        }
        throw new IOException("cannot install snapshot " + file + ": " + e.getMessage(), e);
      } catch (IOException e) {
        LOG.error("snapshot install refused: {}", e.getMessage());
        throw e;
      }
      snapshotsInstalled.incrementAndGet();
      LOG.info("installed snapshot {} (epoch {}, chain of {} links, {} records in {} chunks) in {} ms; applied index"
          + " is now {}; epoch secrets kept from epoch {}", file.getFileName(), header.epoch(), header.chain().size(),
          stats.records(), stats.chunks(), (System.nanoTime() - started) / 1_000_000, replica.appliedIndex(),
          retainFrom);
      lastStampMs.accumulateAndGet(replica.view().lastLeaderTimeMs(), Math::max);
    } else {
      LOG.info("snapshot {} is not ahead of the applied index {}; keeping the store", file.getFileName(),
          replica.appliedIndex());
    }
    if (info.getTermIndex().compareTo(getLastAppliedTermIndex()) > 0) {
      updateLastAppliedTermIndex(info.getTermIndex());
    }
  }

  /**
   * Writes the replicated state as an encrypted snapshot file named for its term and index, on the
   * apply thread (so the exported state is exactly the last applied entry's). Returns the index
   * of the latest snapshot, or -1 when none can be taken yet.
   */
  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    SingleFileSnapshotInfo latest = latestSnapshot(storage);
    SingleFileSnapshotInfo refused = refusedSnapshot;
    // A refused latest snapshot counts as none: it neither blocks its replacement nor is reported as taken.
    long latestIndex = latest == null || (refused != null && isRefused(latest, refused)) ? RaftLog.INVALID_LOG_INDEX
        : latest.getIndex();
    MembershipView view = replica.view();
    if (last == null || last.getIndex() <= 0 || last.getIndex() <= latestIndex || view.epoch() == 0) {
      return latestIndex;
    }
    if (replica.appliedIndex() != last.getIndex()) {
      // Replaying entries the store already holds after a restart: the store's term is unknown.
      LOG.debug("no snapshot at {}: the store is at {}", last, replica.appliedIndex());
      return latestIndex;
    }
    EpochSecret secret = replica.keyring().get(view.epoch()).orElse(null);
    if (secret == null) {
      LOG.warn("no snapshot at {}: this node does not hold the secret of epoch {}", last, view.epoch());
      return latestIndex;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    synchronized (this) {
      if (!snapshotRetryDelay.isZero() && System.nanoTime() - snapshotRetryAtNanos < 0) {
        LOG.debug("no snapshot at {}: the last attempt failed, next attempt in {} ms", last,
            (snapshotRetryAtNanos - System.nanoTime()) / 1_000_000);
        return latestIndex;
      }
    }
    try {
      long index = writeSnapshot(file, last, secret, refused);
      synchronized (this) {
        snapshotRetryDelay = java.time.Duration.ZERO;
      }
      return index;
    } catch (IOException | RuntimeException e) {
      snapshotsFailed.incrementAndGet();
      java.time.Duration delay;
      synchronized (this) {
        delay = snapshotRetryDelay.isZero() ? SNAPSHOT_RETRY_MIN
            : java.util.Collections.min(List.of(snapshotRetryDelay.multipliedBy(2), SNAPSHOT_RETRY_MAX));
        snapshotRetryDelay = delay;
        snapshotRetryAtNanos = System.nanoTime() + delay.toNanos();
      }
      throw new IOException(e.getMessage() + " (next attempt in " + delay.toSeconds() + " s at the earliest)", e);
    }
  }

  /**
   * Writes, checks in and announces the snapshot of the applied state at {@code last}; {@code
   * refused} is the own snapshot refused at start, if any (null otherwise).
   */
  private long writeSnapshot(File file, TermIndex last, EpochSecret secret, SingleFileSnapshotInfo refused)
      throws IOException {
    Path tmp = file.toPath().resolveSibling(file.getName() + ".writing");
    long started = System.nanoTime();
    SnapshotFile.Stats stats;
    List<EpochLink> chain;
    try {
      // On the apply thread: the store holds exactly the state of the last applied entry, as the export will.
      chain = EpochChain.chainEndingAt(replica.store(), secret.epoch(), SnapshotFile.chainLinksMax);
    } catch (StateException e) {
      throw new IOException("cannot read the epoch chain for snapshot " + file + ": " + e.getMessage(), e);
    }
    try (SnapshotFile.Writer writer = SnapshotFile.create(tmp, replica.clusterId(), secret, last.getTerm(),
        last.getIndex(), chain)) {
      replica.exportRecords(writer);
      stats = writer.finish();
    } catch (StateException | IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw new IOException("cannot write snapshot " + file + ": " + e.getMessage(), e);
    }
    if (refused != null && refused.getFile().getPath().equals(file.toPath())) {
      // The replacement has the refused file's term and index: keep the refused one for inspection.
      moveAside(refused);
    }
    Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    SingleFileSnapshotInfo taken = new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last);
    storage.updateLatestSnapshot(taken);
    snapshotsTaken.incrementAndGet();
    LOG.info("took snapshot {} (epoch {}, chain of {} links, {} records, {} bytes) in {} ms", file.getName(),
        secret.epoch(), stats.header().chain().size(), stats.records(), stats.bytes(),
        (System.nanoTime() - started) / 1_000_000);
    setRefusedAside(taken);
    eraseCoveredSecrets();
    return last.getIndex();
  }

  /**
   * Erases the secrets of epochs before {@link #retainedSnapshotsEpochFloor}: every entry sealed
   * under them is covered by the snapshots this node keeps, so neither this node nor a member it
   * sends a snapshot or history to needs them. Best effort: a failure is logged and retried after
   * the next snapshot.
   */
  private void eraseCoveredSecrets() {
    OptionalLong floor = retainedSnapshotsEpochFloor();
    long current = replica.view().epoch();
    if (floor.isEmpty() || floor.getAsLong() <= 1 || current < 1) {
      return;
    }
    long epoch = Math.min(floor.getAsLong(), current);
    try {
      List<Long> erased = replica.eraseSecretsBefore(epoch);
      if (!erased.isEmpty()) {
        LOG.info("erased this node's secrets of epochs {} (every entry sealed under them is in a snapshot);"
            + " secrets kept from epoch {}", erased, epoch);
      }
    } catch (StateException | RuntimeException e) {
      LOG.warn("cannot erase epoch secrets before epoch {}: {}", epoch, e.getMessage());
    }
  }

  /**
   * The epoch of the oldest of the {@link RaftConsensus#SNAPSHOTS_RETAINED} newest snapshot files:
   * secrets are kept from there on, not only from the latest snapshot's epoch. The extra
   * snapshot of margin is for other members: a joiner gets this node's secrets as history but the
   * leader's latest snapshot, which may be one threshold older than this node's. Empty when there
   * is no snapshot or a header cannot be read (then nothing is erased).
   */
  private OptionalLong retainedSnapshotsEpochFloor() {
    Path dir = storage.getSnapshotFile(0, 0).toPath().getParent();
    List<File> files = new ArrayList<>();
    SingleFileSnapshotInfo refused = refusedSnapshot;
    Path refusedFile = refused == null ? null : refused.getFile().getPath().getFileName();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        // A refused snapshot's header is not authentic: its epoch must not decide which secrets are erased.
        if (SimpleStateMachineStorage.SNAPSHOT_REGEX.matcher(p.getFileName().toString()).matches()
            && !p.getFileName().equals(refusedFile)) {
          files.add(p.toFile());
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list the snapshots in {}: {}", dir, e.getMessage());
      return OptionalLong.empty();
    }
    files.sort(Comparator.comparingLong(
        (File f) -> SimpleStateMachineStorage.getTermIndexFromSnapshotFile(f).getIndex()).reversed());
    long floor = Long.MAX_VALUE;
    for (File f : files.subList(0, Math.min(files.size(), RaftConsensus.SNAPSHOTS_RETAINED))) {
      try {
        floor = Math.min(floor, SnapshotFile.readHeader(f.toPath()).epoch());
      } catch (IOException e) {
        LOG.warn("cannot read the header of snapshot {}, so no epoch secret is erased: {}", f, e.getMessage());
        return OptionalLong.empty();
      }
    }
    return floor == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(floor);
  }

  long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  /** Answers dropped from this member's retry cache because their proposers had received them. */
  long answersReleased() {
    return answersReleased.get();
  }

  long snapshotsTaken() {
    return snapshotsTaken.get();
  }

  /** Snapshot attempts that failed to write (each one followed by the {@link #SNAPSHOT_RETRY_MIN} backoff). */
  long snapshotsFailed() {
    return snapshotsFailed.get();
  }

  /** Own latest snapshots refused by {@link #initialize} (0 or 1 per start). */
  long snapshotsRefusedAtStart() {
    return snapshotsRefusedAtStart.get();
  }

  /**
   * {@code storage}'s latest snapshot, working around a race in Ratis 3.3's {@link
   * SimpleStateMachineStorage#getLatestSnapshot}: when it knows no snapshot yet it lists the
   * directory and then merges what it found into its latest-snapshot field; if another thread set
   * that field in between (a snapshot just taken) while the listing found none, the merge throws
   * NullPointerException (it compares the index of the null it found). The field is set by then,
   * so a second call returns it. Seen in CI: {@code /v1/status}'s snapshot figures polled while the
   * first snapshot was written.
   */
  static SingleFileSnapshotInfo latestSnapshot(SimpleStateMachineStorage storage) {
    try {
      return storage.getLatestSnapshot();
    } catch (NullPointerException raced) {
      return storage.getLatestSnapshot();
    }
  }

  /**
   * {@code storage}'s latest snapshot listed again from its directory, or null when the listing
   * finds none: Ratis 3.3's {@link SimpleStateMachineStorage#loadLatestSnapshot} throws
   * NullPointerException instead when it knew a snapshot before (the merge of {@link
   * #latestSnapshot}'s race, here without a race).
   */
  static SingleFileSnapshotInfo reloadLatestSnapshot(SimpleStateMachineStorage storage) {
    try {
      return storage.loadLatestSnapshot();
    } catch (NullPointerException noneListed) {
      return null;
    }
  }

  long latestSnapshotIndex() {
    SingleFileSnapshotInfo latest = latestSnapshot(storage);
    return latest == null ? RaftLog.INVALID_LOG_INDEX : latest.getIndex();
  }

  @Override
  public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
    org.apache.ratis.thirdparty.com.google.protobuf.ByteString content = request.getMessage().getContent();
    TransactionContext.Builder builder = TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request);
    if (content.size() > Limits.PROPOSAL_BYTES_MAX) {
      TransactionContext trx = builder.build();
      trx.setException(new IOException("proposal is " + content.size() + " bytes, more than " + Limits.PROPOSAL_BYTES_MAX));
      return trx;
    }
    // A proposal with structure this build does not know would halt every replica of this build
    // once committed (ProtocolGate): refuse it here, before it enters the log. Only a leader that
    // skips this check (a faulty or malicious member) can commit one.
    // One copy of the proposal, read by the check and wrapped into the entry (whose encoding copies it).
    byte[] proposal = content.toByteArray();
    java.util.Optional<String> unknown = dev.veilraft.consensus.ProtocolGate.unknownStructure(proposal);
    if (unknown.isPresent()) {
      TransactionContext trx = builder.build();
      trx.setException(new IOException("UNKNOWN_STRUCTURE: the proposal carries fields this build does not know ("
          + unknown.get() + "); a newer build must not send a new wire form before the cluster's protocol version "
          + "allows it"));
      return trx;
    }
    // A host may skew this node's clock; the stamp is still forced monotonic along the log, and
    // only coarse validity checks use it. Freshness of evidence comes from nonces.
    long stamp = lastStampMs.updateAndGet(last -> Math.max(last, clock.millis()));
    LogEntry.Builder entry = LogEntry.newBuilder().setLeaderTimeMs(stamp)
        .setProposal(com.google.protobuf.UnsafeByteOperations.unsafeWrap(proposal));
    // What the proposer has received: every member drops those answers when it applies this entry
    // (releaseReplied), as this leader's retry cache dropped them just now.
    RepliedCalls.copyInto(entry, request.getRepliedCallIds());
    return builder.setLogData(UnsafeByteOperations.unsafeWrap(entry.build().toByteArray())).build();
  }

  /**
   * A replica that halted outside apply (its stored or installed state is above this build's
   * protocol version) must not vote or lead either: with a current log it could win an election,
   * and a new leader's first entry never reaches apply, so nothing else would stop it (review R5).
   */
  private void stopIfHalted(String when) {
    replica.halted().ifPresent(why -> {
      LOG.error("replica halted {}: {}; stopping this raft server so it neither leads nor votes", when, why);
      stopServer();
    });
  }

  /**
   * A halted replica must not keep leading or voting: Ratis would count the failed entry as
   * applied and go on. Closing the server from another thread avoids closing it from its own
   * apply thread.
   */
  private void stopServer() {
    getServer().thenAccept(server -> {
      Thread stopper = new Thread(() -> {
        try {
          // A halt during the replay inside RaftServer.start() must not close the server under it
          // (Ratis then fails the start with an illegal CLOSING -> RUNNING transition): wait, bounded,
          // until the start has finished. (Ratis replays there up to the commit index its log
          // records: only logs written while commit-index metadata entries were on record one.)
          long deadline = System.nanoTime() + HALT_CLOSE_WAIT.toNanos();
          while (server.getLifeCycleState() == LifeCycle.State.STARTING && System.nanoTime() < deadline) {
            Thread.sleep(HALT_CLOSE_POLL_MS);
          }
          server.close();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } catch (IOException | RuntimeException e) {
          LOG.warn("halted raft server did not close cleanly: {}", e.toString());
        }
      }, "veilraft-halt");
      stopper.setDaemon(true);
      stopper.start();
    });
  }

  /**
   * Ratis could not write this member's log (a full or failing disk). Its log worker then fails
   * every later write as well while the server runs on, so the member would stay in the group
   * unable to persist anything, for good. It halts instead, as a disk failure (restart the node
   * once the disk is fixed: it resumes from its last committed state), and the server stops, so
   * that it neither leads nor votes. Called on Ratis' log worker, once per failed write.
   */
  @Override
  public void notifyLogFailed(Throwable cause, LogEntryProto failedEntry) {
    String what = failedEntry == null ? "a log segment" : "entry " + failedEntry.getIndex();
    // Ratis wraps the first failure ("Log already failed at index ...") when a later task reports it.
    Throwable root = cause;
    for (int depth = 0; root.getCause() != null && depth < CAUSE_DEPTH_MAX; depth++) {
      root = root.getCause();
    }
    if (root instanceof java.nio.channels.ClosedChannelException) {
      // Ratis' close closes the log file under a write still running (a slow disk): the server is
      // going down anyway, and the disk did not refuse anything.
      LOG.warn("raft log write of {} ended by the log's close ({}); not a disk failure", what, root.toString());
      return;
    }
    if (!logFailed.compareAndSet(false, true)) {
      return;
    }
    String why = root == cause ? cause.getMessage() : cause.getMessage() + ": " + root.getMessage();
    replica.haltOnDiskFailure("the Raft log could not write " + what + ": " + why);
    LOG.error("raft log write failed ({}): {}; stopping this raft server so it neither leads nor votes", what, why);
    stopServer();
  }

  /** A read-only query; Ratis calls it after its read index for linearizable reads. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    ApplyResult result = replica.query(request.getContent().toByteArray());
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    long index = entry.getIndex();
    byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
    Answer answer;
    try {
      long started = System.nanoTime();
      answer = replica.answer(index, data);
      observeApply(System.nanoTime() - started);
    } catch (ReplicaHaltedException e) {
      LOG.error("replica halted at index {}: {}; stopping this raft server so it neither leads nor votes",
          index, e.getMessage());
      stopServer();
      return CompletableFuture.failedFuture(e);
    }
    lastStampMs.accumulateAndGet(replica.view().lastLeaderTimeMs(), Math::max);
    // After a snapshot that was not ahead of the store, Ratis re-feeds entries already applied.
    if (index > getLastAppliedTermIndex().getIndex()) {
      updateLastAppliedTermIndex(entry.getTerm(), index);
    }
    if (refusedSnapshot != null) {
      requestReplacement(index);
    }
    try {
      releaseReplied(entry.getStateMachineLogEntry().getClientId(), data);
    } catch (RuntimeException e) {
      // Memory only: the entry is applied, and its answers then stay until the cache's expiry.
      LOG.warn("releasing replied answers after index {} failed: {}", index, e.toString());
    }
    // Encoded, and client events' answers sealed, only when Ratis reads the message: on the leader
    // for the proposer's reply, on any member for a request asked again through its retry cache.
    return CompletableFuture.completedFuture(new AnswerMessage(answer));
  }

  /**
   * Drops the answers this member holds for the calls whose replies the entry's proposer has
   * received ({@code LogEntry.replied_call_ids}). Ratis' leader drops them from its retry cache when
   * the request arrives, but a follower keeps every entry's reply until the cache's expiry (60 s),
   * and each reply holds its events' unsealed answers: at 8,000 puts/s about 460,000 answers and
   * 110 MB of a follower's heap, all of it promoted and collected in full collections. Now a
   * follower keeps an answer until its proposer's next write, as the leader does. A member that
   * takes over leadership still answers a resent request that was never replied to from its cache.
   * Entries applied before the server runs (the replay at start) release nothing: their replies
   * expire as before.
   */
  private void releaseReplied(org.apache.ratis.thirdparty.com.google.protobuf.ByteString clientId, byte[] entryBytes) {
    RetryCache cache = retryCache;
    if (cache == null) {
      return;
    }
    long[] replied = RepliedCalls.in(entryBytes);
    if (replied.length == 0) {
      return;
    }
    ClientId client = ClientId.valueOf(clientId);
    for (long callId : replied) {
      RetryCache.Entry cached = cache.getIfPresent(ClientInvocationId.valueOf(client, callId));
      if (cached == null) {
        continue; // expired, or dropped by this member as leader when the request arrived
      }
      RaftClientReply reply = cached.getReplyFuture().getNow(null);
      if (reply != null && reply.getMessage() instanceof AnswerMessage message) {
        message.release();
        answersReleased.incrementAndGet();
      }
    }
  }

  /** Metrics only: a failing observer must never stop the apply thread (the entry is already applied). */
  private void observeApply(long nanos) {
    try {
      applyNanos.accept(nanos);
    } catch (RuntimeException e) {
      LOG.debug("apply-time observer failed: {}", e.toString());
    }
  }
}
