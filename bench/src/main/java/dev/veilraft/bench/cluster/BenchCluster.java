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

  /** The client the load generator drives. */
  LoadTarget target();

  @Override
  void close();
}
