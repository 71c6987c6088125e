package dev.veilraft.simulator.history;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads and writes history events as JSON Lines: one JSON object per line, keys as documented. */
public final class HistoryJson {
  public static final ObjectMapper MAPPER = new ObjectMapper();
  /** A history line longer than this is refused (values of the workloads are short). */
  public static final int lineCharsMax = 64 * 1024;
  /** A history file with more events than this is refused rather than exhausting memory. */
  public static final int eventsMax = 5_000_000;

  private HistoryJson() {}

  public static String toLine(HistoryEvent e) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("process", e.process());
    o.put("type", e.type().json());
    o.put("f", e.f());
    if (e.key() == null) {
      o.putNull("key");
    } else {
      o.put("key", e.key());
    }
    o.set("value", e.value() == null ? NullNode.getInstance() : e.value());
    o.put("time_ns", e.timeNs());
    if (e.node() == null) {
      o.putNull("node");
    } else {
      o.put("node", e.node());
    }
    if (e.error() != null) {
      o.put("error", e.error());
    }
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException(ex);
    }
  }

  /** Parses one line; the exception names what is wrong and where. */
  public static HistoryEvent parseLine(String line, String where) throws HistoryFormatException {
    if (line.length() > lineCharsMax) {
      throw new HistoryFormatException(where + ": line is " + line.length() + " characters, over " + lineCharsMax);
    }
    JsonNode o;
    try {
      o = MAPPER.readTree(line);
    } catch (JsonProcessingException e) {
      throw new HistoryFormatException(where + ": not JSON: " + e.getOriginalMessage());
    }
    if (o == null || !o.isObject()) {
      throw new HistoryFormatException(where + ": expected a JSON object");
    }
    try {
      return new HistoryEvent(requiredInt(o, "process", where), HistoryEvent.Type.parse(requiredText(o, "type", where)),
          requiredText(o, "f", where), optionalText(o, "key", where), o.hasNonNull("value") ? o.get("value") : null,
          requiredLong(o, "time_ns", where), optionalText(o, "node", where), optionalText(o, "error", where));
    } catch (IllegalArgumentException e) {
      throw new HistoryFormatException(where + ": " + e.getMessage());
    }
  }

  public static List<HistoryEvent> read(Path file) throws IOException, HistoryFormatException {
    List<HistoryEvent> events = new ArrayList<>();
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int number = 0;
      while ((line = in.readLine()) != null) {
        number++;
        if (line.isBlank()) {
          continue;
        }
        if (events.size() >= eventsMax) {
          throw new HistoryFormatException(file + ": more than " + eventsMax + " events");
        }
        events.add(parseLine(line, file + ":" + number));
      }
    }
    return events;
  }

  private static int requiredInt(JsonNode o, String field, String where) throws HistoryFormatException {
    JsonNode v = o.get(field);
    if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
      throw new HistoryFormatException(where + ": '" + field + "' must be an integer, got " + v);
    }
    return v.intValue();
  }

  private static long requiredLong(JsonNode o, String field, String where) throws HistoryFormatException {
    JsonNode v = o.get(field);
    if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new HistoryFormatException(where + ": '" + field + "' must be an integer, got " + v);
    }
    return v.longValue();
  }

  private static String requiredText(JsonNode o, String field, String where) throws HistoryFormatException {
    JsonNode v = o.get(field);
    if (v == null || !v.isTextual()) {
      throw new HistoryFormatException(where + ": '" + field + "' must be a string, got " + v);
    }
    return v.textValue();
  }

  private static String optionalText(JsonNode o, String field, String where) throws HistoryFormatException {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new HistoryFormatException(where + ": '" + field + "' must be a string or null, got " + v);
    }
    return v.textValue();
  }
}
