package dev.veilraft.bench.report;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import java.util.function.ToIntFunction;
import java.util.stream.Collectors;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG charts of a run: throughput and p99 against concurrency (or cluster size, or event size), per mode. */
public final class Charts {
  private static final int WIDTH = 640;
  private static final int HEIGHT = 440;

  private Charts() {}

  /**
   * Two charts side by side, throughput and p99 against {@code x} (one series per mode, the mean
   * of the runs at each x), written to {@code file}. Nothing is written when no x has two points.
   */
  public static void throughputAndP99(List<PointResult> points, String xTitle, ToIntFunction<PointResult> x,
      boolean logX, String title, Path file) throws IOException {
    if (points.stream().mapToInt(x).distinct().count() < 2) {
      return;
    }
    XYChart ops = chart(title + ": throughput", xTitle, "puts/s", logX);
    XYChart p99 = chart(title + ": p99 latency", xTitle, "p99 ms", logX);
    Map<String, List<PointResult>> byMode = points.stream().collect(Collectors.groupingBy(PointResult::mode,
        TreeMap::new, Collectors.toList()));
    for (Map.Entry<String, List<PointResult>> e : byMode.entrySet()) {
      addMeanSeries(ops, e.getKey(), e.getValue(), x, PointResult::opsPerSecond);
      addMeanSeries(p99, e.getKey(), e.getValue(), x, PointResult::p99Ms);
    }
    System.setProperty("java.awt.headless", "true");
    BitmapEncoder.saveBitmap(List.of(ops, p99), 1, 2, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  /** One chart of {@code y} against {@code x} for series named by their keys. */
  public static void curve(String title, String xTitle, String yTitle, Map<String, TreeMap<Integer, Double>> series,
      Path file) throws IOException {
    XYChart chart = chart(title, xTitle, yTitle, false);
    int added = 0;
    for (Map.Entry<String, TreeMap<Integer, Double>> s : series.entrySet()) {
      if (!s.getValue().isEmpty()) {
        chart.addSeries(s.getKey(), new ArrayList<>(s.getValue().keySet()), new ArrayList<>(s.getValue().values()));
        added++;
      }
    }
    if (added == 0) {
      return;
    }
    System.setProperty("java.awt.headless", "true");
    BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
  }

  private static XYChart chart(String title, String xTitle, String yTitle, boolean logX) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle)
        .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
    chart.getStyler().setXAxisLogarithmic(logX);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setMarkerSize(8);
    return chart;
  }

  private static void addMeanSeries(XYChart chart, String name, List<PointResult> points, ToIntFunction<PointResult> x,
      ToDoubleFunction<PointResult> y) {
    TreeMap<Integer, Double> mean = new TreeMap<>();
    points.stream().collect(Collectors.groupingBy(x::applyAsInt, TreeMap::new, Collectors.averagingDouble(y)))
        .forEach(mean::put);
    chart.addSeries(name, new ArrayList<>(mean.keySet()), new ArrayList<>(mean.values()));
  }
}
