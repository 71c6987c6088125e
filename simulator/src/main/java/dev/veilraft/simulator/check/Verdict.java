package dev.veilraft.simulator.check;

/**
 * A checker's judgement of a run. Safety (nothing bad happened) and liveness (the cluster made
 * progress again once faults healed) are judged separately; a run passes only when every verdict
 * passes.
 *
 * @param checker the checker's name as printed in the last line ({@code linearizable}, ...)
 * @param detail one line: what was checked when it passed, the first violation when it failed
 */
public record Verdict(String checker, Kind kind, boolean passed, String detail) {
  /** What a checker judges. */
  public enum Kind { SAFETY, LIVENESS }

  public static Verdict pass(String checker, Kind kind, String detail) {
    return new Verdict(checker, kind, true, detail);
  }

  public static Verdict fail(String checker, Kind kind, String detail) {
    return new Verdict(checker, kind, false, detail);
  }
}
