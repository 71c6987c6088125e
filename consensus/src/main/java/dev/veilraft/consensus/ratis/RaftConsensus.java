package dev.veilraft.consensus.ratis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.consensus.Answer;
import dev.veilraft.consensus.EventGrouper;
import dev.veilraft.consensus.Limits;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.crypto.proto.SealedRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageDirectory;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's Raft server and its client into the group, over gRPC with attested mutual TLS.
 * The only class that touches Ratis; its API speaks veilraft types.
 */
public final class RaftConsensus implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RaftConsensus.class);
  /** Bounded retries: the default policy retries reconfiguration timeouts forever. */
  private static final int CLIENT_ATTEMPTS_MAX = 40;
  private static final TimeDuration CLIENT_RETRY_SLEEP = TimeDuration.valueOf(250, TimeUnit.MILLISECONDS);
  /** Threads and queue of {@link #localWork}. */
  private static final int LOCAL_WORK_THREADS = 2;
  private static final int LOCAL_WORK_QUEUED_MAX = 4096;
  private static final int CONF_CHANGE_ATTEMPTS_MAX = 10;
  /** Configuration changes one {@link #reconcile} call may make (each step is one Ratis change). */
  private static final int RECONCILE_STEPS_MAX = 32;
  /** How long one configuration change may take, staging (a new member catching up) included. */
  private static final Duration CONF_CHANGE_TIMEOUT = Duration.ofSeconds(60);
  /** How long {@link #reconcile} waits for a configuration change in progress to finish. */
  private static final Duration STABLE_CONF_WAIT = Duration.ofSeconds(10);
  /** How long a new member has to answer the probe made before it is added. */
  private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);
  /** The least time between two restarts of this node's Raft server by the role watchdog. */
  private static final Duration WATCHDOG_RESTART_INTERVAL_MIN = Duration.ofSeconds(10);
  /** How often the role watchdog restarts a division that closed itself (see {@link #checkListenerRole}). */
  static final int CLOSED_RESTARTS_MAX = 3;
  private static final long WATCHDOG_PERIOD_MS_MIN = 50;
  private static final Duration PORT_RELEASE_WAIT = Duration.ofSeconds(10);
  /** How deep {@link #startFailure} looks through an exception's causes for the reason. */
  private static final int START_FAILURE_CAUSES_MAX = 16;

  /** Entries applied between two snapshots by default; the Raft log is purged up to each snapshot. */
  public static final long SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT = 10_000;
  /** The lowest snapshot threshold accepted (tests use a low one). */
  public static final long SNAPSHOT_THRESHOLD_ENTRIES_MIN = 10;
  /** Snapshot files kept in the state machine storage; older ones are deleted. */
  static final int SNAPSHOTS_RETAINED = 2;
  private static final long LOG_SEGMENT_BYTES_MIN = 64L * 1024;
  private static final long LOG_SEGMENT_BYTES_MAX = 8L * 1024 * 1024;
  private static final long LOG_SEGMENT_BYTES_PER_THRESHOLD_ENTRY = 1024;
  private static final long LOG_PREALLOCATED_BYTES_MAX = 4L * 1024 * 1024;
  private static final long LOG_PURGE_GAP_MAX = 1024;

  /**
   * Where the node listens and stores its log; {@code snapshotThresholdEntries} entries pass
   * between two snapshots.
   */
  public record Settings(Path storageDir, String host, int port, Duration electionTimeoutMin, Duration electionTimeoutMax,
      long snapshotThresholdEntries) {
    public Settings {
      if (snapshotThresholdEntries < SNAPSHOT_THRESHOLD_ENTRIES_MIN) {
        throw new IllegalArgumentException("snapshotThresholdEntries is " + snapshotThresholdEntries
            + ", expected >= " + SNAPSHOT_THRESHOLD_ENTRIES_MIN);
      }
    }

    /** Settings with the default snapshot threshold. */
    public Settings(Path storageDir, String host, int port, Duration electionTimeoutMin, Duration electionTimeoutMax) {
      this(storageDir, host, port, electionTimeoutMin, electionTimeoutMax, SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT);
    }

    public String address() {
      return host + ":" + port;
    }
  }

  private final Settings settings;
  private final NodeIdentity identity;
  private final Replica replica;
  private final Clock clock;
  private final RaftGroupId groupId;
  private final RaftPeerId selfId;
  private final RaftProperties properties;
  private final Parameters parameters;
  /** Replaced only when the role watchdog restarts the server (see {@link #checkListenerRole}). */
  private volatile RaftServer server;
  private volatile VeilraftStateMachine stateMachine;
  private final Set<String> bootstrapTrust;
  private volatile RaftClient client;
  private volatile Object clientConf;
  private final List<RaftClient> retiredClients = new ArrayList<>();
  private final ClientId adminClientId = ClientId.randomId();
  private final AtomicLong adminCallIds = new AtomicLong();
  private final Object reconcileLock = new Object();
  private final ScheduledExecutorService watchdog;
  private volatile boolean closed;
  private long lastRestartNanos;
  private int closedRestartsLeft = CLOSED_RESTARTS_MAX;
  private final AtomicLong serverRestarts = new AtomicLong();
  /** Used only by the watchdog's thread. */
  private final StoppedTimerRelease stoppedTimers = new StoppedTimerRelease();
  private final AtomicLong stoppedTimersReleased = new AtomicLong();
  private final AtomicLong snapshotsTakenBefore = new AtomicLong();
  private final AtomicLong answersReleasedBefore = new AtomicLong();
  private final AtomicLong snapshotsInstalledBefore = new AtomicLong();
  private final AtomicLong snapshotsFailedBefore = new AtomicLong();
  private final AtomicLong snapshotsRefusedAtStartBefore = new AtomicLong();
  /** Groups this node's concurrent client events into shared entries (see {@link #submit}). */
  private final EventGrouper grouper = new EventGrouper(this::sendGrouped);
  /**
   * The Ratis client id of the proposals and reads this node submits to its own server (see
   * {@link #sendGrouped} and {@link #query}). Their call ids come from Ratis' JVM-wide counter
   * ({@link CallId}), like its clients': a local proposal may be sent again through this node's
   * client's gRPC stream, which matches replies by call id alone. One id for writes and reads:
   * Ratis' retry cache keys on (client id, call id), and read-after-write ordering is off.
   */
  private final ClientId localClientId = ClientId.randomId();
  /** Call ids of local proposals answered since the last local proposal, told to the server with it (see {@link #localRequest}). */
  private final java.util.concurrent.ConcurrentLinkedQueue<Long> localCallsAnswered =
      new java.util.concurrent.ConcurrentLinkedQueue<>();
  /**
   * Runs what follows a local request off Ratis' threads: a query's answer (its caller writes the
   * HTTPS answer, opens it, may submit more) and every resend. Two threads, a bounded queue; when it
   * is full, or after close, the completing thread runs the task itself (back-pressure, nothing dropped).
   */
  private final java.util.concurrent.ThreadPoolExecutor localWork = new java.util.concurrent.ThreadPoolExecutor(
      LOCAL_WORK_THREADS, LOCAL_WORK_THREADS, 0L, TimeUnit.MILLISECONDS,
      new java.util.concurrent.ArrayBlockingQueue<>(LOCAL_WORK_QUEUED_MAX), daemonThreads("veilraft-local-requests-"),
      (task, executor) -> task.run());
  private final AtomicLong localProposals = new AtomicLong();
  private final AtomicLong clientProposals = new AtomicLong();
  private final AtomicLong proposalsResent = new AtomicLong();
  private final AtomicLong proposalsDelayed = new AtomicLong();
  private final AtomicLong localReads = new AtomicLong();
  private final AtomicLong readsRetried = new AtomicLong();
  private final AtomicLong answersTaken = new AtomicLong();

  /**
   * How a node's Raft server starts when it has no configuration of its own yet (a node with one,
   * from its log, starts in the role that configuration gives it, whatever is passed here).
   */
  public enum StartRole {
    /** Founds the group: a fresh founder starts as the only voter. */
    FOUNDER,
    /**
     * Joins as a voter: starts with an empty group, in Ratis' "initializing" state (STARTING, no
     * election timer), until the leader has staged it as a new voter; then it runs as a follower.
     * A server started so and added as a listener never leaves STARTING in Ratis 3.3 (the leader
     * never marks a listener caught up): it applies the log but answers no request and would
     * never vote if promoted, so {@link #reconcile} does not add it as a listener.
     */
    VOTER,
    /**
     * Joins as a listener: starts as a listener of a configuration naming only itself, so its
     * server runs at once; it never campaigns. Once the leader adds it (as a listener) it applies
     * the log and answers reads. Promoted later, it becomes a follower when the new configuration
     * reaches it; until then it refuses votes, so it must not be the voter a new configuration
     * cannot do without: {@link #reconcile} does not promote it while the group has a single voter.
     */
    LISTENER
  }

  private RaftConsensus(Settings settings, NodeIdentity identity, Replica replica, Set<String> bootstrapTrust,
      StartRole role, Clock clock) throws IOException {
    this.settings = settings;
    this.identity = identity;
    this.replica = replica;
    this.clock = clock;
    this.groupId = RaftIds.groupId(replica.clusterId());
    this.selfId = RaftPeerId.valueOf(identity.nodeId());
    this.bootstrapTrust = Set.copyOf(bootstrapTrust);
    this.properties = properties(settings);
    this.parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, PeerTls.config(identity, this::trustedNodeIds));
    boolean existing = Files.isDirectory(groupDir(settings, groupId));
    RaftGroup group = switch (role) {
      case FOUNDER -> existing ? RaftGroup.valueOf(groupId)
          : RaftGroup.valueOf(groupId, RaftIds.peer(identity.nodeId(), settings.address()));
      case VOTER -> RaftGroup.valueOf(groupId);
      case LISTENER -> listenerStartGroup();
    };
    this.stateMachine = new VeilraftStateMachine(replica, clock);
    this.server = newServer(group, stateMachine,
        existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT);
    this.watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "raft-role-watchdog-" + identity.nodeId());
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Where Ratis keeps the group's storage: its term and vote, log and snapshots. */
  private static Path groupDir(Settings settings, RaftGroupId groupId) {
    return settings.storageDir().resolve(groupId.getUuid().toString());
  }

  /**
   * Refuses, before anything touches the disk, a start whose store has applied entries while its Raft
   * storage directory or the {@code raft-meta} in it (term and vote) is missing: Ratis would
   * format the storage, clearing its snapshot directory on the way, and the node would start with
   * no term, vote or log (see {@link RaftStorageLostException}). Refused here, nothing is changed,
   * so putting a moved directory back is enough. The state machine checks the rest once Ratis has
   * opened the storage ({@code VeilraftStateMachine.refuseLostStorage}).
   */
  private static void refuseLostStorage(Path groupDir, long applied) throws RaftStorageLostException {
    if (applied <= 0) {
      return;
    }
    Path meta = groupDir.resolve(RaftStorageDirectory.CURRENT_DIR_NAME).resolve(RaftLogFiles.META_FILE);
    String lost = !Files.isDirectory(groupDir) ? "all of it (the directory is missing)"
        : !Files.isRegularFile(meta) ? "its term and vote (" + groupDir.relativize(meta) + " is missing)" : null;
    if (lost == null) {
      return;
    }
    RaftStorageLostException refusal = RaftStorageLostException.of(applied, groupDir, lost);
    LOG.error(refusal.getMessage());
    throw refusal;
  }

  /** A configuration naming only this node, as a listener (see {@link StartRole#LISTENER}). */
  private RaftGroup listenerStartGroup() {
    return RaftGroup.valueOf(groupId, RaftPeer.newBuilder().setId(selfId).setAddress(settings.address())
        .setStartupRole(RaftPeerRole.LISTENER).build());
  }

  private RaftServer newServer(RaftGroup group, VeilraftStateMachine machine, RaftStorage.StartupOption option)
      throws IOException {
    return RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(group)
        .setStateMachine(machine)
        .setProperties(properties)
        .setParameters(parameters)
        .setOption(option)
        .build();
  }

  /**
   * Starts the Raft server as {@link StartRole#FOUNDER} or {@link StartRole#VOTER}. See
   * {@link #start(Settings, NodeIdentity, Replica, Set, StartRole, Clock)}.
   */
  public static RaftConsensus start(Settings settings, NodeIdentity identity, Replica replica,
      Set<String> bootstrapTrust, boolean founder, Clock clock) throws IOException {
    return start(settings, identity, replica, bootstrapTrust, founder ? StartRole.FOUNDER : StartRole.VOTER, clock);
  }

  /**
   * Starts the Raft server. A founder with empty storage starts a one-member group; every other
   * node starts in no configuration (or recovers its own) and is added by the leader, in the role
   * it started for ({@link StartRole}). {@code bootstrapTrust} names nodes trusted until this node
   * has applied its own admission (from then on its replicated view names every member). A
   * start that fails leaves no server running and the Raft storage unlocked.
   *
   * @throws RaftLogGapException when the Raft log begins past the latest usable snapshot + 1
   *     (see {@link RaftLogGapException}); the node must not run until an operator acts
   */
  public static RaftConsensus start(Settings settings, NodeIdentity identity, Replica replica,
      Set<String> bootstrapTrust, StartRole role, Clock clock) throws IOException {
    refuseLostStorage(groupDir(settings, RaftIds.groupId(replica.clusterId())), replica.appliedIndex());
    Files.createDirectories(settings.storageDir());
    checkPortFree(settings);
    RaftConsensus consensus = new RaftConsensus(settings, identity, replica, bootstrapTrust, role, clock);
    try {
      consensus.server.start();
    } catch (IOException | RuntimeException e) {
      // E.g. the state machine refused to start (VeilraftStateMachine.initialize): release the
      // Raft storage (its lock) and threads, and give the caller the reason, not Ratis' wrapper.
      try {
        consensus.close();
      } catch (IOException | RuntimeException closing) {
        e.addSuppressed(closing);
      }
      IOException failure = startFailure(e);
      if (failure != e) {
        LOG.debug("raft server start failed", e);
      }
      throw failure;
    }
    consensus.stateMachine.started();
    long period = Math.max(WATCHDOG_PERIOD_MS_MIN, settings.electionTimeoutMin().toMillis() / 2);
    consensus.watchdog.scheduleWithFixedDelay(consensus::watch, period, period, TimeUnit.MILLISECONDS);
    LOG.info("raft server {} listening on {} for group {} ({})", identity.nodeId(), settings.address(),
        consensus.groupId, role);
    return consensus;
  }

  /**
   * The reason a Raft server did not start: Ratis starts its divisions in parallel and wraps what
   * one threw (e.g. the state machine's {@link RaftLogGapException}) in CompletionExceptions; the
   * outermost IOException, returned as it is (its type tells the caller what failed), carries the
   * message meant for the operator.
   */
  private static IOException startFailure(Exception e) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < START_FAILURE_CAUSES_MAX; t = t.getCause(), depth++) {
      if (t instanceof IOException io) {
        return io;
      }
    }
    return new IOException("raft server did not start: " + e, e);
  }

  /**
   * Ratis terminates the JVM (System.exit) when its gRPC server cannot bind, which would lose the
   * reason; probing first turns the common case (port taken) into a specific error. Ratis' other
   * fail-stop behaviour (exit on an uncaught exception in any thread) is kept on purpose: a
   * crash-fault-tolerant replica should stop rather than limp on.
   */
  private static void checkPortFree(Settings settings) throws IOException {
    try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new java.net.InetSocketAddress(settings.host(), settings.port()));
    } catch (IOException e) {
      throw new IOException("raft address " + settings.address() + " is not available (" + e.getMessage() + ")", e);
    }
  }

  /** veilraft's Raft properties for {@code settings}; the benchmark's {@link PlaintextBaseline} uses the same. */
  static RaftProperties properties(Settings settings) {
    RaftProperties p = new RaftProperties();
    // gRPC is the only Ratis transport with TLS; veilraft's variant also tells followers of a
    // commit advance, normally at once (CommitNotifyingGrpc), which is what lets metadata entries go.
    RaftConfigKeys.Rpc.setType(p, CommitNotifyingGrpc.TYPE);
    RaftServerConfigKeys.setStorageDir(p, List.of(settings.storageDir().toFile()));
    GrpcConfigKeys.Server.setHost(p, settings.host());
    GrpcConfigKeys.Server.setPort(p, settings.port());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(settings.electionTimeoutMin().toMillis(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(settings.electionTimeoutMax().toMillis(), TimeUnit.MILLISECONDS));
    // Reads go through ReadIndex: the leader checks it still leads before a read is answered.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
    // Pre-vote (the Ratis 3.3 default, set so that it stays on): a server that lost touch with the
    // leader first asks whether it could win, and bumps no term unless a majority would vote for it.
    // A server removed from the configuration gets no vote at all: every member refuses a candidate
    // that is not in its configuration, and one that holds the removal shuts its division down.
    RaftServerConfigKeys.LeaderElection.setPreVote(p, true);
    // Snapshots: encrypted files of the replicated state (SnapshotFile); the log is purged up to
    // each one, and a follower that needs purged entries gets the snapshot instead.
    RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
    RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, settings.snapshotThresholdEntries());
    RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, SNAPSHOTS_RETAINED);
    RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, true);
    // Ratis purges whole closed segments, and only once the purgeable range reaches the purge gap:
    // both scale with the threshold so that each snapshot can free log.
    long segmentBytes = Math.max(LOG_SEGMENT_BYTES_MIN, Math.min(LOG_SEGMENT_BYTES_MAX,
        settings.snapshotThresholdEntries() * LOG_SEGMENT_BYTES_PER_THRESHOLD_ENTRY));
    RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(segmentBytes));
    RaftServerConfigKeys.Log.setPreallocatedSize(p, SizeInBytes.valueOf(Math.min(segmentBytes, LOG_PREALLOCATED_BYTES_MAX)));
    RaftServerConfigKeys.Log.setPurgeGap(p, (int) Math.min(settings.snapshotThresholdEntries(), LOG_PURGE_GAP_MAX));
    RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(p, true);
    // No commit-index metadata entries: the leader would append, replicate and fsync one more entry
    // per commit advance (half the log with one group in flight). Followers learn of a commit
    // advance from CommitNotifyingGrpc's heartbeat instead.
    RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);
    // Heartbeats carry the read index as the leader's commit: with COMMIT_INDEX (the Ratis 3.3
    // default, pinned) that is the commit index, which CommitNotifyingGrpc's notice relies on.
    RaftServerConfigKeys.Read.ReadIndex.setType(p, RaftServerConfigKeys.Read.ReadIndex.Type.COMMIT_INDEX);
    // A follower appends an AppendEntries' entries on the gRPC thread that received it, as Ratis
    // did before 3.1.3. With compose on (the 3.3 default, RATIS-2235) each append is chained behind
    // the previous one through the common pool and then Ratis' server executor: two more thread
    // hand-offs per AppendEntries, which buy little with one group in flight (a follower seldom
    // has a second append waiting). The order is the same either way: gRPC delivers one stream's
    // messages one at a time, and each append is in the log's cache, queued to the log worker,
    // before the next is delivered. Off: 3.7% more puts/s at 1 in flight, 5.0% at 64, 3.8% at 256
    // (bench/README, session 29). Ratis added the switch for this cost (RATIS-2387); only since
    // RATIS-2505 (in 3.3.0, which the parent pom pins) does "off" append on the calling thread:
    // 3.1.3 to 3.2.x hand it to the server executor unordered, so keep compose on with those. Off,
    // an invariant failure thrown by the log's append (a closed log) skips Ratis' bookkeeping of
    // the append, and the follower then never starts an election until restarted: Ratis' behaviour
    // before 3.1.3, and a closed log means the server is stopping anyway.
    RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
    return p;
  }

  /**
   * Admitted members (from the replicated view), this node, and the bootstrap set until this node
   * has applied its own admission: from then on the view names every member, and a member removed
   * later is no longer trusted for new connections (connections already open stay open).
   */
  private Set<String> trustedNodeIds() {
    var members = replica.view().members();
    Set<String> ids = new HashSet<>(members.keySet());
    ids.add(identity.nodeId());
    if (!members.containsKey(identity.nodeId())) {
      ids.addAll(bootstrapTrust);
    }
    return ids;
  }

  /**
   * Submits a proposal to the group and returns the applied result. Client events go through this
   * node's {@link EventGrouper}: under load, those that arrive together share one log entry, and
   * each still gets its own result here. Every other proposal is one entry of its own.
   */
  public CompletableFuture<ApplyResult> submit(Proposal proposal) {
    if (proposal.getBodyCase() == Proposal.BodyCase.CLIENT_EVENT) {
      return grouper.submit(proposal.getClientEvent());
    }
    return send(proposal);
  }

  /**
   * Submits client events that arrived together (one bundle) to this node's {@link
   * EventGrouper} at once, so a free slot proposes them in one entry; each gets its own result,
   * in the order given.
   */
  public List<CompletableFuture<ApplyResult>> submitEvents(List<SealedRequest> events) {
    return grouper.submitAll(events);
  }

  /** How many proposals this node's event grouper sent and how many client events they carried. */
  public EventGrouper.Stats eventGrouping() {
    return grouper.stats();
  }

  /** What a request to this node gets once it closed. */
  private static <T> CompletableFuture<T> closing() {
    return CompletableFuture.failedFuture(new IllegalStateException("NODE_CLOSING: this node is shutting down"));
  }

  /** One proposal, one log entry, through this node's client into the group (to whichever member leads). */
  private CompletableFuture<ApplyResult> send(Proposal proposal) {
    if (closed) {
      return closing();
    }
    RaftClient c;
    try {
      c = client();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return c.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(proposal.toByteArray())))
        .thenApply(this::decodeReply);
  }

  /**
   * How this node's client-event proposals and queries reached Raft (for metrics, tests and
   * benchmarks). {@code answersTaken}: replies that were this node's own apply's answer, taken
   * as they were instead of encoded and parsed.
   */
  public record SubmitPaths(long localProposals, long clientProposals, long proposalsResent, long proposalsDelayed,
      long localReads, long readsRetried, long answersTaken) {}

  public SubmitPaths submitPaths() {
    return new SubmitPaths(localProposals.get(), clientProposals.get(), proposalsResent.get(), proposalsDelayed.get(),
        localReads.get(), readsRetried.get(), answersTaken.get());
  }

  /**
   * A proposal of the event grouper. While this node leads, it goes straight to its own Raft server
   * (the append happens on the calling thread, the reply comes from the apply): no client, no gRPC
   * and no TLS over loopback to itself. Otherwise it goes through {@link #send}, as before.
   *
   * <p>A local proposal that fails is sent again as the SAME request (client id and call id) to
   * whichever member leads then ({@link #resendSame}), so it is exactly as safe as Ratis' client's
   * own retry: if the first copy committed, the new leader, which applied it before it became ready,
   * answers from its retry cache instead of appending it twice (which matters for events without a
   * client id, such as a front end's). A refusal by the state machine (too large, unknown
   * structure, a halted replica) is the answer.
   */
  private CompletableFuture<ApplyResult> sendGrouped(Proposal proposal) {
    return sendGrouped(proposal, 1);
  }

  /**
   * A leader handing leadership over refuses writes until the transfer ends (Ratis'
   * LeaderSteppingDownException, raised before the append), and Ratis' client does not retry that
   * refusal. So a grouped proposal refused so waits {@link #CLIENT_RETRY_SLEEP} and is sent again
   * (a refused proposal was never appended, so a new call id is safe), for as long as a transfer
   * may take ({@link #resendAttemptsMax}): callers see a leadership transfer as a delay, not an error.
   */
  private CompletableFuture<ApplyResult> sendGrouped(Proposal proposal, int attempt) {
    return proposeOnce(proposal).handle((result, error) -> {
      if (error == null) {
        return CompletableFuture.completedFuture(result);
      }
      if (attempt < resendAttemptsMax() && !closed
          && rootCause(error) instanceof org.apache.ratis.protocol.exceptions.LeaderSteppingDownException) {
        proposalsDelayed.incrementAndGet();
        return CompletableFuture.supplyAsync(() -> sendGrouped(proposal, attempt + 1), CompletableFuture.delayedExecutor(
            CLIENT_RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS, localWork)).thenCompose(f -> f);
      }
      return CompletableFuture.<ApplyResult>failedFuture(error);
    }).thenCompose(f -> f);
  }

  /** Attempts of a proposal through a leadership change: at least as long as a leadership transfer may take. */
  private int resendAttemptsMax() {
    return (int) Math.max(CLIENT_ATTEMPTS_MAX, 2 * transferTimeoutMs() / CLIENT_RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS));
  }

  /** How long a leadership transfer this node starts may take (Ratis steps the leader down meanwhile). */
  private long transferTimeoutMs() {
    return Math.max(3_000, 10 * settings.electionTimeoutMax().toMillis());
  }

  private static Throwable rootCause(Throwable error) {
    Throwable cause = error;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private CompletableFuture<ApplyResult> proposeOnce(Proposal proposal) {
    RaftServer s = server;
    RaftServer.Division division;
    try {
      division = s.getDivision(groupId);
    } catch (IOException e) {
      return viaClient(proposal);
    }
    if (closed || !division.getInfo().isLeader() || !division.getInfo().isLeaderReady()) {
      return viaClient(proposal);
    }
    RaftClientRequest request = localRequest(proposal.toByteArray(), RaftClientRequest.writeRequestType());
    CompletableFuture<RaftClientReply> reply;
    try {
      reply = submitLocal(s, division, request);
    } catch (IOException | RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    localProposals.incrementAndGet();
    return answerOf(request, reply, 1);
  }

  /**
   * The answer to a local proposal. On success its call id is remembered as answered; on any
   * failure but the state machine's refusal the same request goes again ({@link #resendSame}),
   * at once the first time, then every {@link #CLIENT_RETRY_SLEEP}, up to {@link #resendAttemptsMax}.
   * Taking a success's answer runs on the completing thread (Ratis' apply thread: it seals this
   * node's own apply's answer, or parses another member's reply); a resend never does.
   */
  private CompletableFuture<ApplyResult> answerOf(RaftClientRequest request, CompletableFuture<RaftClientReply> reply,
      int attempt) {
    return reply.handle((r, error) -> {
      if (error == null && r.isSuccess()) {
        ApplyResult answer = decodeReply(r);
        // Only now, with the answer taken: the next write names this call as replied, and every
        // member then releases its answer (VeilraftStateMachine.releaseReplied).
        localCallsAnswered.add(request.getCallId());
        return CompletableFuture.completedFuture(answer);
      }
      if (error == null && r.getStateMachineException() != null) {
        return CompletableFuture.<ApplyResult>failedFuture(r.getStateMachineException());
      }
      Throwable failure = error != null ? error : r.getException();
      if (closed || attempt >= resendAttemptsMax()) {
        return CompletableFuture.<ApplyResult>failedFuture(failure);
      }
      proposalsResent.incrementAndGet();
      java.util.concurrent.Executor when = attempt == 1 ? localWork : CompletableFuture.delayedExecutor(
          CLIENT_RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS), TimeUnit.MILLISECONDS, localWork);
      return CompletableFuture.supplyAsync(() -> resendSame(request, attempt + 1), when).thenCompose(f -> f);
    }).thenCompose(f -> f);
  }

  /**
   * Sends a local proposal again under its own client id and call id to the member this node now
   * believes leads: to its own server when that is itself, else through its client's gRPC stream.
   * Ratis' retry cache keys on those ids on every member (filled at apply), so a copy that
   * committed is answered, not appended again, and one that did not is appended once.
   */
  private CompletableFuture<ApplyResult> resendSame(RaftClientRequest request, int attempt) {
    CompletableFuture<RaftClientReply> reply;
    try {
      RaftServer s = server;
      RaftServer.Division division = s.getDivision(groupId);
      RaftPeerId leader = division.getInfo().getLeaderId();
      if (closed) {
        reply = closing();
      } else if (leader == null) {
        reply = CompletableFuture.failedFuture(new IOException("no leader known to " + selfId));
      } else if (leader.equals(selfId)) {
        reply = submitLocal(s, division, request);
      } else {
        reply = client().getClientRpc().sendRequestAsyncUnordered(
            RaftClientRequest.newBuilder().set(request).setServerId(leader).build());
      }
    } catch (IOException | RuntimeException e) {
      reply = CompletableFuture.failedFuture(e);
    }
    return answerOf(request, reply, attempt);
  }

  /**
   * The decoded reply to a local query, on {@link #localWork}; should the query fail, the client's
   * answer instead (the client retries).
   */
  private CompletableFuture<ApplyResult> queryAnswer(CompletableFuture<RaftClientReply> reply, byte[] sealedQuery,
      boolean stale) {
    return reply.handleAsync((r, error) -> {
      if (error == null && r.isSuccess()) {
        return CompletableFuture.completedFuture(decodeReply(r));
      }
      readsRetried.incrementAndGet();
      return queryViaClient(sealedQuery, stale);
    }, localWork).thenCompose(f -> f);
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
    AtomicLong count = new AtomicLong();
    return r -> {
      Thread t = new Thread(r, prefix + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /**
   * A grouped proposal through this node's client, sent on {@link #localWork}: the grouper calls
   * from a delivery thread whose group's callers are answered only once the send returns, and
   * Ratis' ordered async client may block there (its outstanding-request semaphore, its
   * sliding-window lock), where a local submit does not.
   */
  private CompletableFuture<ApplyResult> viaClient(Proposal proposal) {
    clientProposals.incrementAndGet();
    return CompletableFuture.supplyAsync(() -> send(proposal), localWork).thenCompose(f -> f);
  }

  /**
   * Hands a request to this node's division on the calling thread (the server-wide entry point
   * would first hop to Ratis' client executor and block there until the append is done).
   */
  private static CompletableFuture<RaftClientReply> submitLocal(RaftServer server, RaftServer.Division division,
      RaftClientRequest request) throws IOException {
    return division instanceof org.apache.ratis.protocol.RaftClientAsynchronousProtocol direct
        ? direct.submitClientRequestAsync(request)
        : server.submitClientRequestAsync(request);
  }

  /**
   * A request from this node to its own Raft server. A write carries the call ids of local
   * proposals answered since the last one (as Ratis' client does), so the server drops their
   * replies from its retry cache now instead of keeping them for the cache's expiry.
   */
  private RaftClientRequest localRequest(byte[] content, RaftClientRequest.Type type) {
    RaftClientRequest.Builder builder = RaftClientRequest.newBuilder()
        .setClientId(localClientId)
        .setServerId(selfId)
        .setGroupId(groupId)
        .setCallId(CallId.getAndIncrement())
        .setMessage(Message.valueOf(UnsafeByteOperations.unsafeWrap(content)))
        .setType(type);
    if (!type.is(org.apache.ratis.proto.RaftProtos.RaftClientRequestProto.TypeCase.WRITE)) {
      return builder.build();
    }
    List<Long> answered = new ArrayList<>();
    for (Long id; answered.size() < Limits.REPLIED_CALL_IDS_MAX && (id = localCallsAnswered.poll()) != null; ) {
      answered.add(id);
    }
    return builder.setRepliedCallIds(answered).build();
  }

  /**
   * Answers a sealed query. Linearizable by default: the leader confirms its leadership and this
   * replica applies up to the read index before answering (Ratis ReadIndex), so the answer
   * reflects every write acknowledged before the query. With {@code stale}, this node answers from
   * whatever it has applied, without contacting the leader: faster, possibly behind.
   */
  public CompletableFuture<ApplyResult> query(byte[] sealedQuery, boolean stale) {
    // This node's own server answers either kind, so the query goes to it directly: a follower's
    // server asks the leader for the read index itself. Should it fail (no leader known, a snapshot
    // being installed, the server restarting), the query goes through the client, which retries.
    RaftServer s = server;
    if (!closed) {
      RaftClientRequest request = localRequest(sealedQuery,
          stale ? RaftClientRequest.staleReadRequestType(0) : RaftClientRequest.readRequestType());
      CompletableFuture<RaftClientReply> reply;
      try {
        reply = submitLocal(s, s.getDivision(groupId), request);
      } catch (IOException | RuntimeException e) {
        reply = null;
      }
      if (reply != null) {
        localReads.incrementAndGet();
        return queryAnswer(reply, sealedQuery, stale);
      }
    }
    return queryViaClient(sealedQuery, stale);
  }

  private CompletableFuture<ApplyResult> queryViaClient(byte[] sealedQuery, boolean stale) {
    if (closed) {
      return closing();
    }
    RaftClient c;
    try {
      c = client();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(sealedQuery));
    // Both are answered by this node's replica; a linearizable read first gets the read index from
    // the leader and waits until this replica has applied it. Unordered: a read needs no place in
    // this client's write sequence (it is issued after the writes it must see have completed), and
    // in Ratis 3.3 a read-only request sent first on a fresh ordered client never gets the reply
    // that opens the client's sliding window, so it times out and stalls every request behind it.
    RaftPeerId self = RaftPeerId.valueOf(identity.nodeId());
    CompletableFuture<RaftClientReply> reply = stale
        ? c.async().sendStaleRead(message, 0, self)
        : c.async().sendReadOnlyUnordered(message, self);
    return reply.thenApply(this::decodeReply);
  }

  /**
   * A reply's result. When this node's own apply answered its own proposal, Ratis hands back the
   * state machine's message itself ({@link AnswerMessage}): its answer is taken as it is, not
   * encoded and parsed again, and sealed here, on the completing thread (Ratis' apply thread for a
   * local proposal), where the parse ran before. Sealed on the event grouper's delivery threads
   * instead, every caller of a group waited for the whole group's seals, and an A/B at 64 in flight
   * did 4–7% fewer puts per second (bench/README.md, session 28).
   */
  private ApplyResult decodeReply(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new CompletionException(reply.getException() != null ? reply.getException()
          : new IOException("raft request failed without an exception"));
    }
    Answer own = reply.getMessage() instanceof AnswerMessage local ? local.answer() : null;
    if (own != null) {
      answersTaken.incrementAndGet();
      return own.resultOrRefusal();
    }
    ApplyResult result;
    try {
      result = ApplyResult.parseFrom(reply.getMessage().getContent().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      throw new CompletionException(new IOException("reply is not an ApplyResult", e));
    }
    return notReleased(result);
  }

  /**
   * {@code result}, unless it is a released answer ({@link AnswerMessage#release}): then the call's
   * outcome is unknown to this node, and it fails as a commit that was not confirmed does (the
   * entry applied, so a client that sends its event again gets the recorded result). An honest
   * leader never lets a proposer read one: a proposer names a call as replied only once it has the
   * reply. A faulty leader can name calls of others, and members would then answer resends of those
   * calls from an empty message; a group-level error here would tell the group's callers that none
   * of their events applied, which would be false.
   */
  static ApplyResult notReleased(ApplyResult result) {
    if (result.hasError() && result.getError().getCode().equals(AnswerMessage.RELEASED_CODE)) {
      throw new CompletionException(new IOException(AnswerMessage.RELEASED_CODE + ": the member that answered had "
          + "released this entry's answer, so whether and how it applied is not known here; send the events again"));
    }
    return result;
  }

  /**
   * Adds an admitted member to the Raft configuration as a voter, from any member (the request
   * goes to the leader through this node's client). The leader stages it (replicates until it
   * caught up) before the new configuration takes effect, so a lagging joiner never counts toward
   * a quorum. Compare-and-set against the configuration this node sees, so two members adding
   * different joiners at once cannot overwrite each other. The joiner should have started as
   * {@link StartRole#VOTER} (the default): a server started as a listener refuses votes until the
   * new configuration reaches it, which a single-voter group cannot afford. The leader's
   * {@link #reconcile} does the same and more (listeners, promotions, demotions, removals, with
   * those checks) but runs only on the leader.
   */
  public void addMember(MemberRecord member) throws IOException {
    RaftPeer peer = RaftIds.peer(member.getNodeId(), member.getRaftAddress());
    changeConfiguration(peer, false);
    LOG.info("node {} is a voting member of the raft group", member.getNodeId());
  }

  private void changeConfiguration(RaftPeer peer, boolean asListener) throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= CONF_CHANGE_ATTEMPTS_MAX; attempt++) {
      var conf = server.getDivision(groupId).getRaftConf();
      List<RaftPeer> voters = new ArrayList<>(conf.getCurrentPeers());
      List<RaftPeer> listeners = new ArrayList<>(conf.getCurrentPeers(RaftPeerRole.LISTENER));
      boolean isVoter = voters.stream().anyMatch(p -> p.getId().equals(peer.getId()));
      boolean isListener = listeners.stream().anyMatch(p -> p.getId().equals(peer.getId()));
      if (isVoter || (asListener && isListener)) {
        return;
      }
      List<RaftPeer> newVoters = new ArrayList<>(voters);
      List<RaftPeer> newListeners = new ArrayList<>(listeners);
      newListeners.removeIf(p -> p.getId().equals(peer.getId()));
      (asListener ? newListeners : newVoters).add(peer);
      SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(newVoters).setListenersInNewConf(newListeners)
          .setServersInCurrentConf(voters).setListenersInCurrentConf(listeners)
          .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build();
      try {
        RaftClientReply reply = client().admin().setConfiguration(args);
        if (reply.isSuccess()) {
          return;
        }
        last = new IOException("setConfiguration refused: " + reply.getException());
      } catch (IOException e) {
        last = e;
      }
      LOG.info("configuration change for {} (attempt {}) failed: {}", peer.getId(), attempt, last.getMessage());
    }
    throw last;
  }

  /**
   * Thrown by {@link #reconcile} on a node that does not lead the group, or that stopped leading
   * it during the call (it hands leadership over when the target drops it from the voters, or to
   * restart replication, see {@link #reconcile}). Call reconcile again on the leader.
   */
  public static final class NotLeaderException extends IOException {
    private static final long serialVersionUID = 1L;
    private final String leaderId;

    NotLeaderException(String message, String leaderId) {
      super(message);
      this.leaderId = leaderId;
    }

    /** The leader (or the member leadership was handed to) this node knew of, if any. */
    public Optional<String> leaderId() {
      return Optional.ofNullable(leaderId);
    }
  }

  /**
   * What one {@link #reconcile} call did: {@code changes} Ratis configuration changes, and the
   * members it could not (yet) put in their target role, each with the reason (a joiner whose
   * Raft server is not up, a voter to demote that is not caught up, ...). These stay as they
   * were; a later call retries them. When {@code pending} is empty the configuration equals the
   * target.
   */
  public record Reconciliation(int changes, Map<String, String> pending) {
    public Reconciliation {
      pending = Collections.unmodifiableMap(new TreeMap<>(pending));
    }

    public boolean complete() {
      return pending.isEmpty();
    }
  }

  /**
   * Makes the Raft configuration exactly {@code voters} and {@code listeners}: adds, promotes,
   * demotes and removes, in as many Ratis configuration changes as needed. Runs only on the
   * leader: on any other node it throws {@link NotLeaderException} and changes nothing, so a
   * caller may run it on every node (e.g. on each membership change and periodically) and ignore
   * that exception. Idempotent: when the configuration already matches it changes nothing
   * ({@code changes() == 0}). Node ids decide membership; the raft address of a member already in
   * the configuration is not changed.
   *
   * <p>Each change is a compare-and-set against the configuration read just before it, made once
   * no other change is in progress and the leader is ready; a refused or failed change is retried
   * (at most 10 failures per call, then the last failure is thrown). Order: missing voters first
   * (listeners to promote before new servers; Ratis refuses a change that adds as many voters as
   * it keeps, so a group of n voters grows by at most n - 1 per change, which also keeps the new
   * voters out of every majority), then removals and demotions together with the listener
   * changes that need no staging, last the new listeners. New voters and listeners are staged by
   * the leader (they count for nothing until they caught up).
   *
   * <p>Members left in their current role, listed in {@link Reconciliation#pending()}: a new
   * member whose Raft server does not answer a probe (so a joiner whose server is not up yet
   * neither blocks other changes nor fails a staging); a new listener whose server was not started
   * as a listener ({@link StartRole}); a server running as a listener that would become the
   * second voter of a single-voter group (it refuses votes until the new configuration reaches
   * it, and the leader cannot win without it); a voter to demote that is not caught up after a
   * short wait (it could campaign before it learns of the demotion, and the leader would tell it
   * to shut its Raft server down).
   *
   * <p>When the target does not keep this node as a voter it hands leadership to a target voter
   * after the additions and throws {@link NotLeaderException} naming it: call reconcile there to
   * finish. It also hands leadership over (to a voter, or steps down if it is the only one) when
   * a configured member has no log sender on this leader: Ratis 3.3 drops the senders of members
   * it never marked caught up (listeners it added, and members it promoted) when a later staging
   * fails, and only a new leader restarts them.
   *
   * <p>A demoted voter keeps running as a follower in Ratis 3.3 (which never turns a running
   * server into a listener) and, missing the leader for an election timeout, would shut its Raft
   * server down as "not in the configuration"; its own node restarts its Raft server as a
   * listener as soon as it has committed the demotion (the role watchdog). A removed member's
   * server is no longer sent entries; with pre-vote no member grants it a vote (it is not in their
   * configuration) and it shuts its own Raft server down once it holds the removal or when the
   * leader answers its pre-vote.
   *
   * @throws IllegalArgumentException when {@code voters} is empty (a group without voters can
   *     commit nothing), a node is listed twice or in both lists, or a record has no node id or
   *     raft address
   * @throws NotLeaderException when this node is not (or no longer) the leader
   * @throws IOException when a change keeps failing, or no target voter can be a voter
   */
  public Reconciliation reconcile(List<MemberRecord> voters, List<MemberRecord> listeners) throws IOException {
    Map<String, RaftPeer> targetVoters = targetPeers(voters, "voter", Map.of());
    Map<String, RaftPeer> targetListeners = targetPeers(listeners, "listener", targetVoters);
    if (targetVoters.isEmpty()) {
      throw new IllegalArgumentException("the target configuration has no voter: a group without voters commits"
          + " nothing, so keep at least one voter");
    }
    synchronized (reconcileLock) {
      return reconcilePeers(targetVoters, targetListeners);
    }
  }

  private static Map<String, RaftPeer> targetPeers(List<MemberRecord> records, String role,
      Map<String, RaftPeer> otherRole) {
    Map<String, RaftPeer> peers = new TreeMap<>();
    for (MemberRecord m : records) {
      String id = m.getNodeId();
      if (id.isEmpty()) {
        throw new IllegalArgumentException("a " + role + " record has no node id");
      }
      if (m.getRaftAddress().isEmpty()) {
        throw new IllegalArgumentException(role + " " + id + " has no raft address");
      }
      if (otherRole.containsKey(id)) {
        throw new IllegalArgumentException("node " + id + " is listed both as a voter and as a listener");
      }
      if (peers.put(id, RaftIds.peer(id, m.getRaftAddress())) != null) {
        throw new IllegalArgumentException(role + " " + id + " is listed twice");
      }
    }
    return peers;
  }

  private Reconciliation reconcilePeers(Map<String, RaftPeer> targetVoters, Map<String, RaftPeer> targetListeners)
      throws IOException {
    int changes = 0;
    int failures = 0;
    IOException lastFailure = null;
    Map<String, Optional<RaftPeerRole>> probed = new HashMap<>();
    for (int step = 0; step < RECONCILE_STEPS_MAX; step++) {
      RaftServer.Division division = leaderDivision();
      RaftConfiguration conf = awaitSettledConfiguration(division);
      if (conf == null) {
        lastFailure = new IOException("the configuration change in progress did not finish within " + STABLE_CONF_WAIT);
        if (++failures >= CONF_CHANGE_ATTEMPTS_MAX) {
          throw lastFailure;
        }
        continue;
      }
      Map<String, RaftPeer> voters = byId(conf.getCurrentPeers());
      Map<String, RaftPeer> listeners = byId(conf.getCurrentPeers(RaftPeerRole.LISTENER));
      restartOrphanedSenders(division, voters, listeners, targetVoters.keySet());
      Map<String, RaftPeer> known = new HashMap<>();
      known.putAll(targetListeners);
      known.putAll(targetVoters);
      known.putAll(listeners);
      known.putAll(voters);

      Set<String> wantedVoters = new TreeSet<>(targetVoters.keySet());
      Set<String> wantedListeners = new TreeSet<>(targetListeners.keySet());
      Map<String, String> pending = new TreeMap<>();
      // New members: only servers that answer, and a new listener only if its server runs as one.
      Set<String> fresh = new TreeSet<>(wantedVoters);
      fresh.addAll(wantedListeners);
      fresh.removeIf(id -> voters.containsKey(id) || listeners.containsKey(id));
      for (String id : fresh) {
        Optional<RaftPeerRole> role = probed.computeIfAbsent(id, i -> probeRole(known.get(i)));
        if (role.isEmpty()) {
          pending.put(id, "its raft server does not answer");
        } else if (wantedListeners.contains(id) && role.get() != RaftPeerRole.LISTENER) {
          pending.put(id, "its raft server was not started as a listener (it runs as " + role.get()
              + "); Ratis would leave it initializing for good");
        }
      }
      // A single voter: the next voter cannot be a server that runs as a listener.
      if (voters.size() == 1) {
        for (String id : wantedVoters) {
          if (!voters.containsKey(id) && !pending.containsKey(id)) {
            Optional<RaftPeerRole> role = probed.computeIfAbsent(id, i -> probeRole(known.get(i)));
            if (role.isEmpty() || role.get() == RaftPeerRole.LISTENER) {
              pending.put(id, "its raft server runs as a listener (or does not answer), and the group has a single"
                  + " voter: promoted, it would refuse votes until the new configuration reaches it, while no leader"
                  + " can be elected without it; add another voter first");
            }
          }
        }
      }
      // Demotions: only a voter that is caught up (it learns of its demotion before it could campaign).
      for (String id : targetListeners.keySet()) {
        if (voters.containsKey(id) && !id.equals(selfId.toString()) && !pending.containsKey(id)
            && !awaitCaughtUp(division, voters.get(id))) {
          pending.put(id, "it is not caught up with the leader, so it stays a voter for now: demoted while behind,"
              + " it could campaign before it learns of the demotion and be told to shut its raft server down");
        }
      }
      for (String id : pending.keySet()) {
        wantedVoters.remove(id);
        wantedListeners.remove(id);
        if (voters.containsKey(id)) {
          wantedVoters.add(id);
        } else if (listeners.containsKey(id)) {
          wantedListeners.add(id);
        }
      }
      if (wantedVoters.isEmpty()) {
        throw new IOException("no target voter can be a voter now: " + pending);
      }
      Step next = plan(selfId.toString(), voters.keySet(), listeners.keySet(), wantedVoters, wantedListeners);
      if (next == null) {
        if (changes > 0 || !pending.isEmpty()) {
          LOG.info("raft configuration reconciled in {} changes: voters {}, listeners {}{}", changes, voters.keySet(),
              listeners.keySet(), pending.isEmpty() ? "" : "; pending: " + pending);
        }
        return new Reconciliation(changes, pending);
      }
      if (next.transferCandidates() != null) {
        String successor = handOverLeadership(division, next.transferCandidates(),
            "the target configuration does not keep " + selfId + " as a voter");
        throw new NotLeaderException("handed raft leadership to " + successor + " because the target configuration"
            + " does not keep " + selfId + " as a voter; call reconcile there to finish", successor);
      }
      try {
        setConfiguration(voters.values(), listeners.values(), next.voters().stream().map(known::get).toList(),
            next.listeners().stream().map(known::get).toList());
        changes++;
        LOG.info("raft configuration change {}: voters {} -> {}, listeners {} -> {}", changes, voters.keySet(),
            next.voters(), listeners.keySet(), next.listeners());
      } catch (NotLeaderException e) {
        throw e;
      } catch (IOException e) {
        lastFailure = e;
        LOG.info("raft configuration change (failure {}) refused: {}", failures + 1, e.getMessage());
        if (++failures >= CONF_CHANGE_ATTEMPTS_MAX) {
          throw e;
        }
        probed.clear();
        pause(settings.electionTimeoutMax());
      }
    }
    throw new IOException("the raft configuration did not reach the target within " + RECONCILE_STEPS_MAX
        + " changes" + (lastFailure == null ? "" : "; last failure: " + lastFailure.getMessage()), lastFailure);
  }

  /**
   * One step toward a target configuration: set the voters and listeners, or (when
   * {@code transferCandidates} is not null) hand leadership to one of those voters first.
   */
  record Step(Set<String> voters, Set<String> listeners, Set<String> transferCandidates) {}

  /**
   * The next Ratis configuration change from ({@code voters}, {@code listeners}) toward
   * ({@code targetVoters}, {@code targetListeners}), made by leader {@code self}; null when they
   * are equal. See {@link #reconcile} for the order.
   */
  static Step plan(String self, Set<String> voters, Set<String> listeners, Set<String> targetVoters,
      Set<String> targetListeners) {
    List<String> adds = targetVoters.stream().filter(id -> !voters.contains(id))
        .sorted(Comparator.comparing((String id) -> !listeners.contains(id)).thenComparing(Comparator.naturalOrder()))
        .toList();
    if (!adds.isEmpty()) {
      // Ratis refuses a change whose new voters are as many as the voters it keeps, except one to two.
      int allowed = voters.size() <= 1 ? 1 : voters.size() - 1;
      List<String> chosen = adds.subList(0, Math.min(allowed, adds.size()));
      Set<String> nextVoters = new TreeSet<>(voters);
      nextVoters.addAll(chosen);
      Set<String> nextListeners = new TreeSet<>(listeners);
      chosen.forEach(nextListeners::remove);
      return new Step(nextVoters, nextListeners, null);
    }
    if (!targetVoters.contains(self)) {
      return new Step(voters, listeners, new TreeSet<>(targetVoters));
    }
    Set<String> keptListeners = new TreeSet<>(targetListeners);
    keptListeners.removeIf(id -> !voters.contains(id) && !listeners.contains(id));
    if (!voters.equals(targetVoters) || !listeners.equals(keptListeners)) {
      return new Step(new TreeSet<>(targetVoters), keptListeners, null);
    }
    if (!listeners.equals(targetListeners)) {
      return new Step(new TreeSet<>(targetVoters), new TreeSet<>(targetListeners), null);
    }
    return null;
  }

  private static Map<String, RaftPeer> byId(Collection<RaftPeer> peers) {
    Map<String, RaftPeer> map = new TreeMap<>();
    peers.forEach(p -> map.put(p.getId().toString(), p));
    return map;
  }

  private RaftServer.Division leaderDivision() throws IOException {
    RaftServer.Division division = server.getDivision(groupId);
    if (!division.getInfo().isLeader()) {
      RaftPeerId leader = division.getInfo().getLeaderId();
      throw new NotLeaderException("node " + selfId + " is not the raft leader"
          + (leader == null ? "" : "; the leader is " + leader), leader == null ? null : leader.toString());
    }
    return division;
  }

  /**
   * The leader's configuration once it is stable (not joint) and committed and the leader is ready
   * (has committed an entry of its term), or null when that takes longer than {@link #STABLE_CONF_WAIT}.
   */
  private RaftConfiguration awaitSettledConfiguration(RaftServer.Division division) throws IOException {
    long deadline = System.nanoTime() + STABLE_CONF_WAIT.toNanos();
    while (true) {
      if (!division.getInfo().isLeader()) {
        leaderDivision();
      }
      RaftConfiguration conf = division.getRaftConf();
      if (division.getInfo().isLeaderReady()
          && conf.getPreviousPeers().isEmpty() && conf.getPreviousPeers(RaftPeerRole.LISTENER).isEmpty()
          && division.getRaftLog().getLastCommittedIndex() >= conf.getLogEntryIndex()) {
        return conf;
      }
      if (System.nanoTime() > deadline) {
        return null;
      }
      pause(Duration.ofMillis(20));
    }
  }

  /** Members of the configuration (but this node) that this leader sends nothing to. */
  private Set<String> membersWithoutSender(RaftServer.Division division, Map<String, RaftPeer> voters,
      Map<String, RaftPeer> listeners) {
    Set<String> withSender = division.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList().stream()
        .map(f -> RaftPeerId.valueOf(f.getId().getId()).toString()).collect(Collectors.toSet());
    Set<String> missing = new TreeSet<>(voters.keySet());
    missing.addAll(listeners.keySet());
    missing.remove(selfId.toString());
    missing.removeAll(withSender);
    return missing;
  }

  /**
   * Ratis 3.3 stops the log senders of every member it has not marked caught up when a staging
   * fails (a new member that never answered): the listeners this leader added and the listeners
   * it promoted. They then get nothing until the next leader, which starts a sender for every
   * member. Seeing such members (twice, a sender being restarted is briefly missing), this
   * leader hands leadership to another voter (a target voter first), or steps down when it is
   * the only voter, and throws {@link NotLeaderException}.
   */
  private void restartOrphanedSenders(RaftServer.Division division, Map<String, RaftPeer> voters,
      Map<String, RaftPeer> listeners, Set<String> targetVoters) throws IOException {
    Set<String> orphans = membersWithoutSender(division, voters, listeners);
    if (orphans.isEmpty()) {
      return;
    }
    pause(Duration.ofMillis(Math.max(50, settings.electionTimeoutMin().toMillis())));
    leaderDivision();
    orphans.retainAll(membersWithoutSender(division, voters, listeners));
    if (orphans.isEmpty()) {
      return;
    }
    Set<String> candidates = new TreeSet<>(voters.keySet());
    candidates.remove(selfId.toString());
    candidates.removeAll(orphans);
    Set<String> preferred = new TreeSet<>(candidates);
    preferred.retainAll(targetVoters);
    String why = "members " + orphans + " get no log entries from this leader (their senders stopped after a failed"
        + " staging)";
    String successor = handOverLeadership(division, preferred.isEmpty() ? candidates : preferred, why);
    throw new NotLeaderException((successor == null ? "stepped down" : "handed raft leadership to " + successor)
        + " because " + why + "; a new leader sends to every member", successor);
  }

  /**
   * Transfers leadership to the candidate that answered this leader last, or steps down when
   * there is no candidate. Returns the new leader's id, or null after stepping down.
   */
  private String handOverLeadership(RaftServer.Division division, Set<String> candidates, String why)
      throws IOException {
    Map<String, Long> elapsed = new TreeMap<>();
    division.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList().forEach(f ->
        elapsed.put(RaftPeerId.valueOf(f.getId().getId()).toString(), f.getLastRpcElapsedTimeMs()));
    String successor = candidates.stream()
        .min(Comparator.comparing((String id) -> elapsed.getOrDefault(id, Long.MAX_VALUE)).thenComparing(id -> id))
        .orElse(null);
    long timeoutMs = transferTimeoutMs();
    LOG.warn("{}: {}; {}", selfId, why, successor == null ? "stepping down" : "handing leadership to " + successor);
    TransferLeadershipRequest request = new TransferLeadershipRequest(adminClientId, selfId, groupId,
        adminCallIds.incrementAndGet(), successor == null ? null : RaftPeerId.valueOf(successor), timeoutMs);
    RaftClientReply reply = awaitReply(server.transferLeadershipAsync(request), Duration.ofMillis(2 * timeoutMs),
        "transfer leadership");
    if (!reply.isSuccess()) {
      throw new IOException("could not " + (successor == null ? "step down" : "hand leadership to " + successor)
          + ": " + reply.getException());
    }
    return successor;
  }

  /** Compare-and-set of the configuration on this (leader) server, waiting for the change to finish. */
  private void setConfiguration(Collection<RaftPeer> voters, Collection<RaftPeer> listeners,
      List<RaftPeer> newVoters, List<RaftPeer> newListeners) throws IOException {
    SetConfigurationRequest.Arguments args = SetConfigurationRequest.Arguments.newBuilder()
        .setServersInCurrentConf(new ArrayList<>(voters)).setListenersInCurrentConf(new ArrayList<>(listeners))
        .setServersInNewConf(newVoters).setListenersInNewConf(newListeners)
        .setMode(SetConfigurationRequest.Mode.COMPARE_AND_SET).build();
    SetConfigurationRequest request = new SetConfigurationRequest(adminClientId, selfId, groupId,
        adminCallIds.incrementAndGet(), args);
    RaftClientReply reply;
    try {
      reply = awaitReply(server.setConfigurationAsync(request), CONF_CHANGE_TIMEOUT, "setConfiguration");
    } catch (org.apache.ratis.protocol.exceptions.NotLeaderException e) {
      throw new NotLeaderException("node " + selfId + " lost raft leadership: " + e.getMessage(), null);
    }
    if (!reply.isSuccess()) {
      if (reply.getNotLeaderException() != null) {
        RaftPeer leader = reply.getNotLeaderException().getSuggestedLeader();
        throw new NotLeaderException("node " + selfId + " lost raft leadership during a configuration change",
            leader == null ? null : leader.getId().toString());
      }
      throw new IOException("setConfiguration refused: " + reply.getException(), reply.getException());
    }
  }

  private static RaftClientReply awaitReply(CompletableFuture<RaftClientReply> future, Duration timeout, String what)
      throws IOException {
    try {
      return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(what + " interrupted");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException(what + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new IOException(what + " did not finish within " + timeout, e);
    }
  }

  /**
   * The role {@code peer}'s Raft server runs in for this group (from a group info request), or
   * empty when it does not answer.
   */
  private Optional<RaftPeerRole> probeRole(RaftPeer peer) {
    return probe(peer).map(reply -> reply.getRoleInfoProto().getRole());
  }

  /** {@code peer}'s answer to a group info request for this group, empty when it does not answer. */
  private Optional<GroupInfoReply> probe(RaftPeer peer) {
    RaftProperties probeProperties = new RaftProperties(properties);
    RaftClientConfigKeys.Rpc.setRequestTimeout(probeProperties,
        TimeDuration.valueOf(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
    try (RaftClient probe = RaftClient.newBuilder()
        .setClientId(ClientId.randomId())
        .setRaftGroup(RaftGroup.valueOf(groupId, peer))
        .setProperties(probeProperties)
        .setParameters(parameters)
        .setRetryPolicy(RetryPolicies.noRetry())
        .build()) {
      GroupInfoReply reply = probe.getGroupManagementApi(peer.getId()).info(groupId);
      return reply.isSuccess() ? Optional.of(reply) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      LOG.info("{} at {} does not answer ({})", peer.getId(), peer.getAddress(), e.toString());
      return Optional.empty();
    }
  }

  /**
   * Whether voter {@code peer}, asked directly, has been a follower of this leader for two maximum
   * election timeouts (it did not campaign), heard from it within the minimum election timeout,
   * and has committed up to this leader's commit index; waits up to ten maximum election timeouts
   * for that. (The leader's own bookkeeping is not enough: a follower that restarted keeps its old
   * commit index there while the leader's sender recovers, which can take seconds, and meanwhile
   * the follower campaigns; each failed campaign resets its "last heard" clock.)
   */
  private boolean awaitCaughtUp(RaftServer.Division division, RaftPeer peer) throws IOException {
    long target = division.getRaftLog().getLastCommittedIndex();
    long settleMs = 2 * settings.electionTimeoutMax().toMillis();
    long deadline = System.nanoTime() + settings.electionTimeoutMax().multipliedBy(10).toNanos();
    while (true) {
      Optional<GroupInfoReply> info = probe(peer);
      if (info.isPresent()) {
        var role = info.get().getRoleInfoProto();
        var leader = role.getFollowerInfo().getLeaderInfo();
        if (role.getRole() == RaftPeerRole.FOLLOWER
            && role.getRoleElapsedTimeMs() >= settleMs
            && RaftPeerId.valueOf(leader.getId().getId()).equals(selfId)
            && leader.getLastRpcElapsedTimeMs() <= settings.electionTimeoutMin().toMillis()
            && info.get().getLogInfoProto().getCommitted().getIndex() >= target) {
          return true;
        }
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
      pause(Duration.ofMillis(50));
      leaderDivision();
    }
  }

  private static void pause(Duration duration) throws InterruptedIOException {
    try {
      TimeUnit.MILLISECONDS.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted");
    }
  }

  /**
   * The role of every member in the Raft configuration this node sees: node id to "VOTER" or
   * "LISTENER", sorted by id. During a change, the new configuration's. Empty when this node's
   * Raft server is not available.
   */
  public Map<String, String> configurationRoles() {
    try {
      RaftConfiguration conf = server.getDivision(groupId).getRaftConf();
      Map<String, String> roles = new TreeMap<>();
      conf.getCurrentPeers(RaftPeerRole.LISTENER).forEach(p -> roles.put(p.getId().toString(), "LISTENER"));
      conf.getCurrentPeers().forEach(p -> roles.put(p.getId().toString(), "VOTER"));
      return Collections.unmodifiableMap(roles);
    } catch (IOException e) {
      return Map.of();
    }
  }

  /**
   * This node's own Raft state: LEADER, FOLLOWER, CANDIDATE or LISTENER while its server runs,
   * otherwise the server's life-cycle state (STARTING, CLOSED, ...).
   */
  public String localRole() {
    try {
      var info = server.getDivision(groupId).getInfo();
      LifeCycle.State state = info.getLifeCycleState();
      return state == LifeCycle.State.RUNNING ? info.getCurrentRole().name() : state.name();
    } catch (IOException e) {
      return LifeCycle.State.CLOSED.name();
    }
  }

  /** The leader this node knows of, if any. */
  public Optional<String> leaderId() {
    try {
      RaftPeerId leader = server.getDivision(groupId).getInfo().getLeaderId();
      return leader == null ? Optional.empty() : Optional.of(leader.toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** This node's current Raft term (tests), -1 when its server is not available. */
  long currentTerm() {
    try {
      return server.getDivision(groupId).getInfo().getCurrentTerm();
    } catch (IOException e) {
      return -1;
    }
  }

  /** How often the role watchdog restarted this node's Raft server (tests). */
  long serverRestarts() {
    return serverRestarts.get();
  }

  /** How many stopped Ratis timers the watchdog released (see {@link StoppedTimerRelease}; tests). */
  long stoppedTimersReleased() {
    return stoppedTimersReleased.get();
  }

  /**
   * The watchdog's task, every half minimum election timeout: first releases a Ratis server
   * hung on a stopped timer ({@link StoppedTimerRelease}; before anything that might wait for
   * that server), then {@link #checkListenerRole}.
   */
  private void watch() {
    try {
      if (!closed) {
        stoppedTimersReleased.addAndGet(stoppedTimers.check(server.getDivision(groupId)));
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: raft timer check failed: {}", selfId, e.toString());
    }
    checkListenerRole();
  }

  /**
   * The role watchdog, every half minimum election timeout. Ratis 3.3 never turns a running
   * server into a listener: a voter demoted to listener keeps running as a follower, and when it
   * then misses the leader for an election timeout it becomes a candidate, finds itself "not in
   * the configuration" (or the leader answers its pre-vote so) and closes its division for good.
   * A server started as a listener (which a restart does, the stored configuration naming it a
   * listener) never campaigns. So the watchdog restarts the Raft server over the same storage and
   * replica (at most once per {@link #WATCHDOG_RESTART_INTERVAL_MIN}) when the committed
   * configuration names this node a listener but its server runs in another role; and when its
   * division closed itself as a candidate while this node is still a member of the replicated
   * view or a listener of the configuration it knows (a member demoted while it lagged), at most
   * {@value #CLOSED_RESTARTS_MAX} times. A division that closed for any other reason (or of a
   * node no longer a member) is left closed: fail-stop.
   */
  private void checkListenerRole() {
    try {
      if (closed || replica.halted().isPresent()) {
        // A halted replica's server was stopped on purpose: never start it again here.
        return;
      }
      RaftServer.Division division = server.getDivision(groupId);
      RaftConfiguration conf = division.getRaftConf();
      boolean listenerInConf = conf.getPeer(selfId, RaftPeerRole.LISTENER) != null && conf.getPreviousPeers().isEmpty();
      LifeCycle.State state = division.getInfo().getLifeCycleState();
      RaftPeerRole role = division.getInfo().getCurrentRole();
      String reason;
      boolean closedDivision = false;
      if (state.isClosingOrClosed()) {
        boolean member = replica.view().member(identity.nodeId()).isPresent();
        if (role != RaftPeerRole.CANDIDATE || !(member || listenerInConf) || closedRestartsLeft <= 0) {
          return;
        }
        reason = "its division closed itself as a candidate (not in the configuration it knows, or told so by the"
            + " leader) while this node is a member";
        closedDivision = true;
      } else if (listenerInConf && state == LifeCycle.State.RUNNING && role != RaftPeerRole.LISTENER
          && division.getRaftLog().getLastCommittedIndex() >= conf.getLogEntryIndex()) {
        reason = "the committed configuration names it a listener but its server runs as " + role;
      } else {
        return;
      }
      synchronized (this) {
        long now = System.nanoTime();
        if (closed || (lastRestartNanos != 0 && now - lastRestartNanos < WATCHDOG_RESTART_INTERVAL_MIN.toNanos())) {
          return;
        }
        lastRestartNanos = now;
        if (closedDivision) {
          closedRestartsLeft--;
        }
        restartServer(reason);
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("{}: raft role check failed: {}", selfId, e.toString());
    }
  }

  /** Closes this node's Raft server and starts a new one over the same storage and replica. */
  private void restartServer(String reason) throws IOException {
    LOG.warn("{}: restarting the raft server: {}", selfId, reason);
    RaftServer old = server;
    VeilraftStateMachine oldMachine = stateMachine;
    old.close();
    long deadline = System.nanoTime() + PORT_RELEASE_WAIT.toNanos();
    while (true) {
      try {
        checkPortFree(settings);
        break;
      } catch (IOException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        pause(Duration.ofMillis(50));
      }
    }
    VeilraftStateMachine machine = new VeilraftStateMachine(replica, clock);
    machine.applyNanos = applyNanos;
    RaftServer fresh = newServer(listenerStartGroup(), machine, RaftStorage.StartupOption.RECOVER);
    try {
      fresh.start();
    } catch (IOException | RuntimeException e) {
      fresh.close();
      throw e;
    }
    machine.started();
    snapshotsTakenBefore.addAndGet(oldMachine.snapshotsTaken());
    answersReleasedBefore.addAndGet(oldMachine.answersReleased());
    snapshotsInstalledBefore.addAndGet(oldMachine.snapshotsInstalled());
    snapshotsFailedBefore.addAndGet(oldMachine.snapshotsFailed());
    snapshotsRefusedAtStartBefore.addAndGet(oldMachine.snapshotsRefusedAtStart());
    stateMachine = machine;
    server = fresh;
    serverRestarts.incrementAndGet();
    LOG.warn("{}: raft server restarted; it runs as {}", selfId, localRole());
  }

  /**
   * The highest log index this node knows to be committed (the leader's commit index as last
   * heard), or -1 when its Raft server is not available. Compared with the replica's applied
   * index it tells how far this node lags behind (readiness, metrics).
   */
  /**
   * The last log index this node's state machine has processed, entries that change no state
   * (Ratis' configuration and leader no-op entries) included; {@code Replica.appliedIndex()} is
   * the last one that reached the store. A node is caught up when this reaches the commit index.
   * -1 before Raft runs.
   */
  public long lastAppliedIndex() {
    TermIndex applied = stateMachine.getLastAppliedTermIndex();
    return applied == null ? -1 : applied.getIndex();
  }

  public long commitIndex() {
    return fromLog(RaftLog::getLastCommittedIndex, -1L);
  }

  /**
   * Reads this division's Raft log, or gives {@code closed} once the server has stopped (a halted
   * member stops it, and Ratis then refuses reads of the closed log): status and metrics must
   * still answer for such a member.
   */
  private <T> T fromLog(java.util.function.Function<RaftLog, T> read, T closed) {
    try {
      return read.apply(server.getDivision(groupId).getRaftLog());
    } catch (IOException | IllegalStateException e) {
      return closed;
    }
  }

  /**
   * Tells {@code nanos} how long each entry's apply took on this replica (metrics). Measured
   * around the apply call, outside the replicated logic, so it cannot change any result. Kept
   * across restarts of the Raft server by the role watchdog.
   */
  public void observeApplyNanos(java.util.function.LongConsumer nanos) {
    applyNanos = java.util.Objects.requireNonNull(nanos, "nanos");
    stateMachine.applyNanos = applyNanos;
  }

  private volatile java.util.function.LongConsumer applyNanos = nanos -> {};

  public boolean isLeader() {
    try {
      return server.getDivision(groupId).getInfo().isLeader();
    } catch (IOException e) {
      return false;
    }
  }

  /** Ids of the voting members in the Raft configuration this node sees. */
  public Set<String> votingMembers() {
    try {
      Set<String> ids = new HashSet<>();
      server.getDivision(groupId).getRaftConf().getCurrentPeers().forEach(p -> ids.add(p.getId().toString()));
      return ids;
    } catch (IOException e) {
      return Set.of();
    }
  }

  public String address() {
    return settings.address();
  }

  /**
   * How far this node's Raft log got, for operators ({@code veilraft status}, join progress):
   * its commit index, the last index in its log, and the commit index of every peer it heard
   * about by node id (a leader hears from all of them; a follower mostly of itself). -1 when
   * this node's Raft server is not available.
   */
  public record RaftProgress(long commitIndex, long lastLogIndex, Map<String, Long> peerCommitIndexes) {
    public RaftProgress {
      peerCommitIndexes = Map.copyOf(peerCommitIndexes);
    }
  }

  public RaftProgress raftProgress() {
    try {
      RaftServer.Division division = server.getDivision(groupId);
      Map<String, Long> peers = new TreeMap<>();
      division.getCommitInfos().forEach(info ->
          peers.put(RaftPeerId.valueOf(info.getServer().getId()).toString(), info.getCommitIndex()));
      var last = division.getRaftLog().getLastEntryTermIndex();
      return new RaftProgress(division.getRaftLog().getLastCommittedIndex(), last == null ? -1 : last.getIndex(), peers);
    } catch (IOException | IllegalStateException e) {
      // Not running (never started, or stopped by a halt): Ratis refuses reads of a closed log.
      return new RaftProgress(-1, -1, Map.of());
    }
  }

  /**
   * Applied entries' answers this member dropped from its retry cache because their proposers had
   * received them (see {@code LogEntry.replied_call_ids}).
   */
  public long answersReleased() {
    return answersReleasedBefore.get() + stateMachine.answersReleased();
  }

  /** This node's snapshots and log, for operators and tests. */
  public record SnapshotStatus(long latestSnapshotIndex, long logStartIndex, long snapshotsTaken,
      long snapshotsInstalled, long snapshotsFailed) {}

  public SnapshotStatus snapshotStatus() {
    long logStart = fromLog(RaftLog::getStartIndex, -1L);
    VeilraftStateMachine machine = stateMachine;
    return new SnapshotStatus(machine.latestSnapshotIndex(), logStart,
        snapshotsTakenBefore.get() + machine.snapshotsTaken(), snapshotsInstalledBefore.get() + machine.snapshotsInstalled(),
        snapshotsFailedBefore.get() + machine.snapshotsFailed());
  }

  /**
   * How often a start of this node's Raft server refused its own latest snapshot file (altered or
   * damaged on this host; the store stays the node's state and a new snapshot replaces the file).
   * For metrics: anything above 0 deserves an operator's look at the host.
   */
  public long snapshotsRefusedAtStart() {
    return snapshotsRefusedAtStartBefore.get() + stateMachine.snapshotsRefusedAtStart();
  }

  /**
   * The client into the group, rebuilt only when the Raft configuration changed (it routes by
   * the configuration's peers). The unsynchronized fast path serves every submit.
   */
  private RaftClient client() throws IOException {
    Object conf = server.getDivision(groupId).getRaftConf();
    RaftClient current = client;
    if (current != null && conf == clientConf) {
      return current;
    }
    synchronized (this) {
      if (client == null || conf != clientConf) {
        // The voters (writes go to the leader among them) and this node itself, which answers this
        // node's reads even when it is a listener or in no configuration yet.
        Map<RaftPeerId, RaftPeer> peers = new LinkedHashMap<>();
        server.getDivision(groupId).getRaftConf().getCurrentPeers().forEach(p -> peers.put(p.getId(), p));
        peers.putIfAbsent(selfId, RaftIds.peer(identity.nodeId(), settings.address()));
        if (client != null) {
          // Requests may still be in flight on it; it is closed with this node.
          retiredClients.add(client);
        }
        RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(CLIENT_ATTEMPTS_MAX, CLIENT_RETRY_SLEEP);
        client = RaftClient.newBuilder()
            .setClientId(ClientId.randomId())
            .setRaftGroup(RaftGroup.valueOf(groupId, peers.values()))
            .setProperties(properties)
            .setParameters(parameters)
            .setRetryPolicy(retry)
            .build();
        clientConf = conf;
      }
      return client;
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    grouper.close();
    // Tasks already queued still run (a resend sees closed and fails its callers); later ones run
    // on their completing thread.
    localWork.shutdown();
    watchdog.shutdown();
    try {
      if (!watchdog.awaitTermination(3 * PORT_RELEASE_WAIT.toSeconds(), TimeUnit.SECONDS)) {
        watchdog.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      watchdog.shutdownNow();
    }
    synchronized (this) {
      if (client != null) {
        retiredClients.add(client);
        client = null;
      }
      for (RaftClient retired : retiredClients) {
        retired.close();
      }
      retiredClients.clear();
      server.close();
    }
  }

  /** A snapshot this node is receiving from the leader: the bytes written so far. */
  public record SnapshotTransfer(long bytesReceived, java.time.Instant lastWrite) {}

  /**
   * How long one scan of the transfer directory answers {@link #snapshotTransfer}: anyone may call
   * {@code /v1/status} as often as they like, and progress displays refresh about once a second.
   */
  static final Duration TRANSFER_SCAN_REUSE = Duration.ofMillis(500);
  private final Object transferScanLock = new Object();
  private Optional<SnapshotTransfer> transferScanned = Optional.empty();
  private long transferScannedNanos;
  private boolean transferScanDone;

  /**
   * The snapshot transfer in progress on this node, read from the directory Ratis receives
   * InstallSnapshot chunks in (see {@link SnapshotTransfers}); empty when none is (or the Raft
   * server is not available). For progress display only: cheap, never throws.
   */
  public Optional<SnapshotTransfer> snapshotTransfer() {
    synchronized (transferScanLock) {
      long now = System.nanoTime();
      if (!transferScanDone || now - transferScannedNanos >= TRANSFER_SCAN_REUSE.toNanos()) {
        transferScanned = scanSnapshotTransfer();
        transferScannedNanos = now;
        transferScanDone = true;
      }
      return transferScanned;
    }
  }

  private Optional<SnapshotTransfer> scanSnapshotTransfer() {
    java.io.File tmpDir;
    try {
      RaftServer.Division division = server.getDivision(groupId);
      // Where Ratis' SnapshotManager puts them: the state machine storage's tmp dir, else the group's.
      tmpDir = division.getStateMachine().getStateMachineStorage().getTmpDir();
      if (tmpDir == null) {
        tmpDir = division.getRaftStorage().getStorageDir().getTmpDir();
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return SnapshotTransfers.scan(tmpDir.toPath(), java.time.Instant.now())
        .map(t -> new SnapshotTransfer(t.bytesReceived(), t.lastWrite()));
  }

  /** This node's latest snapshot: its log index and the size of its file, which a joiner would receive. */
  public record LatestSnapshot(long index, long bytes) {}

  /** This node's latest snapshot file, or empty when it has none (or its file is gone meanwhile). */
  public Optional<LatestSnapshot> latestSnapshot() {
    var info = stateMachine.getLatestSnapshot();
    if (info == null || info.getFiles().isEmpty()) {
      return Optional.empty();
    }
    long bytes = 0;
    try {
      for (var file : info.getFiles()) {
        bytes += Files.size(file.getPath());
      }
    } catch (IOException e) {
      return Optional.empty(); // retention deleted it between the two reads
    }
    return Optional.of(new LatestSnapshot(info.getIndex(), bytes));
  }
}
