package dev.veilraft.consensus.ratis;

import static dev.veilraft.consensus.ratis.RaftTestCluster.awaitTrue;
import static dev.veilraft.consensus.ratis.RaftTestCluster.records;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.UnsynchronizedAppenderBase;
import dev.veilraft.consensus.ratis.RaftTestCluster.Member;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A listener promoted while its listener timer waits for its Raft server's lock. Ratis 3.3.0
 * turns a listener into a follower inside its append handler, holding the server's lock, and
 * waits there for the listener timer (a {@code FollowerState} thread) to stop; a timer that woke
 * just before waits for that same lock, so without help the server hangs for good: it reports
 * FOLLOWER but answers no vote and no entry. CI caught it once in {@link MembershipReconcileIT}
 * (two voters campaigning for minutes, the promoted one silent). This test forces the
 * interleaving: a log appender (unsynchronized, so it holds no other node's logging) holds the
 * append thread at Ratis' "changes role" message (inside the lock) until the timer is blocked on
 * the lock. The role watchdog must release the stopped
 * timer so the promotion finishes and the promoted member votes.
 */
class ListenerPromotionRaceIT {
  @TempDir Path dir;
  private RaftTestCluster cluster;
  private PromotionStall stall;

  @AfterEach
  void stop() throws Exception {
    if (stall != null) {
      stall.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void listenerPromotedWhileItsTimerWaitsForTheServerLockStillVotes() throws Exception {
    cluster = RaftTestCluster.create(dir);
    Member n0 = cluster.founder();
    Member n1 = cluster.admit("n1");
    Member n2 = cluster.admit("n2");
    Member n3 = cluster.admit("n3");
    n1.start();
    n2.start();
    assertThat(awaitTrue(() -> reconciled(n0, List.of(n0, n1, n2), List.of()))).isTrue();
    n3.start(RaftConsensus.StartRole.LISTENER);
    assertThat(awaitTrue(() -> reconciled(n0, List.of(n0, n1, n2), List.of(n3)))).isTrue();
    long index = cluster.put("before", "promotion");
    assertThat(awaitTrue(() -> n3.replica.appliedIndex() >= index)).isTrue();

    stall = new PromotionStall(n3.id());
    assertThat(n0.consensus().reconcile(records(n0, n1, n2, n3), List.of()).complete()).isTrue();
    assertThat(awaitTrue(() -> stall.released)).as("the append handler got past the stall").isTrue();
    assertThat(stall.timerBlocked).as("the listener timer was blocked on the server lock during the role change")
        .isTrue();
    assertThat(awaitTrue(() -> "FOLLOWER".equals(n3.consensus().localRole()))).isTrue();

    // Four voters, one stopped: no leader without n3's vote, nothing commits without its entries.
    n0.stop();
    assertThat(cluster.awaitStableLeader()).as("a leader among %s", cluster.running()).isNotNull();
    long after = cluster.put("after", "promotion");
    assertThat(awaitTrue(() -> n3.replica.appliedIndex() >= after)).isTrue();
    // At least the one of the forced race (a stopped timer briefly blocked behind a slow write on two checks may be
    // released too, harmlessly).
    assertThat(n3.consensus().stoppedTimersReleased()).as("stopped timers released on n3").isPositive();
  }

  private static boolean reconciled(Member leader, List<Member> voters, List<Member> listeners) {
    try {
      return leader.consensus().reconcile(records(voters), records(listeners)).complete();
    } catch (Exception e) {
      return false;
    }
  }

  /**
   * Holds the thread logging "{@code <node>@...: changes role from LISTENER to FOLLOWER}" (Ratis
   * logs it inside the server's lock, just before stopping the listener timer) until that node's
   * timer thread is blocked on the lock, at most a few election timeouts.
   */
  private static final class PromotionStall extends UnsynchronizedAppenderBase<ILoggingEvent> implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("org.apache.ratis.server.RaftServer$Division");
    private final String prefix;
    private final Level levelBefore;
    private final boolean additiveBefore;
    volatile boolean timerBlocked;
    volatile boolean released;

    PromotionStall(String nodeId) {
      this.prefix = nodeId + "@";
      this.levelBefore = logger.getLevel();
      this.additiveBefore = logger.isAdditive();
      setContext(logger.getLoggerContext());
      start();
      logger.addAppender(this);
      logger.setLevel(Level.INFO);
      logger.setAdditive(false);
    }

    @Override
    protected void append(ILoggingEvent event) {
      String message = event.getFormattedMessage();
      if (released || !message.startsWith(prefix) || !message.contains("LISTENER to FOLLOWER")) {
        return;
      }
      try {
        timerBlocked = awaitTrue(this::timerBlockedOnLock, RaftTestCluster.ELECTION_TIMEOUT_MAX.multipliedBy(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      released = true;
    }

    private boolean timerBlockedOnLock() {
      return Thread.getAllStackTraces().keySet().stream()
          .anyMatch(t -> t.getClass().getName().equals("org.apache.ratis.server.impl.FollowerState")
              && t.getName().startsWith(prefix) && t.getState() == Thread.State.BLOCKED);
    }

    @Override
    public void close() {
      logger.detachAppender(this);
      logger.setLevel(levelBefore);
      logger.setAdditive(additiveBefore);
      stop();
    }
  }
}
