package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import java.util.List;

/** A cluster of server JVMs under test and a client of it in this JVM. */
public interface BenchCluster extends AutoCloseable {
  /** {@code plaintext} or {@code confidential}. */
  String mode();

  /** The server JVMs, in start order. */
  List<ServerProcess> nodes();

  /** Index into {@link #nodes} of the Raft leader as last seen; re-read after each call. */
  int leaderIndex();

  /**
   * The leader's applied log index, read now, or -1 where the mode does not tell: with the
   * completed puts of a window it gives puts per log entry (node-side grouping at work).
   */
  default long leaderAppliedIndex() {
    return -1;
  }

  /** The client the load generator drives. */
  LoadTarget target();

  @Override
  void close();
}
