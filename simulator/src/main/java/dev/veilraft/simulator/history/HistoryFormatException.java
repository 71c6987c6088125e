package dev.veilraft.simulator.history;

/** A history file or line does not follow the documented format; the message names where and what. */
public final class HistoryFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  public HistoryFormatException(String message) {
    super(message);
  }
}
