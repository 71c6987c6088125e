package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import dev.veilraft.consensus.ratis.PlaintextBaseline;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Puts through the baseline's Ratis async client: one call, one log entry of raw bytes. */
final class PlaintextTarget implements LoadTarget {
  private final PlaintextBaseline.Client client;

  PlaintextTarget(PlaintextBaseline.Client client) {
    this.client = client;
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    return client.put(keys, values).thenApply(applied -> null);
  }

  @Override
  public void close() {
    try {
      client.close();
    } catch (IOException e) {
      // Closing at the end of a run; nothing depends on it.
    }
  }
}
