package dev.veilraft.consensus.ratis;

import java.time.Duration;
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
 * Ratis' gRPC transport with one change to the leader's log appender: a commit advance reaches
 * the followers with the next entry if one follows within {@link #NOTICE_DELAY}, else normally
 * about that long after the advance as an empty AppendEntries (a heartbeat, which carries the
 * leader's commit index), instead of only with the next scheduled heartbeat.
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
 * carries no previous index, and the follower then commits nothing from it: min(leader commit,
 * 0)), and this commit index was not sent to it already: one heartbeat per follower and commit
 * advance at most. And only {@link #NOTICE_DELAY} after the appender first found it due: under
 * load the next entry follows within that time and carries the commit index itself, so the
 * notice, an AppendEntries round of its own on every follower, is needed only when the group
 * goes idle (measured in session 24: with one group in flight every entry was followed by one).
 *
 * <p>Best effort: the notice goes when the appender wakes after the commit advance, and Ratis'
 * wake-up signal is lost when it comes while the appender is not waiting; the leader also keeps a
 * restarted follower's commit index from before its restart, and a notice that was lost is not
 * sent again for the same index. In each case the follower learns the commit index with the next
 * entry or heartbeat, as with stock Ratis. Safety does not depend on it: a follower commits at
 * most the previous index the heartbeat names, which it holds.
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

  /**
   * How long a due commit notice waits for an entry to carry the commit index instead. Longer than
   * the leader takes to apply a group and send the next (a few ms at 64 events in flight, about 10
   * at 256 on two cores); short against everything that waits for an idle follower to apply
   * (joins resumed through it, catch-up checks), which Ratis alone would leave to the next
   * heartbeat, half an election timeout away.
   */
  static final Duration NOTICE_DELAY = Duration.ofMillis(20);

  /** Ratis' gRPC appender that also sends commit advances (see the class comment). */
  static final class Appender extends GrpcLogAppender {
    /** The highest commit index sent to this follower in a commit heartbeat (the appender's thread only). */
    private long commitSent = RaftLog.INVALID_LOG_INDEX;
    /**
     * Whether a commit notice is due and waits until {@link #noticeDueNanos}. The appender's thread
     * only, like {@link #commitSent}: Ratis builds requests and asks for the wait in its own loop.
     */
    private boolean noticeWaiting;
    private long noticeDueNanos;

    Appender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
      super(server, state, follower);
    }

    @Override
    public AppendEntriesRequestProto newAppendEntriesRequest(long callId, boolean heartbeat)
        throws RaftLogIOException {
      AppendEntriesRequestProto request = super.newAppendEntriesRequest(callId, heartbeat);
      if (request != null || heartbeat) {
        // Whatever goes carries the leader's commit index; a notice still due is judged again after it.
        noticeWaiting = false;
        return request;
      }
      long committed = getRaftLog().getLastCommittedIndex();
      if (!commitNotice(committed, getFollower().getCommitIndex(), commitSent, hasPendingDataRequests())) {
        noticeWaiting = false;
        return null;
      }
      long now = System.nanoTime();
      if (!noticeWaiting) {
        noticeDueNanos = now + NOTICE_DELAY.toNanos();
        noticeWaiting = true;
        return null;
      }
      if (now - noticeDueNanos < 0) {
        return null;
      }
      noticeWaiting = false;
      AppendEntriesRequestProto notice = super.newAppendEntriesRequest(callId, true);
      // What the heartbeat carries is Ratis' read index, which is the commit index with
      // ReadIndex.Type COMMIT_INDEX (RaftConsensus#properties pins it); remember what it carries.
      commitSent = Math.max(commitSent, notice.getLeaderCommit());
      return notice;
    }

    /**
     * Ratis' wait, cut short to wake when a waiting commit notice falls due (the appender's loop
     * then builds it, or finds it no longer needed). A notice no longer needed because the follower
     * caught up is dropped here, so a due notice never makes the loop spin.
     */
    @Override
    public long getWaitTimeMs() {
      long wait = super.getWaitTimeMs();
      if (!noticeWaiting) {
        return wait;
      }
      if (getRaftLog().getLastCommittedIndex() <= getFollower().getCommitIndex()) {
        noticeWaiting = false;
        return wait;
      }
      return Math.min(wait, noticeWaitMs(noticeDueNanos - System.nanoTime()));
    }
  }

  /** Milliseconds to wait for a notice due in {@code remainingNanos}: rounded up, zero once due. */
  static long noticeWaitMs(long remainingNanos) {
    return remainingNanos <= 0 ? 0 : (remainingNanos + 999_999) / 1_000_000;
  }

  /**
   * Whether an appender with no entry to send tells its follower of commit index {@code committed}:
   * the follower reported {@code followerCommit} and was sent {@code sent} in a commit heartbeat.
   */
  static boolean commitNotice(long committed, long followerCommit, long sent, boolean entriesOutstanding) {
    return committed > followerCommit && committed > sent && !entriesOutstanding;
  }
}
