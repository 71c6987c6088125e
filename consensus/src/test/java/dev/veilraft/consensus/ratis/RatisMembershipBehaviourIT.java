package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
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
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.TimeDuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Ratis 3.3 membership behaviour {@link RaftConsensus} is built around, pinned on plain
 * (plaintext gRPC) Ratis servers with a counting state machine. If a Ratis upgrade changes one of
 * these, this test fails and the recipes in RaftConsensus (start roles, reconcile order, the role
 * watchdog, sender restarts) should be revisited.
 */
class RatisMembershipBehaviourIT {
  private static final Duration TIMEOUT_MIN = Duration.ofMillis(150);
  private static final Duration TIMEOUT_MAX = Duration.ofMillis(300);
  /** Ten maximum election timeouts: what a negative check waits. */
  private static final Duration QUIET = TIMEOUT_MAX.multipliedBy(10);
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir Path dir;
  private final RaftGroupId groupId = RaftGroupId.valueOf(UUID.randomUUID());
  private final Map<String, RaftPeer> peers = new TreeMap<>();
  private final Map<String, RaftServer> servers = new TreeMap<>();
  private final Map<String, Counter> machines = new TreeMap<>();

  /** Counts the entries it applies. */
  static final class Counter extends BaseStateMachine {
    final AtomicLong applied = new AtomicLong();

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
      var entry = trx.getLogEntry();
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
      applied.incrementAndGet();
      return CompletableFuture.completedFuture(Message.valueOf("ok"));
    }
  }

  @AfterEach
  void stopAll() throws IOException {
    for (RaftServer s : servers.values()) {
      s.close();
    }
  }

  private RaftPeer peer(String id) throws IOException {
    RaftPeer p = RaftPeer.newBuilder().setId(id).setAddress("127.0.0.1:" + RaftTestCluster.freePort()).build();
    peers.put(id, p);
    return p;
  }

  private void start(String id, RaftGroup group, RaftStorage.StartupOption option) throws IOException {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftServerConfigKeys.setStorageDir(p, List.of(dir.resolve(id).toFile()));
    GrpcConfigKeys.Server.setPort(p, Integer.parseInt(peers.get(id).getAddress().split(":")[1]));
    RaftServerConfigKeys.Rpc.setTimeoutMin(p, TimeDuration.valueOf(TIMEOUT_MIN.toMillis(), TimeUnit.MILLISECONDS));
    RaftServerConfigKeys.Rpc.setTimeoutMax(p, TimeDuration.valueOf(TIMEOUT_MAX.toMillis(), TimeUnit.MILLISECONDS));
    Counter machine = new Counter();
    RaftServer server = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(id)).setGroup(group)
        .setStateMachine(machine).setProperties(p).setOption(option).build();
    server.start();
    servers.put(id, server);
    machines.put(id, machine);
  }

  /** Three voters a, b, c with a leader. */
  private void startThreeVoters() throws Exception {
    List<RaftPeer> voters = List.of(peer("a"), peer("b"), peer("c"));
    for (RaftPeer v : voters) {
      start(v.getId().toString(), RaftGroup.valueOf(groupId, voters), RaftStorage.StartupOption.FORMAT);
    }
    assertThat(await(() -> leader() != null, WAIT)).isTrue();
  }

  private void stop(String id) throws IOException {
    servers.remove(id).close();
  }

  private DivisionInfo info(String id) {
    try {
      return servers.get(id).getDivision(groupId).getInfo();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private String leader() {
    for (String id : servers.keySet()) {
      try {
        if (servers.get(id).getDivision(groupId).getInfo().isLeader()) {
          return id;
        }
      } catch (IOException e) {
        // closed
      }
    }
    return null;
  }

  private long behind(String id) {
    return machines.get(leader()).applied.get() - machines.get(id).applied.get();
  }

  private RaftClient client(RetryPolicy retry) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    List<RaftPeer> live = new ArrayList<>();
    servers.keySet().forEach(id -> live.add(peers.get(id)));
    RaftClient.Builder builder = RaftClient.newBuilder().setClientId(ClientId.randomId())
        .setRaftGroup(RaftGroup.valueOf(groupId, live)).setProperties(p).setRetryPolicy(retry);
    String leader = leader();
    if (leader != null) {
      builder.setLeaderId(RaftPeerId.valueOf(leader));
    }
    return builder.build();
  }

  private RaftClient client() {
    return client(RetryPolicies.retryUpToMaximumCountWithFixedSleep(40, TimeDuration.valueOf(250, TimeUnit.MILLISECONDS)));
  }

  private RaftClientReply setConf(List<String> voters, List<String> listeners) throws IOException {
    try (RaftClient c = client()) {
      return c.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(voters.stream().map(peers::get).toList())
          .setListenersInNewConf(listeners.stream().map(peers::get).toList())
          .setMode(SetConfigurationRequest.Mode.SET_UNCONDITIONALLY).build());
    }
  }

  private void send(int count) throws IOException {
    try (RaftClient c = client()) {
      for (int i = 0; i < count; i++) {
        assertThat(c.io().send(Message.valueOf("m" + i)).isSuccess()).isTrue();
      }
    }
  }

  private static boolean await(BooleanSupplier condition, Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return condition.getAsBoolean();
  }

  /** The peer with startup role LISTENER in a group naming only itself: how a listener joiner starts. */
  private RaftGroup listenerOfItself(String id) {
    return RaftGroup.valueOf(groupId, RaftPeer.newBuilder(peers.get(id)).setStartupRole(RaftPeerRole.LISTENER).build());
  }

  @Test
  void serverStartedWithAnEmptyGroupAndAddedAsListenerStaysStartingAndNeverVotes() throws Exception {
    startThreeVoters();
    peer("d");
    start("d", RaftGroup.valueOf(groupId), RaftStorage.StartupOption.FORMAT);
    assertThat(setConf(List.of("a", "b", "c"), List.of("d")).isSuccess()).isTrue();
    send(3);
    assertThat(await(() -> behind("d") == 0, WAIT)).as("it applies the log").isTrue();
    assertThat(info("d").getLifeCycleState()).isEqualTo(LifeCycle.State.STARTING);

    assertThat(setConf(List.of("a", "b", "c", "d"), List.of()).isSuccess()).isTrue();
    send(1);
    assertThat(await(() -> behind("d") == 0, WAIT)).isTrue();
    assertThat(info("d").getLifeCycleState()).as("promoted, still STARTING").isEqualTo(LifeCycle.State.STARTING);
    // Four voters, the leader stopped: a new leader needs d's vote, which a STARTING server refuses.
    stop(leader());
    assertThat(await(() -> leader() != null, QUIET)).as("a leader without d's vote").isFalse();
  }

  @Test
  void serverStartedAsListenerOfItselfRunsAppliesAndVotesOncePromoted() throws Exception {
    startThreeVoters();
    peer("d");
    start("d", listenerOfItself("d"), RaftStorage.StartupOption.FORMAT);
    assertThat(info("d").getLifeCycleState()).isEqualTo(LifeCycle.State.RUNNING);
    assertThat(info("d").getCurrentRole()).isEqualTo(RaftPeerRole.LISTENER);
    assertThat(setConf(List.of("a", "b", "c"), List.of("d")).isSuccess()).isTrue();
    send(3);
    assertThat(await(() -> behind("d") == 0, WAIT)).isTrue();
    assertThat(info("d").getCurrentRole()).isEqualTo(RaftPeerRole.LISTENER);

    assertThat(setConf(List.of("a", "b", "c", "d"), List.of()).isSuccess()).isTrue();
    assertThat(await(() -> info("d").getCurrentRole() == RaftPeerRole.FOLLOWER, WAIT)).isTrue();
    String old = leader();
    stop(old);
    assertThat(await(() -> leader() != null, WAIT)).as("elected with d's vote").isTrue();
    send(1);
  }

  @Test
  void failedStagingStopsReplicationToAListenerTheLeaderAddedUntilTheNextLeader() throws Exception {
    startThreeVoters();
    peer("d");
    peer("e");
    start("d", listenerOfItself("d"), RaftStorage.StartupOption.FORMAT);
    assertThat(setConf(List.of("a", "b", "c"), List.of("d")).isSuccess()).isTrue();
    send(2);
    assertThat(await(() -> behind("d") == 0, WAIT)).isTrue();

    // e is not running: its staging fails, and the leader stops the senders it never marked caught up.
    try (RaftClient once = client(RetryPolicies.noRetry())) {
      RaftClientReply reply = once.admin().setConfiguration(SetConfigurationRequest.Arguments.newBuilder()
          .setServersInNewConf(List.of(peers.get("a"), peers.get("b"), peers.get("c"), peers.get("e")))
          .setListenersInNewConf(List.of(peers.get("d")))
          .setMode(SetConfigurationRequest.Mode.SET_UNCONDITIONALLY).build());
      assertThat(reply.isSuccess()).isFalse();
    } catch (IOException expected) {
      // the staging failure comes back as an exception
    }
    send(3);
    assertThat(await(() -> behind("d") == 0, QUIET)).as("d still receives entries").isFalse();

    // A new leader starts a sender for every member.
    String other = servers.keySet().stream().filter(id -> !id.equals(leader()) && !id.equals("d")).findFirst()
        .orElseThrow();
    try (RaftClient c = client()) {
      assertThat(c.admin().transferLeadership(RaftPeerId.valueOf(other), 5_000).isSuccess()).isTrue();
    }
    assertThat(await(() -> other.equals(leader()), WAIT)).isTrue();
    send(1);
    assertThat(await(() -> behind("d") == 0, WAIT)).as("d catches up under the new leader").isTrue();
  }

  @Test
  void demotedVoterKeepsRunningAsFollowerShutsItselfDownWithoutLeaderAndRestartsAsListener() throws Exception {
    List<RaftPeer> voters = List.of(peer("a"), peer("b"), peer("c"), peer("d"));
    for (RaftPeer v : voters) {
      start(v.getId().toString(), RaftGroup.valueOf(groupId, voters), RaftStorage.StartupOption.FORMAT);
    }
    assertThat(await(() -> leader() != null, WAIT)).isTrue();
    String leader = leader();
    List<String> rest = new ArrayList<>(List.of("a", "b", "c", "d"));
    String demoted = rest.stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    rest.remove(demoted);
    assertThat(setConf(rest, List.of(demoted)).isSuccess()).isTrue();
    send(2);
    assertThat(await(() -> behind(demoted) == 0, WAIT)).isTrue();
    assertThat(info(demoted).getCurrentRole()).as("Ratis never turns a running server into a listener")
        .isEqualTo(RaftPeerRole.FOLLOWER);

    // No leader can be elected (two of three voters stopped): the demoted server campaigns, finds
    // itself out of the configuration and closes its division.
    List<String> others = rest.stream().filter(id -> !id.equals(leader)).toList();
    stop(leader);
    stop(others.get(0));
    assertThat(await(() -> info(demoted).getLifeCycleState() == LifeCycle.State.CLOSED, WAIT)).isTrue();

    // Restarted over its storage, it runs as a listener: the stored configuration names it one.
    stop(demoted);
    start(demoted, RaftGroup.valueOf(groupId), RaftStorage.StartupOption.RECOVER);
    assertThat(await(() -> info(demoted).getCurrentRole() == RaftPeerRole.LISTENER, WAIT)).isTrue();
    assertThat(info(demoted).getLifeCycleState()).isEqualTo(LifeCycle.State.RUNNING);
  }
}
