package dev.veilraft.simulator.history;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Pairs the events of a history into operations. */
public final class Operations {
  private Operations() {}

  /**
   * Pairs every invocation with the next completion of the same process. A completion with no
   * invocation before it, a second invocation while one is open, a completion whose {@code f} or
   * {@code key} differs from its invocation, or time going backwards within a process is a format
   * error. An invocation still open at the end is indeterminate ({@code info}).
   */
  public static List<Operation> pair(List<HistoryEvent> events) throws HistoryFormatException {
    Map<Integer, Integer> open = new HashMap<>();
    List<HistoryEvent> invocations = new ArrayList<>();
    List<HistoryEvent> completions = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      HistoryEvent e = events.get(i);
      Integer pending = open.get(e.process());
      if (e.isInvoke()) {
        if (pending != null) {
          throw new HistoryFormatException("event " + i + ": process " + e.process() + " invokes " + e.f()
              + " while its " + invocations.get(pending).f() + " is still open");
        }
        open.put(e.process(), invocations.size());
        invocations.add(e);
        completions.add(null);
        continue;
      }
      if (pending == null) {
        throw new HistoryFormatException("event " + i + ": process " + e.process() + " completes " + e.f()
            + " (" + e.type().json() + ") that it never invoked");
      }
      HistoryEvent invoke = invocations.get(pending);
      if (!invoke.f().equals(e.f()) || !java.util.Objects.equals(invoke.key(), e.key())) {
        throw new HistoryFormatException("event " + i + ": process " + e.process() + " completes " + e.f() + " of key "
            + e.key() + " but invoked " + invoke.f() + " of key " + invoke.key());
      }
      if (e.timeNs() < invoke.timeNs()) {
        throw new HistoryFormatException("event " + i + ": process " + e.process() + " completes at " + e.timeNs()
            + " ns, before its invocation at " + invoke.timeNs() + " ns");
      }
      completions.set(pending, e);
      open.remove(e.process());
    }
    List<Operation> ops = new ArrayList<>(invocations.size());
    for (int i = 0; i < invocations.size(); i++) {
      HistoryEvent inv = invocations.get(i);
      HistoryEvent done = completions.get(i);
      HistoryEvent.Type outcome = done == null ? HistoryEvent.Type.INFO : done.type();
      long completeNs = outcome == HistoryEvent.Type.INFO ? Operation.OPEN : done.timeNs();
      ops.add(new Operation(i, inv.process(), inv.f(), inv.key(), inv.value(), outcome,
          outcome == HistoryEvent.Type.OK ? done.value() : null, inv.timeNs(), completeNs, inv.node(),
          done == null ? "no completion recorded" : done.error()));
    }
    return ops;
  }
}
