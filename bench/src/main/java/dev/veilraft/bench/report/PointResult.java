package dev.veilraft.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * One measured point: a mode at one cluster size, concurrency and event size, one run. CPU is
 * per process over the measured window: percent of one core, and microseconds per completed put.
 * {@code putsPerEntry}: completed puts per log entry the leader applied in the window (node-side
 * grouping; confidential modes only, 0 where the mode does not tell).
 */
public record PointResult(String mode, int nodes, int concurrency, int sizeBytes, int batchMax, int callsMax, int run,
    double seconds, long completed, long errors, long calls, double opsPerSecond, double p50Ms, double p99Ms,
    double p999Ms, double maxMs, double meanMs, List<ProcessCpu> cpu, String loadAverage, String firstError,
    double putsPerEntry) {

  /**
   * CPU of one process during the window; {@code role} is leader, follower or client.
   * {@code jitPercentOfCore}: the part its JIT compiler threads used (included in {@code
   * percentOfCore}); well above a few percent, the window was not warm yet. {@code kernelPercent}:
   * the share of its CPU spent in the kernel (system calls, wake-ups, interrupts on its behalf).
   * {@code switchesPerOp}: its threads' voluntary context switches per completed put, i.e. how often
   * a thread blocked and had to be woken again (see {@code ProcCounters}).
   */
  public record ProcessCpu(String process, String role, double percentOfCore, double microsPerOp,
      double jitPercentOfCore, double kernelPercent, double switchesPerOp) {}

  /** The line issue 9 specifies, exactly. */
  public String line() {
    return String.format(Locale.ROOT, "bench mode=%s conc=%d size=%d ops_per_s=%.1f p50_ms=%.2f p99_ms=%.2f", mode,
        concurrency, sizeBytes, opsPerSecond, p50Ms, p99Ms);
  }

  /**
   * CPU of every measured process together (nodes and the load generator): microseconds per
   * completed put, and cores kept busy. At 1 in flight both veilraft and etcd keep about 1.4 of
   * this machine's 2 cores busy, so their puts/s is about 1.4 s / this (bench/README, session 39).
   */
  public double allProcessesMicrosPerOp() {
    return cpu.stream().mapToDouble(ProcessCpu::microsPerOp).sum();
  }

  /** Cores the measured processes kept busy together over the window (see {@link #allProcessesMicrosPerOp}). */
  public double allProcessesCores() {
    return cpu.stream().mapToDouble(ProcessCpu::percentOfCore).sum() / 100;
  }

  /** The rest, for people: p999, batching, CPU per process and all together, errors, load average. */
  public String detail() {
    StringBuilder cpuText = new StringBuilder();
    for (ProcessCpu c : cpu) {
      cpuText.append(String.format(Locale.ROOT, " %s(%s)=%.0f%%/%.0fus/jit%.0f%%/sys%.0f%%/%.1fsw", c.process(),
          c.role(), c.percentOfCore(), c.microsPerOp(), c.jitPercentOfCore(), c.kernelPercent(), c.switchesPerOp()));
    }
    return String.format(Locale.ROOT, "  detail nodes=%d run=%d p999_ms=%.2f max_ms=%.1f puts_per_call=%.1f%s errors=%d"
        + " cpu_per_process(%%core/us_per_op/jit%%core/sys%%cpu/switches_per_op):%s%s load=%s%s", nodes, run, p999Ms,
        maxMs,
        calls == 0 ? 0.0 : (double) (completed + errors) / calls,
        putsPerEntry <= 0 ? "" : String.format(Locale.ROOT, " puts_per_entry=%.1f", putsPerEntry), errors, cpuText,
        cpu.isEmpty() ? "" : String.format(Locale.ROOT, " all_processes=%.0fus_per_op/%.2f_cores",
            allProcessesMicrosPerOp(), allProcessesCores()),
        loadAverage,
        firstError == null ? "" : " first_error=" + firstError);
  }
}
