package dev.veilraft.simulator.report;

import dev.veilraft.simulator.Simulation;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.fault.FaultWindow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.XYChart;

/**
 * The run's report directory: {@code report.html} (self-contained: the chart is embedded) and
 * {@code latency.png}. The page has the last line, the replay command, the verdicts, the fault
 * timeline and the latency chart with the fault windows shaded.
 */
public final class HtmlReport {
  public static final String HTML = "report.html";
  public static final String PNG = "latency.png";

  private HtmlReport() {}

  public static Path write(Path dir, Simulation.Result result, String replay, String lastLine, List<String> schedule)
      throws IOException {
    Files.createDirectories(dir);
    System.setProperty("java.awt.headless", "true");
    XYChart chart = LatencyChart.build(result.operations(), result.timeline().windows(), "latency over time");
    byte[] png = LatencyChart.png(chart);
    Files.write(dir.resolve(PNG), png);
    Summary.Counts c = Summary.Counts.of(result.operations());
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>veilraft simulation</title>\n")
        .append("<style>body{font-family:sans-serif;margin:2em;max-width:1400px}td,th{padding:2px 8px;text-align:left;")
        .append("vertical-align:top}.pass{color:#070}.fail{color:#b00;font-weight:bold}code{background:#eee;padding:2px}")
        .append("table{border-collapse:collapse}tr:nth-child(even){background:#f6f6f6}</style></head><body>\n");
    h.append("<h1>veilraft simulation</h1>\n<p class=\"").append(result.passed() ? "pass" : "fail").append("\"><code>")
        .append(esc(lastLine)).append("</code></p>\n<p>replay: <code>").append(esc(replay)).append("</code></p>\n");
    h.append(String.format(Locale.ROOT, "<p>%d operations: ok %d, fail %d, info %d (final reads %d). History: <code>%s"
        + "</code></p>%n", c.operations(), c.ok(), c.fail(), c.info(), c.finalReads(), esc(result.historyFile().toString())));
    h.append("<h2>Latency</h2>\n<p>One point per operation at its completion; shaded bands are the fault windows.</p>\n")
        .append("<img alt=\"latency over time with fault windows shaded\" src=\"data:image/png;base64,")
        .append(Base64.getEncoder().encodeToString(png)).append("\">\n");
    h.append("<h2>Checkers</h2>\n<table><tr><th>verdict</th><th>checker</th><th>kind</th><th>detail</th></tr>\n");
    for (Verdict v : result.verdicts()) {
      h.append("<tr><td class=\"").append(v.passed() ? "pass\">PASS" : "fail\">FAIL").append("</td><td>")
          .append(esc(v.checker())).append("</td><td>").append(v.kind().name().toLowerCase(Locale.ROOT)).append("</td><td>")
          .append(esc(v.detail())).append("</td></tr>\n");
    }
    h.append("</table>\n<h2>Fault timeline</h2>\n<table><tr><th>#</th><th>from (s)</th><th>to (s)</th><th>fault</th>")
        .append("<th>what happened</th></tr>\n");
    for (FaultWindow w : result.timeline().windows()) {
      h.append(String.format(Locale.ROOT, "<tr><td>%d</td><td>%.1f</td><td>%.1f</td><td>%s</td><td class=\"%s\">%s</td>"
          + "</tr>%n", w.index(), w.startNs() / 1e9, w.endNs() / 1e9, esc(w.description()), w.passed() ? "" : "fail",
          esc(w.outcome())));
    }
    h.append("</table>\n<h2>Schedule (from the seed)</h2>\n<pre>").append(esc(String.join("\n", schedule)))
        .append("</pre>\n</body></html>\n");
    Path html = dir.resolve(HTML);
    Files.writeString(html, h.toString());
    return html;
  }

  static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
