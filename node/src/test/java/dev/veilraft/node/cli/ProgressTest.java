package dev.veilraft.node.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Progress lines: rendering, ETA arithmetic, a self-updating line on terminals and bounded plain lines elsewhere. */
class ProgressTest {
  private final AtomicLong nanos = new AtomicLong();
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private String output() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rendersPercentAmountsRateAndEta() {
    // Proves the line shows what is known: percent and ETA only with a total, rate only once measured, bytes scaled.
    assertThat(Progress.render(4500, 10_000, Progress.Unit.ENTRIES, 1100))
        .isEqualTo("45% 4500/10000 entries 1100 entries/s ETA 5s");
    assertThat(Progress.render(3 << 20, 10 << 20, Progress.Unit.BYTES, 1 << 20))
        .isEqualTo("30% 3.0 MiB/10.0 MiB 1.0 MiB/s ETA 7s");
    assertThat(Progress.render(12, 0, Progress.Unit.ENTRIES, 0)).isEqualTo("12 entries");
    assertThat(Progress.render(512, 2048, Progress.Unit.BYTES, 0)).isEqualTo("25% 512 B/2.0 KiB");
  }

  @Test
  void etaAndPercentAreBoundedAndHonest() {
    // Proves ETA rounds up, is unknown without a rate or beyond a week, and percent never exceeds 100.
    assertThat(Progress.eta(10, 3)).contains(Duration.ofSeconds(4));
    assertThat(Progress.eta(0, 0)).contains(Duration.ZERO);
    assertThat(Progress.eta(10, 0)).isEmpty();
    assertThat(Progress.eta(Long.MAX_VALUE / 2, 1)).isEmpty();
    assertThat(Progress.percent(150, 100)).isEqualTo(100);
    assertThat(Progress.percent(99, 100)).isEqualTo(99);
    assertThat(Progress.percent(-1, 100)).isZero();
    assertThat(Progress.duration(Duration.ofSeconds(185))).isEqualTo("3m05s");
    assertThat(Progress.duration(Duration.ofMinutes(127))).isEqualTo("2h07m");
  }

  @Test
  void withoutATerminalLinesAreRateLimitedAndTheEndAlwaysPrints() {
    // Proves non-terminal output prints at most one line per interval, plus the final one and every step.
    Progress progress = new Progress("catching up", out, false, nanos::get);
    progress.step("raft started");
    for (int i = 0; i <= 100; i++) {
      nanos.addAndGet(Duration.ofMillis(100).toNanos());
      progress.update(i * 10L, 1000, Progress.Unit.ENTRIES);
    }
    progress.finish("caught up at index 1000");

    var lines = output().lines().toList();
    assertThat(output()).doesNotContain("\r");
    assertThat(lines.get(0)).isEqualTo("catching up: raft started");
    // 10 s of updates at one line per 5 s: the first, the one 5 s later, and the one that reached the total.
    assertThat(lines).hasSize(1 + 3 + 1);
    assertThat(lines.get(lines.size() - 2)).isEqualTo("catching up: 100% 1000/1000 entries 100 entries/s ETA 0s");
    assertThat(lines.get(lines.size() - 1)).isEqualTo("catching up: caught up at index 1000");
  }

  @Test
  void onATerminalOneLineRewritesItself() {
    // Proves terminal output rewrites one line with carriage returns, skips updates within the interval, ends before a step.
    Progress progress = new Progress("join", out, true, nanos::get);
    progress.update(5, 100, Progress.Unit.ENTRIES);
    nanos.addAndGet(Duration.ofSeconds(1).toNanos());
    progress.update(50, 100, Progress.Unit.ENTRIES);
    nanos.addAndGet(Duration.ofMillis(10).toNanos());
    progress.update(51, 100, Progress.Unit.ENTRIES);
    progress.step("joined");

    assertThat(output()).startsWith("\rjoin: 5% 5/100 entries").contains("\rjoin: 50% 50/100 entries 45 entries/s ETA 2s")
        .doesNotContain("51/100").endsWith("\njoin: joined" + System.lineSeparator());
    assertThat(output().chars().filter(c -> c == '\n').count()).isEqualTo(2);
  }

  @Test
  void aSnapshotTransferShowsBytesOfTotalRateAndEta() {
    // Proves a snapshot transfer's line: MiB of the total, percent, MiB/s and ETA, measured from the transfer's first bytes.
    Progress progress = new Progress("join", out, false, nanos::get);
    progress.update(NodeCommand.INSTALLING_SNAPSHOT, 0, 64L << 20, Progress.Unit.BYTES);
    nanos.addAndGet(Duration.ofSeconds(8).toNanos());
    progress.update(NodeCommand.INSTALLING_SNAPSHOT, 16L << 20, 64L << 20, Progress.Unit.BYTES);

    assertThat(output().lines().toList()).containsExactly(
        "join: installing snapshot 0% 0 B/64.0 MiB",
        // 16 MiB in 8 s = 2 MiB/s; 48 MiB left at that rate = 24 s.
        "join: installing snapshot 25% 16.0 MiB/64.0 MiB 2.0 MiB/s ETA 24s");
  }

  @Test
  void aSnapshotOfUnknownSizeShowsBytesAndRateOnly() {
    // Proves without a known size the line has no percent and no ETA, yet scales bytes and shows the rate.
    assertThat(Progress.render(3L << 30, 0, Progress.Unit.BYTES, 512 << 10)).isEqualTo("3.0 GiB 512.0 KiB/s");
    assertThat(Progress.render(1536, 0, Progress.Unit.BYTES, 0)).isEqualTo("1.5 KiB");
  }

  @Test
  void theRateRestartsWhenTheTransferGivesWayToEntries() {
    // Proves the entries after a snapshot are measured from their own start, not at the transfer's byte rate.
    Progress progress = new Progress("join", out, false, nanos::get);
    progress.update(NodeCommand.INSTALLING_SNAPSHOT, 0, 10L << 20, Progress.Unit.BYTES);
    nanos.addAndGet(Duration.ofSeconds(10).toNanos());
    progress.update(NodeCommand.INSTALLING_SNAPSHOT, 10L << 20, 10L << 20, Progress.Unit.BYTES);
    progress.step("installed the leader's snapshot; now at index 5000");
    progress.update(5000, 6000, Progress.Unit.ENTRIES);
    nanos.addAndGet(Duration.ofSeconds(5).toNanos());
    progress.update(5500, 6000, Progress.Unit.ENTRIES);

    assertThat(output().lines().toList()).containsExactly(
        "join: installing snapshot 0% 0 B/10.0 MiB",
        "join: installing snapshot 100% 10.0 MiB/10.0 MiB 1.0 MiB/s ETA 0s",
        "join: installed the leader's snapshot; now at index 5000",
        "join: 83% 5000/6000 entries",
        "join: 91% 5500/6000 entries 100 entries/s ETA 5s");
  }
}
