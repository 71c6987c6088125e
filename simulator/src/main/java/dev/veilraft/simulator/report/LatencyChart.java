package dev.veilraft.simulator.report;

import dev.veilraft.simulator.fault.FaultKind;
import dev.veilraft.simulator.fault.FaultWindow;
import dev.veilraft.simulator.history.Operation;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Latency over time as a PNG (XChart): one point per completed operation at its completion time,
 * ok, fail and info in their own colours, with every fault window shaded in its kind's colour.
 * Indeterminate operations have no completion; they are drawn at their invocation, at the top.
 */
public final class LatencyChart {
  public static final int WIDTH = 1200;
  public static final int HEIGHT = 500;
  /** Points drawn per outcome; a long run is thinned evenly beyond this. */
  static final int pointsMax = 20_000;

  private LatencyChart() {}

  public static XYChart build(List<Operation> ops, List<FaultWindow> windows, String title) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("time (s)")
        .yAxisTitle("latency (ms)").build();
    chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
    chart.getStyler().setMarkerSize(3);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setPlotGridLinesVisible(true);
    List<Double> okX = new ArrayList<>();
    List<Double> okY = new ArrayList<>();
    List<Double> failX = new ArrayList<>();
    List<Double> failY = new ArrayList<>();
    List<Double> infoX = new ArrayList<>();
    double maxMs = 1;
    for (Operation o : ops) {
      if (o.completeNs() != Operation.OPEN) {
        maxMs = Math.max(maxMs, (o.completeNs() - o.invokeNs()) / 1e6);
      }
    }
    List<Double> infoY = new ArrayList<>();
    for (Operation o : ops) {
      if (o.completeNs() == Operation.OPEN) {
        infoX.add(o.invokeNs() / 1e9);
        infoY.add(maxMs);
      } else if (o.ok()) {
        okX.add(o.completeNs() / 1e9);
        okY.add((o.completeNs() - o.invokeNs()) / 1e6);
      } else {
        failX.add(o.completeNs() / 1e9);
        failY.add((o.completeNs() - o.invokeNs()) / 1e6);
      }
    }
    shade(chart, windows, maxMs);
    points(chart, "ok", okX, okY, new Color(30, 100, 200));
    points(chart, "fail", failX, failY, new Color(220, 120, 0));
    points(chart, "info (no answer)", infoX, infoY, new Color(200, 0, 0));
    return chart;
  }

  private static final Map<FaultKind, Color> COLORS = new EnumMap<>(FaultKind.class);

  static {
    Color[] palette = {new Color(255, 80, 80, 50), new Color(80, 160, 255, 50), new Color(255, 190, 0, 60),
        new Color(150, 80, 255, 50), new Color(0, 190, 120, 50), new Color(120, 120, 120, 50)};
    int i = 0;
    for (FaultKind k : FaultKind.values()) {
      COLORS.put(k, k.attack() ? new Color(255, 0, 160, 45) : palette[i++ % palette.length]);
    }
  }

  private static void shade(XYChart chart, List<FaultWindow> windows, double top) {
    for (FaultWindow w : windows) {
      double start = w.startNs() / 1e9;
      double end = Math.max(start + 0.05, w.endNs() / 1e9);
      String name = "#" + w.index() + " " + w.kind().cliName();
      XYSeries s = chart.addSeries(name, new double[] {start, start, end, end}, new double[] {0, top, top, 0});
      s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
      s.setMarker(SeriesMarkers.NONE);
      s.setFillColor(COLORS.get(w.kind()));
      s.setLineColor(COLORS.get(w.kind()));
    }
  }

  private static void points(XYChart chart, String name, List<Double> xs, List<Double> ys, Color color) {
    if (xs.isEmpty()) {
      return;
    }
    int step = Math.max(1, xs.size() / pointsMax);
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (int i = 0; i < xs.size(); i += step) {
      x.add(xs.get(i));
      y.add(ys.get(i));
    }
    XYSeries s = chart.addSeries(name, x, y);
    s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
    s.setMarkerColor(color);
    s.setMarker(SeriesMarkers.CIRCLE);
  }

  public static byte[] png(XYChart chart) throws IOException {
    return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
  }
}
