package dev.veilraft.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The INSECURE clock-offset hook's bounds: offsets, file size, file kind and the platforms that may use it. */
class InsecureFileOffsetClockTest {
  private static final Clock BASE = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
  private static final long AWAIT_SECONDS_MAX = 10;

  @TempDir Path dir;

  @Test
  void offsetsBeyondTheBoundEitherWayIncludingLongMinValueAreIgnored() throws Exception {
    // Proves Long.MIN_VALUE (whose Math.abs is negative) and offsets just past OFFSET_MS_MAX are refused, keeping the
    // last good offset, while the bound itself is accepted.
    Path file = dir.resolve("offset");
    InsecureFileOffsetClock clock = new InsecureFileOffsetClock(BASE, file);
    Files.writeString(file, "1000");
    assertThat(readNow(clock)).isEqualTo(1000);
    for (long bad : new long[] {Long.MIN_VALUE, Long.MAX_VALUE, InsecureFileOffsetClock.OFFSET_MS_MAX + 1,
        -InsecureFileOffsetClock.OFFSET_MS_MAX - 1}) {
      Files.writeString(file, Long.toString(bad));
      assertThat(readNow(clock)).as("offset %d", bad).isEqualTo(1000);
    }
    Files.writeString(file, Long.toString(-InsecureFileOffsetClock.OFFSET_MS_MAX));
    assertThat(readNow(clock)).isEqualTo(-InsecureFileOffsetClock.OFFSET_MS_MAX);
  }

  @Test
  void anOversizedFileOrAFifoIsIgnoredWithoutBlockingTheClock() throws Exception {
    // Proves a file longer than FILE_BYTES_MAX is not read, and a FIFO (where opening would block until a writer
    // comes) never blocks a caller of the clock.
    Path file = dir.resolve("offset");
    InsecureFileOffsetClock clock = new InsecureFileOffsetClock(BASE, file);
    Files.writeString(file, "2000");
    assertThat(readNow(clock)).isEqualTo(2000);
    Files.writeString(file, "3000" + " ".repeat(InsecureFileOffsetClock.FILE_BYTES_MAX));
    assertThat(readNow(clock)).isEqualTo(2000);

    Path fifo = dir.resolve("fifo");
    boolean made;
    try {
      made = new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor(AWAIT_SECONDS_MAX, TimeUnit.SECONDS)
          && Files.exists(fifo);
    } catch (java.io.IOException e) {
      made = false;
    }
    Assumptions.assumeTrue(made, "mkfifo is not available here: the FIFO case is not checked");
    InsecureFileOffsetClock onFifo = new InsecureFileOffsetClock(BASE, fifo);
    long offset = CompletableFuture.supplyAsync(() -> readNow(onFifo)).get(AWAIT_SECONDS_MAX, TimeUnit.SECONDS);
    assertThat(offset).isZero();
  }

  @Test
  void theHookIsRefusedOnAnyPlatformButTheSimulatedOne() throws Exception {
    // Proves a hardware node with the property set refuses to start with a clear error, and a simulated one accepts.
    System.setProperty(InsecureFileOffsetClock.PROPERTY, dir.resolve("offset").toString());
    try {
      assertThatThrownBy(() -> InsecureFileOffsetClock.wrapIfRequested(BASE, NodeConfig.PLATFORM_HARDWARE))
          .isInstanceOf(NodeException.class).hasMessageContaining("'hardware'")
          .hasMessageContaining(InsecureFileOffsetClock.PROPERTY);
      assertThat(InsecureFileOffsetClock.wrapIfRequested(BASE, NodeConfig.PLATFORM_SIMULATED))
          .isInstanceOf(InsecureFileOffsetClock.class);
    } finally {
      System.clearProperty(InsecureFileOffsetClock.PROPERTY);
    }
  }

  /** Forces a re-read now (no waiting for the recheck interval) and returns the offset in force. */
  private static long readNow(InsecureFileOffsetClock clock) {
    clock.recheckNowForTest();
    return clock.offsetMs();
  }
}
