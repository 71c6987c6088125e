package dev.veilraft.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/** Everything one {@code veilraft bench} run measured, written as one JSON file. */
public final class Results {
  private final Map<String, Object> conditions = new LinkedHashMap<>();
  private final List<PointResult> points = new ArrayList<>();
  private final List<Map<String, Object>> ratios = new ArrayList<>();
  private final Map<String, List<Map<String, Object>>> curves = new LinkedHashMap<>();

  public synchronized void condition(String name, Object value) {
    conditions.put(name, value);
  }

  public synchronized void add(PointResult point) {
    points.add(point);
  }

  public synchronized List<PointResult> points() {
    return List.copyOf(points);
  }

  /** Mean throughput of the runs of one point; empty when that mode did not run there. */
  public synchronized OptionalDouble meanOps(String mode, int nodes, int concurrency, int sizeBytes) {
    return points.stream().filter(p -> p.mode().equals(mode) && p.nodes() == nodes && p.concurrency() == concurrency
        && p.sizeBytes() == sizeBytes).mapToDouble(PointResult::opsPerSecond).average();
  }

  public synchronized void ratio(int nodes, int concurrency, int sizeBytes, double value) {
    ratios.add(Map.of("nodes", nodes, "concurrency", concurrency, "size_bytes", sizeBytes, "confidential_over_plaintext",
        value));
  }

  /** One point of a scaling curve ({@code join}, {@code rotation}, {@code snapshot}, {@code memory}). */
  public synchronized void curvePoint(String curve, Map<String, Object> point) {
    curves.computeIfAbsent(curve, c -> new ArrayList<>()).add(point);
  }

  public synchronized void write(Path file) throws IOException {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("conditions", conditions);
    root.put("points", points);
    root.put("ratios", ratios);
    root.put("curves", curves);
    Files.createDirectories(file.toAbsolutePath().getParent());
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), root);
  }
}
