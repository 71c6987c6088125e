package dev.veilraft.simulator.history;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Records the history of a run: keeps every event in memory for the checkers and appends it to a
 * JSON Lines file as it happens, so a run that dies still leaves its history behind. Thread-safe;
 * events are numbered in the order they were recorded, and times come from one monotonic clock.
 */
public final class HistoryRecorder implements AutoCloseable {
  private final long originNs = System.nanoTime();
  private final List<HistoryEvent> events = new ArrayList<>();
  private final BufferedWriter out;

  public HistoryRecorder(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
  }

  /** Nanoseconds since this recorder was created (the history's time base). */
  public long now() {
    return System.nanoTime() - originNs;
  }

  /** Converts a {@link System#nanoTime()} reading to the history's time base. */
  public long toHistoryTime(long nanoTime) {
    return Math.max(0, nanoTime - originNs);
  }

  public synchronized void record(HistoryEvent event) {
    events.add(event);
    try {
      out.write(HistoryJson.toLine(event));
      out.newLine();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to the history file: " + e.getMessage(), e);
    }
  }

  /** Every event so far, in recording order. */
  public synchronized List<HistoryEvent> events() {
    return List.copyOf(events);
  }

  public synchronized void flush() throws IOException {
    out.flush();
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
