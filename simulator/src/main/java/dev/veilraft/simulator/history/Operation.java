package dev.veilraft.simulator.history;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A client operation: an invocation paired with its completion. An operation whose completion
 * never arrived, or arrived as {@code info}, is indeterminate: it may have taken effect at any
 * time after its invocation, or never; its completion time is {@link #OPEN}.
 *
 * @param id position among the history's operations, from 0
 * @param argument the invocation's value
 * @param result the completion's value (ok only), else null
 */
public record Operation(int id, int process, String f, String key, JsonNode argument, HistoryEvent.Type outcome,
    JsonNode result, long invokeNs, long completeNs, String node, String error) {

  /** Completion time of an indeterminate operation: after everything. */
  public static final long OPEN = Long.MAX_VALUE;

  public boolean ok() {
    return outcome == HistoryEvent.Type.OK;
  }

  public boolean failed() {
    return outcome == HistoryEvent.Type.FAIL;
  }

  public boolean indeterminate() {
    return outcome == HistoryEvent.Type.INFO;
  }

  /** Whether this operation completed (ok or fail) before {@code other} was invoked. */
  public boolean precedes(Operation other) {
    return completeNs != OPEN && completeNs < other.invokeNs;
  }
}
