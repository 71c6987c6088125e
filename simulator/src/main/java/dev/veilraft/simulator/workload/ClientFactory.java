package dev.veilraft.simulator.workload;

import dev.veilraft.client.ClientException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.simulator.cluster.SimCluster;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Connects SDK clients to a slot's node: each verifies the cluster against the genesis policy, as
 * an application would. Connecting is bounded: a paused or partitioned node does not hold a
 * worker for the SDK's full HTTP timeout.
 */
public final class ClientFactory implements AutoCloseable {
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private final SimCluster cluster;
  private final ExecutorService connector = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sim-connect");
    t.setDaemon(true);
    return t;
  });

  public ClientFactory(SimCluster cluster) {
    this.cluster = cluster;
  }

  public VeilraftClient connect(int slot) throws ClientException, InterruptedException {
    var genesis = cluster.layout().cluster().genesis();
    CompletableFuture<VeilraftClient> future = CompletableFuture.supplyAsync(() -> {
      try {
        return VeilraftClient.connect(cluster.api(slot), genesis.policy(), new AttestationVerifier(), Clock.systemUTC(),
            genesis.clusterId());
      } catch (ClientException e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    }, connector);
    try {
      return future.get(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      future.thenAccept(VeilraftClient::close); // a connect that ends later is not used: stop its threads
      throw e;
    } catch (TimeoutException e) {
      future.thenAccept(VeilraftClient::close);
      throw new ClientException("CONNECT_TIMEOUT", "no verified cluster description from " + cluster.api(slot)
          + " within " + CONNECT_TIMEOUT);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() instanceof java.util.concurrent.CompletionException c ? c.getCause() : e.getCause();
      if (cause instanceof ClientException ce) {
        throw ce;
      }
      throw new ClientException("CONNECT_FAILED", String.valueOf(cause), cause);
    }
  }

  @Override
  public void close() {
    connector.shutdownNow();
  }
}
