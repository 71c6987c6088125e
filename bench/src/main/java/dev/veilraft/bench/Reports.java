package dev.veilraft.bench;

import dev.veilraft.bench.report.Charts;
import dev.veilraft.bench.report.PointResult;
import dev.veilraft.bench.report.Results;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The PNG charts and the profile summary of a run. */
final class Reports {
  private Reports() {}

  /**
   * Throughput and p99 against concurrency per cluster size and event size; against cluster size
   * per concurrency and event size; against event size per cluster size and concurrency.
   */
  static void charts(Results results, Path out) throws IOException {
    List<PointResult> points = results.points();
    for (int n : points.stream().mapToInt(PointResult::nodes).distinct().toArray()) {
      for (int s : points.stream().mapToInt(PointResult::sizeBytes).distinct().toArray()) {
        Charts.throughputAndP99(points.stream().filter(p -> p.nodes() == n && p.sizeBytes() == s).toList(),
            "puts in flight", PointResult::concurrency, true, n + " nodes, " + s + " B",
            out.resolve("bench-n" + n + "-s" + s + ".png"));
        for (int c : points.stream().mapToInt(PointResult::concurrency).distinct().toArray()) {
          Charts.throughputAndP99(points.stream().filter(p -> p.sizeBytes() == s && p.concurrency() == c).toList(),
              "nodes", PointResult::nodes, false, c + " in flight, " + s + " B",
              out.resolve("bench-nodes-c" + c + "-s" + s + ".png"));
          Charts.throughputAndP99(points.stream().filter(p -> p.nodes() == n && p.concurrency() == c).toList(),
              "value bytes", PointResult::sizeBytes, true, n + " nodes, " + c + " in flight",
              out.resolve("bench-sizes-n" + n + "-c" + c + ".png"));
        }
      }
    }
  }

  /** Summarizes every profile {@code profiler} wrote to {@code out} and to {@code summary.txt} in its directory. */
  static void profiles(WindowProfiler profiler, PrintStream out) throws IOException {
    if (!Files.isDirectory(profiler.dir)) {
      return;
    }
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    try (PrintStream summary = new PrintStream(text, true, StandardCharsets.UTF_8);
        Stream<Path> files = Files.list(profiler.dir)) {
      for (Path file : files.filter(f -> f.toString().endsWith("." + profiler.extension())).sorted().toList()) {
        profiler.summarize(file, summary);
      }
    }
    String summary = text.toString(StandardCharsets.UTF_8);
    Files.writeString(profiler.dir.resolve("summary.txt"), summary);
    out.print(summary);
  }
}
