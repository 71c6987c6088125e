package dev.veilraft.bench.cluster;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CPU time a JVM's JIT compiler threads used so far, read from Linux's /proc: tells whether a
 * measured window was warm. For minutes after a cluster starts, compiling can take a core of its
 * own on these two-core machines, and a window measured then charges it to every put. Counts
 * the compiler threads alive when read: where the JVM retires idle extra compiler threads
 * (UseDynamicNumberOfCompilerThreads, with more than two of them, i.e. on more than two cores)
 * their time drops out, so a difference can come out low (it is clamped at zero).
 */
public final class CompilerCpu {
  /** Linux reports thread times in clock ticks of 1/100 s (USER_HZ) on every architecture it runs on here. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private CompilerCpu() {}

  /** User and system time of process {@code pid}'s "C1/C2 CompilerThread" threads; zero without /proc. */
  public static Duration of(long pid) {
    long ticks = 0;
    try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks) {
        ticks += compilerTicks(task.resolve("stat"));
      }
    } catch (IOException | RuntimeException e) {
      return Duration.ZERO;
    }
    return Duration.ofNanos(ticks * NANOS_PER_TICK);
  }

  /** This JVM's compiler time. */
  public static Duration ofThisProcess() {
    return of(ProcessHandle.current().pid());
  }

  private static long compilerTicks(Path stat) {
    String line;
    try {
      line = Files.readString(stat);
    } catch (IOException e) {
      return 0; // the thread ended meanwhile
    }
    int open = line.indexOf('(');
    int close = line.lastIndexOf(')');
    if (open < 0 || close < open) {
      return 0;
    }
    String name = line.substring(open + 1, close);
    if (!name.startsWith("C1 CompilerThre") && !name.startsWith("C2 CompilerThre")) {
      return 0;
    }
    // After "(comm) ": state is field 3; utime and stime are fields 14 and 15 (proc(5)).
    String[] fields = line.substring(close + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }
}
