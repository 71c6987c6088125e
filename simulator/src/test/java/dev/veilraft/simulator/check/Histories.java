package dev.veilraft.simulator.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.veilraft.simulator.history.HistoryEvent;
import dev.veilraft.simulator.history.HistoryFormatException;
import dev.veilraft.simulator.history.Operation;
import dev.veilraft.simulator.history.Operations;
import java.util.ArrayList;
import java.util.List;

/** Hand-made histories for checker tests: times are plain numbers (ns). */
final class Histories {
  private final List<HistoryEvent> events = new ArrayList<>();

  static JsonNode text(String s) {
    return s == null ? JsonNodeFactory.instance.nullNode() : JsonNodeFactory.instance.textNode(s);
  }

  static JsonNode cas(String expected, String next) {
    return JsonNodeFactory.instance.arrayNode().add(text(expected)).add(next);
  }

  Histories invoke(int p, String f, String key, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.INVOKE, f, key, value, t, "n1", null));
    return this;
  }

  Histories ok(int p, String f, String key, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.OK, f, key, value, t, "n1", null));
    return this;
  }

  Histories invokeOn(int p, String f, String node, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.INVOKE, f, null, value, t, node, null));
    return this;
  }

  Histories okOn(int p, String f, String node, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.OK, f, null, value, t, node, null));
    return this;
  }

  Histories fail(int p, String f, String key, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.FAIL, f, key, value, t, "n1", "refused"));
    return this;
  }

  Histories info(int p, String f, String key, JsonNode value, long t) {
    events.add(new HistoryEvent(p, HistoryEvent.Type.INFO, f, key, value, t, "n1", "timeout"));
    return this;
  }

  /** A write of {@code value} by process p from t0 to t1 that completed ok. */
  Histories write(int p, String key, String value, long t0, long t1) {
    return invoke(p, "write", key, text(value), t0).ok(p, "write", key, text(value), t1);
  }

  /** A read by process p from t0 to t1 that returned {@code value} (null: absent). */
  Histories read(int p, String key, String value, long t0, long t1) {
    return invoke(p, "read", key, null, t0).ok(p, "read", key, text(value), t1);
  }

  Histories finalRead(int p, String key, String value, long t0, long t1) {
    return invoke(p, "final-read", key, null, t0).ok(p, "final-read", key, text(value), t1);
  }

  /** A compare-and-set that swapped (ok) or found another value (fail). */
  Histories cas(int p, String key, String expected, String next, boolean swapped, long t0, long t1) {
    invoke(p, "cas", key, cas(expected, next), t0);
    return swapped ? ok(p, "cas", key, cas(expected, next), t1) : fail(p, "cas", key, cas(expected, next), t1);
  }

  List<HistoryEvent> events() {
    return List.copyOf(events);
  }

  List<Operation> ops() {
    try {
      return Operations.pair(events);
    } catch (HistoryFormatException e) {
      throw new AssertionError(e);
    }
  }
}
