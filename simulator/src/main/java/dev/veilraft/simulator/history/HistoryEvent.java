package dev.veilraft.simulator.history;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * One line of a history: a client operation's invocation or completion. The JSON Lines format is
 * documented in the simulator README; field names are the JSON keys.
 *
 * @param process the logical client process (a process has at most one operation in flight; after
 *     an {@code info} it is never used again)
 * @param type {@code invoke}, {@code ok}, {@code fail} or {@code info}
 * @param f the operation: {@code read}, {@code write}, {@code cas}, {@code final-read} for the
 *     key-value workload
 * @param key the register the operation acts on, or null
 * @param value the operation's argument (invoke) or result (ok), or null; JSON
 * @param timeNs nanoseconds since the run began, from one monotonic clock
 * @param node the node the client sent the operation to ({@code n1}..{@code n9}), or null
 * @param error why an operation failed or is indeterminate ({@code fail}/{@code info} only), or null
 */
public record HistoryEvent(int process, Type type, String f, String key, JsonNode value, long timeNs, String node,
    String error) {

  /** The kind of history event. */
  public enum Type {
    INVOKE, OK, FAIL, INFO;

    public String json() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Type parse(String text) {
      for (Type t : values()) {
        if (t.json().equals(text)) {
          return t;
        }
      }
      throw new IllegalArgumentException("type '" + text + "' is not one of invoke, ok, fail, info");
    }
  }

  public HistoryEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(f, "f");
    if (process < 0) {
      throw new IllegalArgumentException("process " + process + " is negative");
    }
    if (timeNs < 0) {
      throw new IllegalArgumentException("time_ns " + timeNs + " is negative");
    }
  }

  public boolean isInvoke() {
    return type == Type.INVOKE;
  }
}
