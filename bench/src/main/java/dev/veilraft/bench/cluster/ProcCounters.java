package dev.veilraft.bench.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A process's counters as Linux's /proc gives them, read at the start and the end of a measured
 * window: its CPU time, the part of it spent in the kernel, the part its JIT compiler threads used,
 * and how often its threads gave up the CPU.
 *
 * <ul>
 *   <li>{@code cpuNanos} and {@code kernelNanos}: utime + stime and stime of /proc/PID/stat, which
 *       include threads that already ended. A kernel share well above another mode's, at the same
 *       work, points at system calls and wake-ups rather than code.
 *   <li>{@code compilerNanos}: user and system time of the "C1/C2 CompilerThread" threads alive
 *       when read; well above a few percent of a core, the window was not warm yet. Where the JVM
 *       retires idle extra compiler threads (UseDynamicNumberOfCompilerThreads, with more than two
 *       of them, i.e. on more than two cores) their time drops out, so a difference can come out
 *       low (it is clamped at zero).
 *   <li>{@code switchesByThread}: {@code voluntary_ctxt_switches} of /proc/PID/task/T/status for
 *       each thread T alive when read: each is a thread that blocked (parked, waited in epoll, in
 *       a lock or on the disk) and had to be woken again, so per put they count the hand-offs
 *       between threads. {@link #since} sums them per thread: a thread started in the window
 *       counts whole, one that ended in it (a pool that retires idle threads, the previous
 *       point's load generator) takes its switches with it, so the sum can come out low, never
 *       below zero.
 * </ul>
 *
 * Without /proc (not Linux) only the CPU time is known, from {@link ProcessHandle}; a process that
 * could not be read at all is {@link #NONE}, and a window with {@code NONE} at either end used
 * nothing: the report then shows zeros, not guesses.
 */
public record ProcCounters(long cpuNanos, long kernelNanos, long compilerNanos, Map<Long, Long> switchesByThread) {
  /** Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture it runs on here. */
  private static final long NANOS_PER_TICK = 10_000_000L;
  /** Nothing could be read. */
  public static final ProcCounters NONE = new ProcCounters(0, 0, 0, Map.of());
  private static final Used NOTHING = new Used(0, 0, 0, 0);

  /** What a window used: CPU, its kernel and compiler parts, and voluntary context switches. */
  public record Used(long cpuNanos, long kernelNanos, long compilerNanos, long voluntarySwitches) {}

  public ProcCounters {
    switchesByThread = Map.copyOf(switchesByThread);
  }

  /** The counters of process {@code pid} now: from /proc, else its CPU time alone, else {@link #NONE}. */
  public static ProcCounters of(long pid) {
    Path proc = Path.of("/proc", Long.toString(pid));
    Stat process = stat(proc.resolve("stat"));
    if (process == null) {
      long cpu = ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
      return cpu == 0 ? NONE : new ProcCounters(cpu, 0, 0, Map.of());
    }
    long compilerTicks = 0;
    Map<Long, Long> switches = new HashMap<>();
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(proc.resolve("task"))) {
      for (Path task : tasks) {
        Stat thread = stat(task.resolve("stat"));
        if (thread != null && (thread.name().startsWith("C1 CompilerThre") || thread.name().startsWith("C2 CompilerThre"))) {
          compilerTicks += thread.userTicks() + thread.systemTicks();
        }
        long count = voluntarySwitches(task.resolve("status"));
        if (count >= 0) {
          switches.put(Long.parseLong(task.getFileName().toString()), count);
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process ended meanwhile: keep what its stat said
    }
    return new ProcCounters((process.userTicks() + process.systemTicks()) * NANOS_PER_TICK,
        process.systemTicks() * NANOS_PER_TICK, compilerTicks * NANOS_PER_TICK, switches);
  }

  /** This JVM's counters. */
  public static ProcCounters ofThisProcess() {
    return of(ProcessHandle.current().pid());
  }

  /**
   * What was used from {@code before} to this, each field clamped at zero (see the class comment);
   * nothing when either end is {@link #NONE}. Threads missing from {@code before} count whole only
   * when {@code before} listed threads at all.
   */
  public Used since(ProcCounters before) {
    if (equals(NONE) || before.equals(NONE)) {
      return NOTHING;
    }
    long switches = 0;
    if (!before.switchesByThread.isEmpty()) {
      for (Map.Entry<Long, Long> thread : switchesByThread.entrySet()) {
        switches += Math.max(0, thread.getValue() - before.switchesByThread.getOrDefault(thread.getKey(), 0L));
      }
    }
    return new Used(Math.max(0, cpuNanos - before.cpuNanos), Math.max(0, kernelNanos - before.kernelNanos),
        Math.max(0, compilerNanos - before.compilerNanos), switches);
  }

  /** A stat file of proc(5): the command name, utime and stime in ticks. */
  record Stat(String name, long userTicks, long systemTicks) {}

  /** A stat file; null if it cannot be read (the thread or process ended, or no /proc) or parsed. */
  private static Stat stat(Path stat) {
    try {
      // ISO-8859-1 decodes any bytes: a thread name cut at 15 bytes may end inside a UTF-8 character.
      return stat(Files.readString(stat, StandardCharsets.ISO_8859_1));
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * The name, utime and stime from the text of a stat file; null if it is not one. The name in
   * parentheses may itself hold spaces and parentheses, so fields are counted from the last ')'.
   */
  static Stat stat(String statLine) {
    int open = statLine.indexOf('(');
    int close = statLine.lastIndexOf(')');
    if (open < 0 || close < open || close + 2 > statLine.length()) {
      return null;
    }
    // After "(comm) ": state is field 3; utime and stime are fields 14 and 15 (proc(5)).
    String[] fields = statLine.substring(close + 2).split(" ");
    try {
      return fields.length < 13 ? null
          : new Stat(statLine.substring(open + 1, close), Long.parseLong(fields[11]), Long.parseLong(fields[12]));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** The thread's voluntary context switches; -1 if it ended meanwhile. */
  private static long voluntarySwitches(Path status) {
    try {
      for (String line : Files.readAllLines(status, StandardCharsets.ISO_8859_1)) {
        if (line.startsWith("voluntary_ctxt_switches:")) {
          return Long.parseLong(line.substring("voluntary_ctxt_switches:".length()).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the thread ended meanwhile
    }
    return -1;
  }
}
