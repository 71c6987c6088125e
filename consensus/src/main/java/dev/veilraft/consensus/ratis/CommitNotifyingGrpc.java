package dev.veilraft.consensus.ratis;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.raftlog.RaftLogIOException;

/**
 * Ratis' gRPC transport with one change to the leader's log appender: a commit advance reaches the
 * followers at once, as an empty AppendEntries (a heartbeat, which carries the leader's commit
 * index), instead of with the next entry or the next scheduled heartbeat.
 *
 * <p>Why. Ratis' leader appends a commit-index metadata entry after every commit advance
 * ({@code raft.server.log.log-metadata.enabled}); that entry is what tells idle followers of the
 * advance, because in Ratis 3.3 a commit advance alone sends nothing: the appender wakes (it checks
 * whether the follower's commit index is behind) but builds no request when there is no entry to
 * send. The metadata entry costs what any entry costs — an append and an fsync on every member, an
 * AppendEntries round — once per commit advance, so with one group of client events in flight it
 * doubled the entries of the log. veilraft turns metadata entries off ({@link
 * RaftConsensus#properties}) and this appender sends the commit advance instead, with no log entry
 * and no fsync.
 *
 * <p>When. Only when the leader has nothing to send, the follower's last reported commit index is
 * behind the leader's, no AppendEntries with entries is outstanding to it (a heartbeat sent then
 * would carry no previous index, and Ratis' follower ignores its commit index), and this commit
 * index was not sent to it already: one heartbeat per follower and commit advance at most.
 *
 * <p>Everything else is Ratis' gRPC transport: TLS (through the same {@link Parameters}), clients,
 * snapshots. The type is named by its class, so {@link org.apache.ratis.RaftConfigKeys.Rpc#type}
 * finds it in the properties.
 */
public final class CommitNotifyingGrpc implements RpcType {
  /** The type to put in Raft properties. */
  public static final CommitNotifyingGrpc TYPE = new CommitNotifyingGrpc();

  /** For Ratis, which creates the type from its class name. */
  public CommitNotifyingGrpc() {}

  @Override
  public String name() {
    return CommitNotifyingGrpc.class.getName();
  }

  @Override
  public RpcFactory newFactory(Parameters parameters) {
    return new Factory(parameters);
  }

  private static final class Factory extends GrpcFactory {
    Factory(Parameters parameters) {
      super(parameters);
    }

    @Override
    public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      return new Appender(server, state, follower);
    }
  }

  /** Ratis' gRPC appender that also sends commit advances (see the class comment). */
  static final class Appender extends GrpcLogAppender {
    /** The highest commit index sent to this follower in a commit heartbeat (the appender's thread only). */
    private long commitSent = RaftLog.INVALID_LOG_INDEX;

    Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      super(server, state, follower);
    }

    @Override
    public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat)
        throws RaftLogIOException {
      AppendEntriesRequestProto request = super.newAppendEntriesRequest(callId, heartbeat);
      if (request != null || heartbeat) {
        return request;
      }
      long committed = getRaftLog().getLastCommittedIndex();
      if (!commitNotice(committed, getFollower().getCommitIndex(), commitSent, hasPendingDataRequests())) {
        return null;
      }
      commitSent = committed;
      return super.newAppendEntriesRequest(callId, true);
    }
  }

  /**
   * Whether an appender with no entry to send tells its follower of commit index {@code committed}:
   * the follower reported {@code followerCommit} and was sent {@code sent} in a commit heartbeat.
   */
  static boolean commitNotice(long committed, long followerCommit, long sent, boolean entriesOutstanding) {
    return committed > followerCommit && committed > sent && !entriesOutstanding;
  }
}
