package dev.veilraft.consensus.ratis;

import dev.veilraft.crypto.NodeIdentity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * The benchmark baseline: a Ratis group with the Raft properties veilraft uses
 * ({@link RaftConsensus#properties}: gRPC, log fsync, snapshot and log settings, election
 * timeouts) but a state machine that neither encrypts nor decrypts ({@link PlaintextStateMachine}:
 * a key-value map in memory), no attestation and no membership rules; and the matching Ratis async
 * client. Peer mutual TLS is optional, so a benchmark can tell what the transport encryption costs
 * from what the confidential path costs. For measurements only: nothing in a veilraft node uses it.
 *
 * <p>Entries are batches of puts: {@code u32 count, then per put u32 key length, key, u32 value
 * length, value}; one client call is one log entry.
 */
public final class PlaintextBaseline {
  /** The one group every baseline cluster runs. */
  static final RaftGroupId GROUP_ID = RaftGroupId.valueOf(
      UUID.nameUUIDFromBytes("veilraft/plaintext-baseline/v1".getBytes(StandardCharsets.UTF_8)));
  /** Largest entry (and largest key or value) the baseline accepts: the same bound as a veilraft proposal. */
  public static final int ENTRY_BYTES_MAX = dev.veilraft.consensus.Limits.PROPOSAL_BYTES_MAX;
  /** Most puts in one entry. */
  public static final int PUTS_PER_ENTRY_MAX = 4096;
  /** The same bounded retries as a veilraft node's client into its group. */
  private static final int CLIENT_ATTEMPTS_MAX = 40;
  private static final TimeDuration CLIENT_RETRY_SLEEP = TimeDuration.valueOf(250, TimeUnit.MILLISECONDS);

  private PlaintextBaseline() {}

  /** A member of the baseline group: its Ratis peer id and its host:port. */
  public record Peer(String id, String address) {
    RaftPeer raftPeer() {
      return RaftPeer.newBuilder().setId(RaftPeerId.valueOf(id)).setAddress(address).build();
    }
  }

  /**
   * Peer mutual TLS for the baseline: this process's key, and the node ids it accepts (read at every
   * handshake, like a veilraft node's admitted members).
   */
  public record Tls(NodeIdentity identity, Supplier<Set<String>> trustedNodeIds) {}

  /** Puts decoded from one entry, in order. */
  public record Puts(List<byte[]> keys, List<byte[]> values) {}

  /** Encodes puts into one entry; {@code keys} and {@code values} pair up by position. */
  public static byte[] encodePuts(List<byte[]> keys, List<byte[]> values) {
    if (keys.size() != values.size() || keys.isEmpty() || keys.size() > PUTS_PER_ENTRY_MAX) {
      throw new IllegalArgumentException("expected 1.." + PUTS_PER_ENTRY_MAX + " keys with one value each, got "
          + keys.size() + " keys and " + values.size() + " values");
    }
    long bytes = 4;
    for (int i = 0; i < keys.size(); i++) {
      bytes += 8L + keys.get(i).length + values.get(i).length;
    }
    if (bytes > ENTRY_BYTES_MAX) {
      throw new IllegalArgumentException("entry would be " + bytes + " bytes, more than " + ENTRY_BYTES_MAX);
    }
    ByteBuffer out = ByteBuffer.allocate((int) bytes).putInt(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      out.putInt(keys.get(i).length).put(keys.get(i)).putInt(values.get(i).length).put(values.get(i));
    }
    return out.array();
  }

  /** Decodes an entry; a malformed one throws IllegalArgumentException naming what is wrong. */
  public static Puts decodePuts(ByteBuffer in) {
    if (in.remaining() < 4) {
      throw new IllegalArgumentException("entry is " + in.remaining() + " bytes, too short for a put count");
    }
    int count = in.getInt();
    if (count < 1 || count > PUTS_PER_ENTRY_MAX) {
      throw new IllegalArgumentException("entry holds " + count + " puts, expected 1.." + PUTS_PER_ENTRY_MAX);
    }
    List<byte[]> keys = new ArrayList<>(count);
    List<byte[]> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      keys.add(field(in, "key", i));
      values.add(field(in, "value", i));
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("entry has " + in.remaining() + " bytes after its " + count + " puts");
    }
    return new Puts(keys, values);
  }

  private static byte[] field(ByteBuffer in, String what, int index) {
    if (in.remaining() < 4) {
      throw new IllegalArgumentException("entry ends before the length of " + what + " " + index);
    }
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new IllegalArgumentException(what + " " + index + " claims " + length + " bytes, " + in.remaining() + " remain");
    }
    byte[] bytes = new byte[length];
    in.get(bytes);
    return bytes;
  }

  private static Parameters parameters(Optional<Tls> tls) {
    Parameters parameters = new Parameters();
    tls.ifPresent(t -> GrpcConfigKeys.TLS.setConf(parameters, PeerTls.config(t.identity(), t.trustedNodeIds())));
    return parameters;
  }

  /** One baseline server: a Ratis server of the static group {@code peers}. */
  public static final class Server implements AutoCloseable {
    private final RaftServer server;
    private final PlaintextStateMachine machine;

    private Server(RaftServer server, PlaintextStateMachine machine) {
      this.server = server;
      this.machine = machine;
    }

    /**
     * Starts the member {@code selfId} of the group {@code peers} (every member listed, itself
     * included) with veilraft's Raft properties for {@code settings}; recovers the group from the
     * storage directory when it is there.
     */
    public static Server start(RaftConsensus.Settings settings, String selfId, List<Peer> peers, Optional<Tls> tls)
        throws IOException {
      if (peers.stream().noneMatch(p -> p.id().equals(selfId))) {
        throw new IllegalArgumentException("peer list " + peers + " does not name this server " + selfId);
      }
      Files.createDirectories(settings.storageDir());
      boolean existing = Files.isDirectory(settings.storageDir().resolve(GROUP_ID.getUuid().toString()));
      PlaintextStateMachine machine = new PlaintextStateMachine();
      RaftServer server = RaftServer.newBuilder()
          .setServerId(RaftPeerId.valueOf(selfId))
          .setGroup(RaftGroup.valueOf(GROUP_ID, peers.stream().map(Peer::raftPeer).toList()))
          .setStateMachine(machine)
          .setProperties(RaftConsensus.properties(settings))
          .setParameters(parameters(tls))
          .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT)
          .build();
      server.start();
      return new Server(server, machine);
    }

    /** Whether this server leads the group now. */
    public boolean isLeader() {
      try {
        return server.getDivision(GROUP_ID).getInfo().isLeader();
      } catch (IOException e) {
        return false;
      }
    }

    /** Keys held (tests). */
    public int size() {
      return machine.size();
    }

    /** The first index this server's Raft log still holds (tests). */
    long logStartIndex() throws IOException {
      return server.getDivision(GROUP_ID).getRaftLog().getStartIndex();
    }

    /** The index this server's Raft log appends next (tests). */
    long logNextIndex() throws IOException {
      return server.getDivision(GROUP_ID).getRaftLog().getNextIndex();
    }

    /** Snapshots received from a leader and installed since this server started (tests). */
    long snapshotsInstalled() {
      return machine.snapshotsInstalled();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }

  /** The Ratis async client of a baseline group, as a veilraft node's client into its group is built. */
  public static final class Client implements AutoCloseable {
    private final RaftClient client;

    private Client(RaftClient client) {
      this.client = client;
    }

    /** A client of the group {@code peers}; {@code settings} gives the Raft properties (its address is unused). */
    public static Client connect(RaftConsensus.Settings settings, List<Peer> peers, Optional<Tls> tls) {
      RaftProperties properties = RaftConsensus.properties(settings);
      return new Client(RaftClient.newBuilder()
          .setClientId(ClientId.randomId())
          .setRaftGroup(RaftGroup.valueOf(GROUP_ID, peers.stream().map(Peer::raftPeer).toList()))
          .setProperties(properties)
          .setParameters(parameters(tls))
          .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(CLIENT_ATTEMPTS_MAX, CLIENT_RETRY_SLEEP))
          .build());
    }

    /** Puts the pairs in one log entry; completes with the number applied once the entry is applied. */
    public CompletableFuture<Integer> put(List<byte[]> keys, List<byte[]> values) {
      byte[] entry;
      try {
        entry = encodePuts(keys, values);
      } catch (IllegalArgumentException e) {
        return CompletableFuture.failedFuture(e);
      }
      return client.async().send(Message.valueOf(UnsafeByteOperations.unsafeWrap(entry)))
          .thenApply(Client::applied);
    }

    /** A linearizable read of one key; empty when absent. */
    public CompletableFuture<byte[]> get(byte[] key) {
      return client.async().sendReadOnly(Message.valueOf(UnsafeByteOperations.unsafeWrap(key)))
          .thenApply(reply -> {
            requireSuccess(reply);
            return reply.getMessage().getContent().toByteArray();
          });
    }

    /** The leader the client last heard of, if any. */
    public Optional<String> leaderId() {
      RaftPeerId leader = client.getLeaderId();
      return leader == null ? Optional.empty() : Optional.of(leader.toString());
    }

    private static int applied(RaftClientReply reply) {
      requireSuccess(reply);
      ByteBuffer content = reply.getMessage().getContent().asReadOnlyByteBuffer();
      if (content.remaining() == 5 && content.get() == PlaintextStateMachine.REPLY_OK) {
        return content.getInt();
      }
      content.rewind();
      String reason = content.remaining() > 1 ? StandardCharsets.UTF_8.decode(content.position(1)).toString()
          : "empty reply";
      throw new CompletionException(new IOException("baseline entry refused: " + reason));
    }

    private static void requireSuccess(RaftClientReply reply) {
      if (!reply.isSuccess()) {
        throw new CompletionException(reply.getException() != null ? reply.getException()
            : new IOException("raft request failed without an exception"));
      }
    }

    @Override
    public void close() throws IOException {
      client.close();
    }
  }
}
