package dev.veilraft.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ProcCountersTest {
  @Test
  void readsTheNameAndTheUserAndSystemTicksAfterTheLastParenthesis() {
    // Proves a command name with spaces and parentheses of its own, as a thread may have, does not shift the fields.
    String line = "4242 (api (x) 1) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 42 0 100 0 0";

    assertThat(ProcCounters.stat(line)).isEqualTo(new ProcCounters.Stat("api (x) 1", 1234, 567));
  }

  @Test
  void refusesWhatIsNotAStatLine() {
    // Proves a cut, empty or garbled stat line gives nothing rather than a wrong count or an exception.
    assertThat(ProcCounters.stat("")).isNull();
    assertThat(ProcCounters.stat("4242 (cut short) S 1 2")).isNull();
    assertThat(ProcCounters.stat("4242 (name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 x 567 0")).isNull();
    assertThat(ProcCounters.stat("4242 name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1 567 0")).isNull();
  }

  @Test
  void countsThisProcesssCpuKernelTimeAndSwitches() throws Exception {
    // Proves the counters of a live process: its threads' voluntary switches grow when a thread blocks, and the
    // kernel's part of its CPU is part of it.
    assumeTrue(Files.isReadable(Path.of("/proc/self/stat"))
        && Files.readString(Path.of("/proc/self/status"), StandardCharsets.ISO_8859_1).contains("voluntary_ctxt_switches:"),
        "needs Linux's /proc with voluntary_ctxt_switches");
    ProcCounters before = ProcCounters.ofThisProcess();
    // This thread hands tokens to another, one way: each put waits for a take, so this thread blocks.
    int handOffs = 200;
    SynchronousQueue<Integer> queue = new SynchronousQueue<>();
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
    ProcCounters.Used used = ProcCounters.ofThisProcess().since(before);

    assertThat(before.cpuNanos()).isPositive();
    assertThat(before.switchesByThread()).isNotEmpty();
    assertThat(used.kernelNanos()).isBetween(0L, used.cpuNanos());
    assertThat(used.voluntarySwitches()).as("this thread's switches, whatever became of the taker's").isPositive();
  }

  @Test
  void switchesAreSummedPerThreadSoThreadsThatEndedTakeOnlyTheirOwn() {
    // Proves thread 2, which ended in the window, takes its 900 switches with it without cancelling thread 1's,
    // and thread 3, started in it, counts whole.
    ProcCounters before = new ProcCounters(100, 40, 10, Map.of(1L, 50L, 2L, 900L));
    ProcCounters after = new ProcCounters(300, 90, 10, Map.of(1L, 80L, 3L, 7L));

    assertThat(after.since(before)).isEqualTo(new ProcCounters.Used(200, 50, 0, 37));
  }

  @Test
  void aDifferenceNeverGoesBelowZero() {
    // Proves each field is clamped: a retired compiler thread or a reused thread id cannot make a window negative.
    ProcCounters later = new ProcCounters(10, 5, 1, Map.of(1L, 3L));
    ProcCounters earlier = new ProcCounters(20, 2, 4, Map.of(1L, 9L));

    assertThat(later.since(earlier)).isEqualTo(new ProcCounters.Used(0, 3, 0, 0));
  }

  @Test
  void aWindowWithAnUnreadableEndUsedNothing() {
    // Proves a read that failed at one end of a window gives zeros, not the process's whole history since it began.
    ProcCounters read = new ProcCounters(5_000, 1_000, 10, Map.of(1L, 400L));
    ProcCounters cpuOnly = new ProcCounters(6_000, 0, 0, Map.of());

    assertThat(read.since(ProcCounters.NONE)).isEqualTo(new ProcCounters.Used(0, 0, 0, 0));
    assertThat(ProcCounters.NONE.since(read)).isEqualTo(new ProcCounters.Used(0, 0, 0, 0));
    assertThat(read.since(cpuOnly)).as("no threads listed before: switches unknown, not whole")
        .isEqualTo(new ProcCounters.Used(0, 1_000, 10, 0));
    assertThat(ProcCounters.of(Long.MAX_VALUE)).as("no such process").isEqualTo(ProcCounters.NONE);
  }
}
