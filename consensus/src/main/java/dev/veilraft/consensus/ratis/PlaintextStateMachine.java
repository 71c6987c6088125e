package dev.veilraft.consensus.ratis;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * The benchmark baseline's state machine: a key-value map in memory with plain snapshot files,
 * no encryption, no attestation, no membership rules. What a user gets from bare Ratis; see
 * {@link PlaintextBaseline}. Entries are {@link PlaintextBaseline#encodePuts batches of puts};
 * a malformed entry is answered with an error reply and changes nothing.
 */
final class PlaintextStateMachine extends BaseStateMachine {
  /** First byte of a reply: the entry was applied (then a u32 count of puts) or refused (then a UTF-8 reason). */
  static final byte REPLY_OK = 0;
  static final byte REPLY_REFUSED = 1;

  private final Map<ByteBuffer, byte[]> values = new ConcurrentHashMap<>();
  private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
  private final AtomicLong snapshotsInstalled = new AtomicLong();

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
    super.initialize(server, groupId, raftStorage);
    storage.init(raftStorage);
    load(VeilraftStateMachine.latestSnapshot(storage));
    getLifeCycle().transition(LifeCycle.State.STARTING);
    getLifeCycle().transition(LifeCycle.State.RUNNING);
  }

  @Override
  public StateMachineStorage getStateMachineStorage() {
    return storage;
  }

  /**
   * Ratis pauses the state machine before it publishes a snapshot received from the leader, and
   * its apply thread insists on PAUSED before it reloads: a state machine that ignores pause (as
   * BaseStateMachine does) stops its server at the first snapshot a lagging follower is sent.
   */
  @Override
  public void pause() {
    if (getLifeCycleState() == LifeCycle.State.RUNNING) {
      getLifeCycle().transition(LifeCycle.State.PAUSING);
      getLifeCycle().transition(LifeCycle.State.PAUSED);
    }
  }

  /** Loads the snapshot Ratis just received and resumes. */
  @Override
  public void reinitialize() throws IOException {
    SingleFileSnapshotInfo latest = VeilraftStateMachine.reloadLatestSnapshot(storage);
    if (latest == null) {
      throw new IOException("asked to install a snapshot, but the state machine storage holds none");
    }
    load(latest);
    snapshotsInstalled.incrementAndGet();
    if (getLifeCycleState() == LifeCycle.State.PAUSED) {
      getLifeCycle().transition(LifeCycle.State.STARTING);
      getLifeCycle().transition(LifeCycle.State.RUNNING);
    }
  }

  private void load(SingleFileSnapshotInfo snapshot) throws IOException {
    if (snapshot == null) {
      return;
    }
    Map<ByteBuffer, byte[]> loaded = new java.util.HashMap<>();
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(snapshot.getFile().getPath())))) {
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        byte[] key = readBytes(in);
        loaded.put(ByteBuffer.wrap(key), readBytes(in));
      }
    }
    values.clear();
    values.putAll(loaded);
    updateLastAppliedTermIndex(snapshot.getTermIndex());
  }

  private static byte[] readBytes(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > PlaintextBaseline.ENTRY_BYTES_MAX) {
      throw new IOException("snapshot record length " + length + " is out of range 0.." + PlaintextBaseline.ENTRY_BYTES_MAX);
    }
    return in.readNBytes(length);
  }

  /** Writes every key and value to a snapshot file named for the last applied term and index. */
  @Override
  public long takeSnapshot() throws IOException {
    TermIndex last = getLastAppliedTermIndex();
    SingleFileSnapshotInfo latest = VeilraftStateMachine.latestSnapshot(storage);
    long latestIndex = latest == null ? RaftLog.INVALID_LOG_INDEX : latest.getIndex();
    if (last == null || last.getIndex() <= 0 || last.getIndex() <= latestIndex) {
      return latestIndex;
    }
    File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
    Path tmp = file.toPath().resolveSibling(file.getName() + ".writing");
    // Ratis takes snapshots on the apply thread, so the map holds exactly the state at 'last'.
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
      out.writeInt(values.size());
      for (Map.Entry<ByteBuffer, byte[]> e : values.entrySet()) {
        byte[] key = e.getKey().array();
        out.writeInt(key.length);
        out.write(key);
        out.writeInt(e.getValue().length);
        out.write(e.getValue());
      }
    }
    Files.move(tmp, file.toPath(), StandardCopyOption.ATOMIC_MOVE);
    MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
    storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
    return last.getIndex();
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    ByteString data = entry.getStateMachineLogEntry().getLogData();
    Message reply;
    try {
      PlaintextBaseline.Puts puts = PlaintextBaseline.decodePuts(data.asReadOnlyByteBuffer());
      for (int i = 0; i < puts.keys().size(); i++) {
        values.put(ByteBuffer.wrap(puts.keys().get(i)), puts.values().get(i));
      }
      reply = reply(ByteBuffer.allocate(5).put(REPLY_OK).putInt(puts.keys().size()).array());
    } catch (IllegalArgumentException e) {
      byte[] reason = e.getMessage().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      reply = reply(ByteBuffer.allocate(1 + reason.length).put(REPLY_REFUSED).put(reason).array());
    }
    updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    return CompletableFuture.completedFuture(reply);
  }

  /** A read of one key (query content = the key): the value, or an empty reply when absent. */
  @Override
  public CompletableFuture<Message> query(Message request) {
    byte[] value = values.get(ByteBuffer.wrap(request.getContent().toByteArray()));
    return CompletableFuture.completedFuture(reply(value == null ? new byte[0] : value));
  }

  int size() {
    return values.size();
  }

  /** Snapshots received from a leader and loaded by {@link #reinitialize}. */
  long snapshotsInstalled() {
    return snapshotsInstalled.get();
  }

  private static Message reply(byte[] bytes) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
  }
}
