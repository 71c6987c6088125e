package dev.veilraft.simulator.workload;

import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.history.Operation;
import java.time.Duration;
import java.util.List;

/**
 * Client traffic of a run. {@link #start} launches its clients, which record every operation in
 * the history until {@link #stop}; once faults healed, {@link #finish} runs its final phase (the
 * key-value workload reads every key through every node); {@link #check} judges the history.
 */
public interface Workload {
  String name();

  void start(WorkloadContext context);

  /** Stops issuing operations and waits (bounded) for those in flight to complete or time out. */
  void stop() throws InterruptedException;

  /** After the faults healed: the final phase, finished within {@code bound}; false when it could not. */
  boolean finish(Duration bound) throws InterruptedException;

  /** The workload's own checkers over the paired history. */
  List<Verdict> check(List<Operation> operations);

  /** A byte pattern every piece of workload plaintext carries, for the confidentiality scan. */
  byte[] plaintextMarker();

  /** A probe for liveness: one write and one read through {@code slot}; true when both succeed. */
  boolean probe(int slot) throws InterruptedException;
}
