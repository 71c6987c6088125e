package dev.veilraft.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU went in a JFR recording: its execution samples summarized by {@link
 * StackSummary} (self, components, inclusive, threads, hottest veilraft methods).
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.JfrTop FILE.jfr [TOP]}.
 */
public final class JfrTop {
  private static final int TOP_DEFAULT = 15;

  private JfrTop() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: JfrTop FILE.jfr [TOP]");
      System.exit(2);
    }
    print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : TOP_DEFAULT, System.out);
  }

  /** Prints the summary of {@code file} to {@code out}. */
  public static void print(Path file, int top, PrintStream out) throws IOException {
    StackSummary summary = new StackSummary();
    for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
      if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
        continue;
      }
      List<String> frames = new ArrayList<>();
      for (RecordedFrame frame : event.getStackTrace().getFrames()) {
        frames.add(name(frame.getMethod()));
      }
      RecordedThread thread = event.getThread("sampledThread");
      summary.add(frames, thread == null ? null : thread.getJavaName() != null ? thread.getJavaName()
          : thread.getOSName(), 1);
    }
    summary.print(file.getFileName().toString(), top, out);
  }

  private static String name(RecordedMethod method) {
    return method == null ? "?" : method.getType().getName() + "." + method.getName();
  }
}
