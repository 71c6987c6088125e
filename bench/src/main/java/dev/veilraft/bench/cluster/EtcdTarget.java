package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.vertx.core.Vertx;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Puts through etcd's own gRPC API with jetcd, its Java client: one {@code KV.Put} per call, or one
 * {@code KV.Txn} of puts for a batch. One client is one HTTP/2 connection to the member.
 */
final class EtcdTarget implements LoadTarget {
  /** jetcd waits for a connection without bound; a put to a member that is gone fails after this. */
  private static final long REQUEST_TIMEOUT_SECONDS = 30;

  private final Client client;
  private final KV kv;

  /**
   * A client of {@code member} on the cluster's one Vert.x instance (jetcd's transport; each client
   * would start its own). No keepalive pings while no call is open: etcd refuses those
   * ({@code GOAWAY ENHANCE_YOUR_CALM too_many_pings}) and the client then reconnects, which it did
   * while the other mode's windows ran.
   */
  EtcdTarget(URI member, Vertx vertx) {
    this.client = Client.builder().endpoints(member).vertx(vertx).keepaliveWithoutCalls(false).build();
    this.kv = client.getKVClient();
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    if (keys.size() == 1) {
      return kv.put(ByteSequence.from(keys.get(0)), ByteSequence.from(values.get(0))).orTimeout(REQUEST_TIMEOUT_SECONDS,
          TimeUnit.SECONDS).thenApply(r -> null);
    }
    Op[] puts = new Op[keys.size()];
    for (int i = 0; i < puts.length; i++) {
      puts[i] = Op.put(ByteSequence.from(keys.get(i)), ByteSequence.from(values.get(i)), PutOption.DEFAULT);
    }
    return kv.txn().Then(puts).commit().orTimeout(REQUEST_TIMEOUT_SECONDS, TimeUnit.SECONDS).thenApply(r -> null);
  }

  /** Closes the client, and with it the Vert.x instance it was given (jetcd closes it whoever made it). */
  @Override
  public void close() {
    client.close();
  }
}
