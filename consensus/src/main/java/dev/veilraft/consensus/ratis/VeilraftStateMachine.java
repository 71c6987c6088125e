package dev.veilraft.consensus.ratis;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.Limits;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.ReplicaHaltedException;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.LogEntry;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
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

  private final Replica replica;
  private final Clock clock;
  private final AtomicLong lastStampMs = new AtomicLong();

  VeilraftStateMachine(Replica replica, Clock clock) {
    this.replica = replica;
    this.clock = clock;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    super.initialize(server, groupId, storage);
    lastStampMs.set(replica.view().lastLeaderTimeMs());
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
    // A host may skew this node's clock; the stamp is still forced monotonic along the log, and
    // only coarse validity checks use it. Freshness of evidence comes from nonces.
    long stamp = lastStampMs.updateAndGet(last -> Math.max(last, clock.millis()));
    byte[] entry = LogEntry.newBuilder().setLeaderTimeMs(stamp)
        .setProposal(ByteString.copyFrom(content.asReadOnlyByteBuffer())).build().toByteArray();
    return builder.setLogData(UnsafeByteOperations.unsafeWrap(entry)).build();
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
          server.close();
        } catch (IOException | RuntimeException e) {
          LOG.warn("halted raft server did not close cleanly: {}", e.toString());
        }
      }, "veilraft-halt");
      stopper.setDaemon(true);
      stopper.start();
    });
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
    ApplyResult result;
    try {
      result = replica.apply(index, data);
    } catch (ReplicaHaltedException e) {
      LOG.error("replica halted at index {}: {}; stopping this raft server so it neither leads nor votes",
          index, e.getMessage());
      stopServer();
      return CompletableFuture.failedFuture(e);
    }
    lastStampMs.accumulateAndGet(replica.view().lastLeaderTimeMs(), Math::max);
    updateLastAppliedTermIndex(entry.getTerm(), index);
    return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
  }
}
