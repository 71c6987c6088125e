package dev.veilraft.simulator.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.node.InsecureFileOffsetClock;
import dev.veilraft.node.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's INSECURE clock-offset hook, as process-mode skew drives it (lives here: node tests are elsewhere). */
class InsecureClockHookTest {
  private static final Clock BASE = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
  private static final long AWAIT_MS_MAX = 5_000;

  @TempDir Path dir;

  @Test
  void withoutThePropertyTheClockIsUntouched() throws Exception {
    // Proves the hook is off unless the system property names a file: the node keeps the clock it was given.
    System.clearProperty(InsecureFileOffsetClock.PROPERTY);
    assertThat(InsecureFileOffsetClock.wrapIfRequested(BASE, NodeConfig.PLATFORM_SIMULATED)).isSameAs(BASE);
  }

  @Test
  void theOffsetFollowsTheFileAndIgnoresGarbage() throws Exception {
    // Proves the offset is read from the file, re-read when it changes, and a malformed value keeps the last good one.
    Path file = dir.resolve("offset");
    System.setProperty(InsecureFileOffsetClock.PROPERTY, file.toString());
    Clock clock;
    try {
      clock = InsecureFileOffsetClock.wrapIfRequested(BASE, NodeConfig.PLATFORM_SIMULATED);
    } finally {
      System.clearProperty(InsecureFileOffsetClock.PROPERTY);
    }
    assertThat(clock.millis()).as("no file: no offset").isEqualTo(BASE.millis());
    Files.writeString(file, "-30000");
    assertThat(awaitOffset(clock, -30_000)).isEqualTo(-30_000);
    Files.writeString(file, "soon");
    Files.writeString(file, "90000");
    assertThat(awaitOffset(clock, 90_000)).isEqualTo(90_000);
    Files.writeString(file, "not a number");
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    while (System.nanoTime() < deadline) {
      assertThat(clock.millis() - BASE.millis()).as("a malformed file keeps the last offset").isEqualTo(90_000);
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
    }
    assertThat(clock.instant()).isEqualTo(BASE.instant().plusMillis(90_000));
  }

  private static long awaitOffset(Clock clock, long expected) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(AWAIT_MS_MAX);
    long offset = clock.millis() - BASE.millis();
    while (offset != expected && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
      offset = clock.millis() - BASE.millis();
    }
    return offset;
  }
}
