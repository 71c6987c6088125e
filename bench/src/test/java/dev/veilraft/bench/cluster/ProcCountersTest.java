package dev.veilraft.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcCountersTest {
  @Test
  void readsUserAndSystemTicksAfterTheLastParenthesis() {
    // A command name with a space and parentheses of its own, as a thread may be named.
    String line = "4242 (api (x) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 42 0 100 0 0";

    assertThat(ProcCounters.times(line)).containsExactly(1234, 567);
  }

  @Test
  void refusesWhatIsNotAStatLine() {
    assertThat(ProcCounters.times("")).isNull();
    assertThat(ProcCounters.times("4242 (cut short) S 1 2")).isNull();
    assertThat(ProcCounters.times("4242 (name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 x 567 0")).isNull();
  }

  @Test
  void countsThisProcessesCpuKernelTimeAndSwitches() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat")), "needs Linux's /proc");
    ProcCounters before = ProcCounters.ofThisProcess();
    // Two threads hand a token back and forth: each hand-off blocks one of them.
    int handOffs = 200;
    java.util.concurrent.SynchronousQueue<Integer> queue = new java.util.concurrent.SynchronousQueue<>();
    CountDownLatch done = new CountDownLatch(1);
    Thread taker = new Thread(() -> {
      try {
        for (int i = 0; i < handOffs; i++) {
          queue.take();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      done.countDown();
    });
    taker.start();
    for (int i = 0; i < handOffs; i++) {
      queue.put(i);
    }
    assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
    taker.join(30_000);
    ProcCounters.Used used = ProcCounters.ofThisProcess().since(before);

    assertThat(used.kernelNanos()).isBetween(0L, used.cpuNanos());
    // The taker ended, so its switches left with it; this thread's stay.
    assertThat(used.voluntarySwitches()).isPositive();
    assertThat(before.switchesByThread()).isNotEmpty();
  }

  @Test
  void switchesAreSummedPerThreadSoThreadsThatEndedTakeOnlyTheirOwn() {
    // Thread 1 ran on, thread 2 ended in the window (its 900 switches leave with it, and must not
    // cancel thread 1's), thread 3 started in it and counts whole.
    ProcCounters before = new ProcCounters(100, 40, 10, java.util.Map.of(1L, 50L, 2L, 900L));
    ProcCounters after = new ProcCounters(300, 90, 10, java.util.Map.of(1L, 80L, 3L, 7L));

    assertThat(after.since(before)).isEqualTo(new ProcCounters.Used(200, 50, 0, 37));
  }

  @Test
  void aDifferenceNeverGoesBelowZero() {
    ProcCounters later = new ProcCounters(10, 5, 1, java.util.Map.of(1L, 3L));
    ProcCounters earlier = new ProcCounters(20, 2, 4, java.util.Map.of(1L, 9L));

    assertThat(later.since(earlier)).isEqualTo(new ProcCounters.Used(0, 3, 0, 0));
  }

  @Test
  void nothingWhereTheProcessDoesNotExist() {
    assertThat(ProcCounters.of(Long.MAX_VALUE)).isEqualTo(ProcCounters.NONE);
  }
}
