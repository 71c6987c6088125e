package dev.veilraft.bench.load;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Where the load generator sends puts: one call is one request to the cluster and one log entry. */
public interface LoadTarget extends AutoCloseable {
  /**
   * Puts {@code keys[i] = values[i]} for every i in one call; completes when the cluster applied
   * them, exceptionally when it refused or failed any.
   */
  CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values);

  @Override
  void close();
}
