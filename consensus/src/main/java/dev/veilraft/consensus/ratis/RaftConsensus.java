package dev.veilraft.consensus.ratis;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.membership.proto.MemberRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.SetConfigurationRequest;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
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
  private static final int CONF_CHANGE_ATTEMPTS_MAX = 10;

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
  private final RaftGroupId groupId;
  private final RaftPeerId selfId;
  private final RaftProperties properties;
  private final Parameters parameters;
  private final RaftServer server;
  private final VeilraftStateMachine stateMachine;
  private final Set<String> bootstrapTrust;
  private volatile RaftClient client;
  private volatile Object clientConf;
  private final List<RaftClient> retiredClients = new ArrayList<>();

  private RaftConsensus(Settings settings, NodeIdentity identity, Replica replica, Set<String> bootstrapTrust,
      boolean founder, Clock clock) throws IOException {
    this.settings = settings;
    this.identity = identity;
    this.replica = replica;
    this.groupId = RaftIds.groupId(replica.clusterId());
    this.selfId = RaftPeerId.valueOf(identity.nodeId());
    this.bootstrapTrust = Set.copyOf(bootstrapTrust);
    this.properties = properties(settings);
    this.parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, PeerTls.config(identity, this::trustedNodeIds));
    this.stateMachine = new VeilraftStateMachine(replica, clock);
    boolean existing = Files.isDirectory(settings.storageDir().resolve(groupId.getUuid().toString()));
    RaftGroup group = founder && !existing
        ? RaftGroup.valueOf(groupId, RaftIds.peer(identity.nodeId(), settings.address()))
        : RaftGroup.valueOf(groupId);
    this.server = RaftServer.newBuilder()
        .setServerId(selfId)
        .setGroup(group)
        .setStateMachine(stateMachine)
        .setProperties(properties)
        .setParameters(parameters)
        .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
        .build();
  }

  /**
   * Starts the Raft server. A founder with empty storage starts a one-member group; every other
   * node starts with an empty group (or recovers its own) and is added by the leader.
   * {@code bootstrapTrust} names nodes trusted before this node has applied their admission.
   */
  public static RaftConsensus start(Settings settings, NodeIdentity identity, Replica replica,
      Set<String> bootstrapTrust, boolean founder, Clock clock) throws IOException {
    Files.createDirectories(settings.storageDir());
    checkPortFree(settings);
    RaftConsensus consensus = new RaftConsensus(settings, identity, replica, bootstrapTrust, founder, clock);
    consensus.server.start();
    LOG.info("raft server {} listening on {} for group {}", identity.nodeId(), settings.address(), consensus.groupId);
    return consensus;
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

  private static RaftProperties properties(Settings settings) {
    RaftProperties p = new RaftProperties();
    // gRPC is the only Ratis transport with TLS.
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftServerConfigKeys.setStorageDir(p, List.of(settings.storageDir().toFile()));
    GrpcConfigKeys.Server.setHost(p, settings.host());
    GrpcConfigKeys.Server.setPort(p, settings.port());
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(settings.electionTimeoutMin().toMillis(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(settings.electionTimeoutMax().toMillis(), TimeUnit.MILLISECONDS));
    // Reads go through ReadIndex: the leader checks it still leads before a read is answered.
    RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
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
    return p;
  }

  /** Admitted members (from the replicated view), this node, and the bootstrap set. */
  private Set<String> trustedNodeIds() {
    Set<String> ids = new HashSet<>(replica.view().members().keySet());
    ids.add(identity.nodeId());
    ids.addAll(bootstrapTrust);
    return ids;
  }

  /** Submits a proposal to the group and returns the applied result. */
  public CompletableFuture<ApplyResult> submit(Proposal proposal) {
    RaftClient c;
    try {
      c = client();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    return c.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(proposal.toByteArray())))
        .thenApply(RaftConsensus::decodeReply);
  }

  /**
   * Answers a sealed query. Linearizable by default: the leader confirms its leadership and this
   * replica applies up to the read index before answering (Ratis ReadIndex), so the answer
   * reflects every write acknowledged before the query. With {@code stale}, this node answers from
   * whatever it has applied, without contacting the leader: faster, possibly behind.
   */
  public CompletableFuture<ApplyResult> query(byte[] sealedQuery, boolean stale) {
    RaftClient c;
    try {
      c = client();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(e);
    }
    Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(sealedQuery));
    // Both are answered by this node's replica; a linearizable read first gets the read index from
    // the leader and waits until this replica has applied it.
    RaftPeerId self = RaftPeerId.valueOf(identity.nodeId());
    CompletableFuture<RaftClientReply> reply = stale
        ? c.async().sendStaleRead(message, 0, self)
        : c.async().sendReadOnly(message, self);
    return reply.thenApply(RaftConsensus::decodeReply);
  }

  private static ApplyResult decodeReply(RaftClientReply reply) {
    if (!reply.isSuccess()) {
      throw new CompletionException(reply.getException() != null ? reply.getException()
          : new IOException("raft request failed without an exception"));
    }
    try {
      return ApplyResult.parseFrom(reply.getMessage().getContent().toByteArray());
    } catch (InvalidProtocolBufferException e) {
      throw new CompletionException(new IOException("reply is not an ApplyResult", e));
    }
  }

  /**
   * Adds an admitted member to the Raft configuration as a voter. The leader stages it (replicates
   * until it caught up) before the new configuration takes effect, so a lagging joiner never
   * counts toward a quorum. Compare-and-set against the configuration this node sees, so two
   * members adding different joiners at once cannot overwrite each other.
   *
   * <p>It is added directly, not as a listener first: Ratis 3.3 marks a peer "caught up" at the
   * end of staging only if it entered as a voter, and a listener later promoted stays flagged as
   * initializing, so its server never leaves STARTING and never votes.
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

  /** This node's snapshots and log, for operators and tests. */
  public record SnapshotStatus(long latestSnapshotIndex, long logStartIndex, long snapshotsTaken,
      long snapshotsInstalled) {}

  public SnapshotStatus snapshotStatus() {
    long logStart;
    try {
      logStart = server.getDivision(groupId).getRaftLog().getStartIndex();
    } catch (IOException e) {
      logStart = -1;
    }
    return new SnapshotStatus(stateMachine.latestSnapshotIndex(), logStart, stateMachine.snapshotsTaken(),
        stateMachine.snapshotsInstalled());
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
        Set<RaftPeer> peers = new HashSet<>(server.getDivision(groupId).getRaftConf().getCurrentPeers());
        if (peers.isEmpty()) {
          peers = Set.of(RaftIds.peer(identity.nodeId(), settings.address()));
        }
        if (client != null) {
          // Requests may still be in flight on it; it is closed with this node.
          retiredClients.add(client);
        }
        RetryPolicy retry = RetryPolicies.retryUpToMaximumCountWithFixedSleep(CLIENT_ATTEMPTS_MAX, CLIENT_RETRY_SLEEP);
        client = RaftClient.newBuilder()
            .setClientId(ClientId.randomId())
            .setRaftGroup(RaftGroup.valueOf(groupId, peers))
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
  public synchronized void close() throws IOException {
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
