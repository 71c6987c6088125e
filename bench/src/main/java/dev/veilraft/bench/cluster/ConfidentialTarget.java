package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Puts through the veilraft client SDK: each put an HPKE-sealed kv event posted over HTTPS; several
 * puts in one call go as one sealed batch ({@link VeilraftClient#callBatchAsync}), one log entry.
 * Unless {@code putsReturnPrevious}, a put asks for no previous value in its answer, as etcd's and
 * the plaintext baseline's puts.
 */
final class ConfidentialTarget implements LoadTarget {
  private final VeilraftClient client;
  private final boolean putsReturnPrevious;

  ConfidentialTarget(VeilraftClient client, boolean putsReturnPrevious) {
    this.client = client;
    this.putsReturnPrevious = putsReturnPrevious;
  }

  private byte[] put(byte[] key, byte[] value) {
    return (putsReturnPrevious ? KvRequests.put(key, value) : KvRequests.putOmittingPrevious(key, value)).toByteArray();
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    if (keys.size() == 1) {
      return client.callAsync(KvApp.NAME, put(keys.get(0), values.get(0)))
          .thenApply(response -> null);
    }
    List<byte[]> requests = new ArrayList<>(keys.size());
    for (int i = 0; i < keys.size(); i++) {
      requests.add(put(keys.get(i), values.get(i)));
    }
    return client.callBatchAsync(KvApp.NAME, requests).thenApply(results -> {
      for (EventResult r : results) {
        if (r.getStatus() != EventResult.Status.OK) {
          throw new CompletionException(new IllegalStateException("put refused in a batch: " + r.getError()));
        }
      }
      return null;
    });
  }

  @Override
  public void close() {
    client.close();
  }
}
