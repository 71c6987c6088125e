package dev.veilraft.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PointResultTest {
  private static PointResult point(List<PointResult.ProcessCpu> cpu) {
    return new PointResult("confidential", 3, 1, 256, 1, 1, 1, 30.0, 18_000, 0, 18_000, 600.0, 1.5, 3.2, 8.0, 90.0,
        1.6, cpu, "1.00/1.00/1.00", null, 1.0);
  }

  @Test
  void detailAddsTheCpuOfAllProcessesPerPutAndTheCoresTheyKeptBusy() {
    // Proves the detail line sums every measured process: 950 + 500 + 480 + 250 us per put, 57 + 30 + 29 + 15 % of a core.
    PointResult point = point(List.of(
        new PointResult.ProcessCpu("node1", "leader", 57, 950, 0, 38, 27.3),
        new PointResult.ProcessCpu("node2", "follower", 30, 500, 1, 34, 9.9),
        new PointResult.ProcessCpu("node3", "follower", 29, 480, 0, 34, 9.9),
        new PointResult.ProcessCpu("client", "client", 15, 250, 0, 25, 4.1)));

    assertThat(point.allProcessesMicrosPerOp()).isEqualTo(2_180.0);
    assertThat(point.allProcessesCores()).isEqualTo(1.31);
    assertThat(point.detail()).contains(" all_processes=2180us_per_op/1.31_cores load=1.00/1.00/1.00");
  }

  @Test
  void detailWithoutCpuFiguresLeavesTheSumOut() {
    // Proves a point measured without CPU counters prints no all_processes figure rather than a zero.
    assertThat(point(List.of()).detail()).doesNotContain("all_processes").contains(" load=1.00/1.00/1.00");
  }
}
