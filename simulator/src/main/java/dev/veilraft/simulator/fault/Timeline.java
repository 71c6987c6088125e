package dev.veilraft.simulator.fault;

import java.util.ArrayList;
import java.util.List;

/** The faults of a run as they happened, in order. Thread-safe. */
public final class Timeline {
  private final List<FaultWindow> windows = new ArrayList<>();
  private final List<String> notes = new ArrayList<>();

  public synchronized void add(FaultWindow window) {
    windows.add(window);
  }

  /** Something the runner did outside a fault window (a heal, a retried restart). */
  public synchronized void note(String note) {
    notes.add(note);
  }

  public synchronized List<FaultWindow> windows() {
    return List.copyOf(windows);
  }

  public synchronized List<String> notes() {
    return List.copyOf(notes);
  }
}
