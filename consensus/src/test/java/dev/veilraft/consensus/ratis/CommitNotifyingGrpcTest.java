package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.junit.jupiter.api.Test;

class CommitNotifyingGrpcTest {
  @Test
  void aCommitNoticeGoesOncePerAdvanceOnlyToAFollowerBehindWithNothingOutstanding() {
    // committed, follower's commit, sent before, entries outstanding
    assertThat(CommitNotifyingGrpc.commitNotice(10, 9, -1, false)).as("behind, never sent").isTrue();
    assertThat(CommitNotifyingGrpc.commitNotice(10, 9, 9, false)).as("behind, an older index sent").isTrue();
    assertThat(CommitNotifyingGrpc.commitNotice(10, 9, 10, false)).as("this index sent already").isFalse();
    assertThat(CommitNotifyingGrpc.commitNotice(10, 10, -1, false)).as("follower up to date").isFalse();
    assertThat(CommitNotifyingGrpc.commitNotice(10, 11, -1, false)).as("follower ahead (new leader)").isFalse();
    assertThat(CommitNotifyingGrpc.commitNotice(10, 9, -1, true)).as("entries outstanding: the heartbeat would "
        + "carry no previous index, and the follower would ignore its commit index").isFalse();
  }

  @Test
  void aWaitingNoticeWakesTheAppenderWhenDueNeverLaterAndNeverWithANegativeWait() {
    assertThat(CommitNotifyingGrpc.noticeWaitMs(20_000_000)).isEqualTo(20);
    assertThat(CommitNotifyingGrpc.noticeWaitMs(1)).as("rounded up: never wakes before it is due").isEqualTo(1);
    assertThat(CommitNotifyingGrpc.noticeWaitMs(1_000_001)).isEqualTo(2);
    assertThat(CommitNotifyingGrpc.noticeWaitMs(0)).as("due: build it now").isZero();
    assertThat(CommitNotifyingGrpc.noticeWaitMs(-5_000_000)).as("overdue").isZero();
    assertThat(CommitNotifyingGrpc.NOTICE_DELAY).as("below a heartbeat interval (half the minimum election timeout: "
        + "500 ms by default, 25 ms at the least a node's config allows)").isLessThan(java.time.Duration.ofMillis(25));
  }

  @Test
  void veilraftsPropertiesNameTheTypeByItsClassTurnMetadataEntriesOffAndReadIndexIsTheCommitIndex() {
    RaftProperties properties = RaftConsensus.properties(new RaftConsensus.Settings(java.nio.file.Path.of("unused"),
        "127.0.0.1", 1, java.time.Duration.ofSeconds(1), java.time.Duration.ofSeconds(2)));
    assertThat(RaftConfigKeys.Rpc.type(properties, s -> { })).isInstanceOf(CommitNotifyingGrpc.class);
    assertThat(RaftServerConfigKeys.Log.logMetadataEnabled(properties)).isFalse();
    // A heartbeat's leader commit is Ratis' read index: the commit index only with this type.
    assertThat(RaftServerConfigKeys.Read.ReadIndex.type(properties))
        .isEqualTo(RaftServerConfigKeys.Read.ReadIndex.Type.COMMIT_INDEX);
    // A follower appends on the thread that received the entries: no chaining through two executors.
    assertThat(RaftServerConfigKeys.Log.appendEntriesComposeEnabled(properties)).isFalse();
  }
}
