package dev.veilraft.consensus.ratis;

import java.lang.reflect.Field;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Works around a deadlock in Ratis 3.3.0 that hangs a listener's Raft server when it is promoted.
 *
 * <p>A listener turns into a follower while its append handler holds the server's lock
 * ({@code ServerState.updateConfiguration}, called inside {@code appendEntriesAsync}'s
 * synchronized block): it stops the listener's timer thread ({@code FollowerState}) and waits, still holding the lock,
 * for that thread to finish. The timer wakes every election timeout and takes the same lock; if
 * it woke just before, it waits for the lock, never sees that it was stopped, and both threads
 * wait for each other for good. The server then reports FOLLOWER but answers no vote and no
 * entry, so a group that needs its vote elects nobody (seen in CI: two voters campaigning for
 * minutes next to the silent promoted one).
 *
 * <p>A stopped timer has nothing left to do: once it gets the lock it checks that it was stopped
 * and exits, and exiting completes the future the handler waits for. So when the role watchdog
 * finds a stopped timer thread of this division blocked on two consecutive checks, it completes
 * that future itself: the handler finishes and releases the lock, the timer then exits as it
 * would have. Completing it early changes nothing else (the future only signals that the timer
 * will act no more, and a stopped timer does not act). The fields are Ratis internals, read by
 * reflection; if a Ratis version no longer has them, this logs once and does nothing.
 */
final class StoppedTimerRelease {
  private static final Logger LOG = LoggerFactory.getLogger(StoppedTimerRelease.class);
  private static final String TIMER_CLASS = "org.apache.ratis.server.impl.FollowerState";
  private static final Field RUNNING;
  private static final Field STOPPED;

  static {
    Field running = null;
    Field stopped = null;
    try {
      Class<?> timer = Class.forName(TIMER_CLASS, false, RaftServer.class.getClassLoader());
      running = timer.getDeclaredField("isRunning");
      stopped = timer.getDeclaredField("stopped");
      if (running.getType() != boolean.class || stopped.getType() != CompletableFuture.class) {
        throw new NoSuchFieldException("isRunning or stopped has another type");
      }
      running.setAccessible(true);
      stopped.setAccessible(true);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("the workaround for the Ratis 3.3 listener promotion deadlock is off: {} has no field isRunning"
          + " (boolean) and stopped (CompletableFuture) in this Ratis version ({})", TIMER_CLASS, e.toString());
      running = null;
      stopped = null;
    }
    RUNNING = running;
    STOPPED = stopped;
  }

  /** Stopped timers seen blocked on the previous check. */
  private Set<Thread> suspects = Set.of();

  /**
   * Completes the stop of every stopped timer thread of {@code division} that is blocked now and
   * was on the previous call too; returns how many it completed.
   */
  int check(RaftServer.Division division) {
    if (RUNNING == null) {
      return 0;
    }
    ThreadGroup group = division.getThreadGroup();
    Thread[] threads = new Thread[group.activeCount() + 8];
    int count = group.enumerate(threads, false);
    Set<Thread> blocked = new HashSet<>();
    int released = 0;
    for (Thread thread : Arrays.asList(threads).subList(0, count)) {
      if (!thread.getClass().getName().equals(TIMER_CLASS) || thread.getState() != Thread.State.BLOCKED) {
        continue;
      }
      try {
        if (RUNNING.getBoolean(thread)) {
          continue;
        }
        if (!suspects.contains(thread)) {
          blocked.add(thread);
        } else if (((CompletableFuture<?>) STOPPED.get(thread)).complete(null)) {
          released++;
          LOG.warn("{}: released the stopped Ratis follower timer {}, blocked on its server's lock while the server"
              + " waited for it to stop (Ratis 3.3 listener promotion deadlock)", division.getMemberId(),
              thread.getName());
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException("reading " + TIMER_CLASS + " fields made accessible", e);
      }
    }
    suspects = blocked;
    return released;
  }
}
