package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.SimulatedNodes.event;
import static dev.veilraft.consensus.SimulatedNodes.get;
import static dev.veilraft.consensus.SimulatedNodes.open;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;

import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.SimulatedNodes;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.ProtocolVersions;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateDirectory;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvResponse;
import java.io.IOException;
import java.net.Socket;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Test fixture: a group of real Raft servers on loopback, each a {@link RaftConsensus} over its
 * own RocksDB store and {@link Replica}, behind attested mutual TLS with simulated TEEs (as in
 * {@link AttestedTransportIT}). The founder starts the group and commits the cluster and epoch 1;
 * {@link #admit} commits a node's AdmitNode (so every member's transport trusts it) and prepares
 * its store, with the epoch history a joiner receives, without starting its server.
 */
final class RaftTestCluster implements AutoCloseable {
  static final long WAIT_SECONDS = 30;
  static final Duration ELECTION_TIMEOUT_MIN = Duration.ofMillis(150);
  static final Duration ELECTION_TIMEOUT_MAX = Duration.ofMillis(300);

  private final Path dir;
  private final long snapshotThresholdEntries;
  /** What every member's build applies and advertises, unless a test says otherwise. */
  private final int protocolVersionMax;
  final SimulatedNodes sim;
  final GenesisDocument genesis;
  private final Map<String, Member> members = new LinkedHashMap<>();
  private Member founder;

  /** One node: its identity, storage and (while running) its Raft server. */
  final class Member {
    final String name;
    final Node node;
    final int port;
    final RaftConsensus.Settings settings;
    /** The store opened at start; after a snapshot install the replica holds another ({@code replica.store()}). */
    RocksDbStateStore store;
    /** Replaced only by {@link #restartWithBuild}, which stands in for an upgrade or a rollback of the node's build. */
    Replica replica;
    private final StateDirectory directory;
    private final boolean isFounder;
    private RaftConsensus consensus;

    private Member(String name, Node node, boolean isFounder, EpochKeyring keyring) throws Exception {
      this(name, node, isFounder, keyring, protocolVersionMax);
    }

    private Member(String name, Node node, boolean isFounder, EpochKeyring keyring, long buildVersionMax)
        throws Exception {
      this.name = name;
      this.node = node;
      this.isFounder = isFounder;
      this.port = freePort();
      this.settings = new RaftConsensus.Settings(dir.resolve(name).resolve("raft"), "127.0.0.1", port,
          ELECTION_TIMEOUT_MIN, ELECTION_TIMEOUT_MAX, snapshotThresholdEntries);
      // A state directory, so that the replica can install snapshots (it swaps in a new store).
      this.directory = new StateDirectory(dir.resolve(name).resolve("state"),
          Hashes.sha256(Hashes.utf8("storage " + name)));
      this.store = directory.open();
      this.replica = new Replica(store, directory, genesis.clusterId(), node.id(), node.kem(),
          new AttestationVerifier(), keyring, new AppHost(List.of(new KvApp())), buildVersionMax);
    }

    /**
     * Stops this node, reopens its storage under a build that applies protocol versions up to
     * {@code buildVersionMax} (a new Replica over the same store and epoch secrets, as a restarted
     * process would have) and starts it again as a voter.
     */
    void restartWithBuild(long buildVersionMax) throws Exception {
      stop();
      EpochKeyring keyring = replica.keyring();
      replica.store().close();
      store = directory.open();
      replica = new Replica(store, directory, genesis.clusterId(), node.id(), node.kem(),
          new AttestationVerifier(), keyring, new AppHost(List.of(new KvApp())), buildVersionMax);
      start();
    }

    String id() {
      return node.id();
    }

    /** This node's Raft storage of the group: {@code current} (term, vote, log) and {@code sm} (snapshots). */
    Path groupDir() {
      return settings.storageDir().resolve(RaftIds.groupId(genesis.clusterId()).getUuid().toString());
    }

    String address() {
      return "127.0.0.1:" + port;
    }

    RaftConsensus consensus() {
      if (consensus == null) {
        throw new IllegalStateException(name + " is not running");
      }
      return consensus;
    }

    boolean running() {
      return consensus != null;
    }

    /** Starts (or restarts, over the same storage and replica) this node's Raft server, to join as a voter. */
    void start() throws IOException {
      start(isFounder ? RaftConsensus.StartRole.FOUNDER : RaftConsensus.StartRole.VOTER);
    }

    /** Starts (or restarts) this node's Raft server in {@code role}. */
    void start(RaftConsensus.StartRole role) throws IOException {
      if (consensus != null) {
        throw new IllegalStateException(name + " is already running");
      }
      Set<String> trust = Set.copyOf(founder.replica.view().memberIds());
      consensus = RaftConsensus.start(settings, node.identity(), replica, trust, role, Clock.systemUTC());
    }

    /** Stops this node's Raft server; its storage and replica stay for a restart. */
    void stop() throws IOException {
      if (consensus != null) {
        consensus.close();
        consensus = null;
      }
    }

    /** This node's member record as the replicated view holds it (admitted, with its raft address). */
    MemberRecord record() {
      return founder.replica.view().member(id()).orElseThrow();
    }

    @Override
    public String toString() {
      return name + (consensus == null ? " (stopped)" : " (" + consensus.localRole() + ")");
    }
  }

  private RaftTestCluster(Path dir, long snapshotThresholdEntries, int protocolVersionMax) throws Exception {
    this.dir = dir;
    this.snapshotThresholdEntries = snapshotThresholdEntries;
    this.protocolVersionMax = protocolVersionMax;
    this.sim = SimulatedNodes.sharedPerJvm();
    this.genesis = sim.genesis(g -> g);
  }

  /** A founder that leads a one-member group with the cluster initialized and key epoch 1. */
  static RaftTestCluster create(Path dir) throws Exception {
    return create(dir, RaftConsensus.SNAPSHOT_THRESHOLD_ENTRIES_DEFAULT);
  }

  /** As {@link #create(Path)}, with members taking a snapshot every {@code snapshotThresholdEntries} entries. */
  static RaftTestCluster create(Path dir, long snapshotThresholdEntries) throws Exception {
    return create(dir, snapshotThresholdEntries, ProtocolVersions.BUILD_MAX);
  }

  /**
   * As {@link #create(Path, long)}, every member's build applying (and advertising) protocol
   * versions up to {@code protocolVersionMax}, which may stand in for a newer build than this one.
   */
  static RaftTestCluster create(Path dir, long snapshotThresholdEntries, int protocolVersionMax) throws Exception {
    RaftTestCluster cluster = new RaftTestCluster(dir, snapshotThresholdEntries, protocolVersionMax);
    try {
      cluster.founder = cluster.new Member("n0", cluster.sim.node(Instant.now()), true, new EpochKeyring());
      cluster.members.put(cluster.founder.name, cluster.founder);
      cluster.founder.start();
      if (!awaitTrue(cluster.founder.consensus::isLeader)) {
        throw new IllegalStateException("founder did not become leader");
      }
      InitCluster founding = cluster.founder.node.init(cluster.genesis, cluster.founder.address());
      founding = founding.toBuilder().setFounder(founding.getFounder().toBuilder()
          .setProtocolVersionMax(protocolVersionMax)).build();
      ApplyResult init = cluster.submit(Proposal.newBuilder().setInitCluster(founding).build());
      if (!init.getInit().getAccepted()) {
        throw new IllegalStateException("init refused: " + init.getInit().getReason());
      }
      ApplyResult epoch = cluster.submit(Proposal.newBuilder().setKeyEpoch(
          KeyEpochs.propose(cluster.founder.replica.view(), null, Hashes.sha256(Hashes.utf8("fresh 1")))).build());
      if (!epoch.getKeyEpoch().getAccepted()) {
        throw new IllegalStateException("epoch refused: " + epoch.getKeyEpoch().getReason());
      }
      return cluster;
    } catch (Exception e) {
      cluster.close();
      throw e;
    }
  }

  Member founder() {
    return founder;
  }

  Member member(String name) {
    return members.get(name);
  }

  List<Member> running() {
    return members.values().stream().filter(Member::running).toList();
  }

  /** The member with this node id. */
  Member byId(String nodeId) {
    return members.values().stream().filter(m -> m.id().equals(nodeId)).findFirst().orElseThrow();
  }

  /**
   * Admits a new node through the log (every replica checks its evidence) and prepares its store
   * and replica, holding the founder's epoch secrets as the join history; its server is not started.
   */
  Member admit(String name) throws Exception {
    Node node = sim.node(Instant.now());
    EpochKeyring history = new EpochKeyring();
    founder.replica.keyring().all().forEach(history::put);
    Member member = new Member(name, node, false, history);
    JoinRequest request = node.joinThrough(founder.node, genesis.clusterId(), "reconcile-it/" + name,
        System.currentTimeMillis()).toBuilder().setRaftAddress(member.address())
        .setProtocolVersionMax(protocolVersionMax).build();
    ApplyResult admitted = submit(Proposal.newBuilder().setAdmitNode(AdmitNode.newBuilder().setRequest(request)).build());
    if (!admitted.getAdmit().getAdmitted()) {
      member.store.close();
      throw new IllegalStateException(name + " was not admitted: " + admitted.getAdmit().getReason());
    }
    members.put(name, member);
    return member;
  }

  /** Admits {@code name} ({@link #admit}), starts it and adds it to the Raft group as a voter through the founder. */
  Member addVoter(String name) throws Exception {
    Member member = admit(name);
    member.start();
    founder.consensus().addMember(member.record());
    return member;
  }

  /** The running member that leads the group, once one does (null after {@link #WAIT_SECONDS}). */
  Member awaitLeader() throws InterruptedException {
    Member[] found = new Member[1];
    awaitTrue(() -> {
      for (Member m : running()) {
        if (m.consensus.isLeader()) {
          found[0] = m;
          return true;
        }
      }
      return false;
    });
    return found[0];
  }

  /**
   * The leader once leadership is settled (awaited): exactly one running member leads, and every
   * running member of its configuration names it as leader. Null after {@link #WAIT_SECONDS}.
   */
  Member awaitStableLeader() throws InterruptedException {
    Member[] found = new Member[1];
    awaitTrue(() -> {
      List<Member> leaders = running().stream().filter(m -> m.consensus.isLeader()).toList();
      if (leaders.size() != 1) {
        return false;
      }
      Member leader = leaders.get(0);
      Set<String> configured = leader.consensus.configurationRoles().keySet();
      boolean agreed = running().stream().filter(m -> configured.contains(m.id()))
          .allMatch(m -> m.consensus.leaderId().filter(leader.id()::equals).isPresent());
      found[0] = agreed ? leader : null;
      return agreed;
    });
    return found[0];
  }

  /** Whether every running member in the configuration has applied everything the leader has (awaited). */
  boolean awaitCaughtUp() throws InterruptedException {
    return awaitTrue(() -> {
      Member leader = null;
      for (Member m : running()) {
        if (m.consensus.isLeader()) {
          leader = m;
        }
      }
      if (leader == null) {
        return false;
      }
      long applied = leader.replica.appliedIndex();
      Set<String> configured = leader.consensus.configurationRoles().keySet();
      return running().stream().filter(m -> configured.contains(m.id()))
          .allMatch(m -> m.replica.appliedIndex() >= applied);
    });
  }

  /** Submits through the leader (awaited) and waits for the result. */
  ApplyResult submit(Proposal proposal) throws Exception {
    Member through = awaitLeader();
    if (through == null) {
      throw new IllegalStateException("no leader among " + running());
    }
    return through.consensus.submit(proposal).get(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  /** Puts key=value through the group; returns the log index it was applied at. */
  long put(String key, String value) throws Exception {
    EventSealing.ClientSealed sealed = sealKv(founder.replica.view(), genesis.clusterId(), SimulatedNodes.put(key, value));
    ApplyResult result = submit(event(sealed));
    EventResult opened = open(result, sealed);
    if (opened.getStatus() != EventResult.Status.OK) {
      throw new IllegalStateException("put " + key + " failed: " + opened.getError());
    }
    return result.getSealedResponse().getLogIndex();
  }

  /** Reads key with a sealed query answered by {@code member}: stale, or linearizable (through the leader's read index). */
  Optional<String> read(Member member, String key, boolean stale) throws Exception {
    MembershipView view = member.replica.view();
    Event query = Event.newBuilder().setApp(KvApp.NAME).setRequest(get(key).toByteString()).build();
    EventSealing.ClientSealed sealed = EventSealing.sealQuery(view.groupPublicKey(), genesis.clusterId(), view.epoch(),
        query.toByteArray());
    ApplyResult result = member.consensus().query(sealed.request().toByteArray(), stale)
        .get(WAIT_SECONDS, TimeUnit.SECONDS);
    EventResult opened = SimulatedNodes.openQuery(result, sealed);
    if (opened.getStatus() != EventResult.Status.OK) {
      throw new IllegalStateException("get " + key + " failed: " + opened.getError());
    }
    KvResponse response = KvResponse.parseFrom(opened.getResponse());
    return response.getFound() ? Optional.of(response.getValue().toStringUtf8()) : Optional.empty();
  }

  /**
   * A raw Ratis client into the group presenting {@code as}'s identity (an admitted member, so
   * every server accepts it), aimed at {@code as} as the leader, without retries: for changes
   * {@link RaftConsensus} would not make, such as a staging that must fail.
   */
  RaftClient rawClient(Member as) {
    RaftProperties properties = new RaftProperties();
    RaftConfigKeys.Rpc.setType(properties, SupportedRpcType.GRPC);
    Parameters parameters = new Parameters();
    GrpcConfigKeys.TLS.setConf(parameters, new GrpcTlsConfig(as.node.identity().keyManager(), TRUST_ANY, true));
    List<RaftPeer> peers = running().stream().map(m -> RaftIds.peer(m.id(), m.address())).toList();
    return RaftClient.newBuilder()
        .setClientId(ClientId.randomId())
        .setRaftGroup(RaftGroup.valueOf(RaftIds.groupId(genesis.clusterId()), peers))
        .setLeaderId(RaftPeerId.valueOf(as.id()))
        .setProperties(properties)
        .setParameters(parameters)
        .setRetryPolicy(RetryPolicies.noRetry())
        .build();
  }

  /**
   * Trusts any server: the servers check the client, and attacker tests do not care whom they
   * talk to. Extended, so neither JSSE nor Netty adds a hostname check (a plain X509TrustManager
   * gets one, and the client would then fail on its own side, proving nothing about the server).
   */
  static final X509ExtendedTrustManager TRUST_ANY = new X509ExtendedTrustManager() {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  };

  static List<MemberRecord> records(Member... members) {
    List<MemberRecord> records = new ArrayList<>();
    for (Member m : members) {
      records.add(m.record());
    }
    return records;
  }

  static List<MemberRecord> records(List<Member> members) {
    return records(members.toArray(new Member[0]));
  }

  /**
   * A free port below the usual ephemeral range (32768 and up): members keep their port across
   * restarts, and an ephemeral port could meanwhile be taken as the local end of an outgoing
   * connection.
   */
  static int freePort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = PORT_SLICE[0] + RANDOM.nextInt(PORT_SLICE[1] - PORT_SLICE[0]);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port in [" + PORT_SLICE[0] + ", " + PORT_SLICE[1] + ")");
  }

  private static final int PORT_BASE = 20_000;
  private static final int PORT_SPAN = 12_000;
  /**
   * The ITs run in two JVMs at once (consensus/pom.xml), each drawing ports from its own slice,
   * {@code k/n} in {@value #PORT_SLICE_PROPERTY}: a stopped member keeps its port for its restart,
   * and the other JVM must not take it meanwhile.
   */
  static final String PORT_SLICE_PROPERTY = "veilraft.raftTestCluster.portSlice";
  private static final int[] PORT_SLICE = portSlice(System.getProperty(PORT_SLICE_PROPERTY, "1/1"));

  private static int[] portSlice(String slice) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-9])/([1-9])").matcher(slice.strip());
    if (!m.matches() || Integer.parseInt(m.group(1)) > Integer.parseInt(m.group(2))) {
      throw new IllegalArgumentException(PORT_SLICE_PROPERTY + " is '" + slice + "', expected k/n with 1 <= k <= n <= 9");
    }
    int k = Integer.parseInt(m.group(1));
    int width = PORT_SPAN / Integer.parseInt(m.group(2));
    return new int[] {PORT_BASE + (k - 1) * width, PORT_BASE + k * width};
  }
  private static final java.util.Random RANDOM = new java.util.Random();

  /** Polls {@code condition} every 20 ms for at most {@link #WAIT_SECONDS}. */
  static boolean awaitTrue(BooleanSupplier condition) throws InterruptedException {
    return awaitTrue(condition, Duration.ofSeconds(WAIT_SECONDS));
  }

  static boolean awaitTrue(BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return condition.getAsBoolean();
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (Member m : members.values()) {
      try {
        m.stop();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    for (Member m : members.values()) {
      try {
        m.replica.store().close();
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
