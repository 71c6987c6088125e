package dev.veilraft.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where the CPU went in a profile of collapsed stacks, as async-profiler writes them ({@code
 * collapsed}, optionally {@code threads}): one line per distinct stack, frames from the root
 * separated by {@code ;}, a space and the sample count; with {@code threads} the root is {@code
 * [name tid=N]}. Summarized by {@link StackSummary}.
 * Run: {@code java -cp bench/target/benchmarks.jar dev.veilraft.bench.CollapsedTop FILE [TOP]}.
 */
public final class CollapsedTop {
  private static final int TOP_DEFAULT = 15;

  private CollapsedTop() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      System.err.println("usage: CollapsedTop FILE.collapsed [TOP]");
      System.exit(2);
    }
    print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : TOP_DEFAULT, System.out);
  }

  /** Prints the summary of {@code file} to {@code out}. */
  public static void print(Path file, int top, PrintStream out) throws IOException {
    StackSummary summary = new StackSummary();
    int lineNumber = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lineNumber++;
        if (line.isBlank()) {
          continue;
        }
        int space = line.lastIndexOf(' ');
        long count;
        try {
          if (space <= 0) {
            throw new NumberFormatException("no stack before the count");
          }
          count = Long.parseLong(line.substring(space + 1));
        } catch (NumberFormatException e) {
          throw new IOException(file + " line " + lineNumber + " is not a stack and a sample count: " + abbreviate(line));
        }
        List<String> frames = new ArrayList<>();
        String thread = null;
        for (String frame : line.substring(0, space).split(";")) {
          if (frames.isEmpty() && thread == null && frame.startsWith("[") && frame.endsWith("]")) {
            int tid = frame.lastIndexOf(" tid=");
            thread = frame.substring(1, tid > 0 ? tid : frame.length() - 1);
          } else {
            // Java frames are written with slashes (org/apache/ratis/Foo.bar); C++ frames have none.
            frames.add(frame.indexOf("::") >= 0 ? frame : frame.replace('/', '.'));
          }
        }
        Collections.reverse(frames); // StackSummary wants the top frame first
        summary.add(frames, thread, count);
      }
    }
    summary.print(file.getFileName().toString(), top, out);
  }

  private static String abbreviate(String line) {
    return line.length() <= 120 ? line : line.substring(0, 60) + " ... " + line.substring(line.length() - 60);
  }
}
