package dev.veilraft.bench.cluster;

import dev.veilraft.bench.load.LoadTarget;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Puts through etcd's own gRPC API with jetcd, its Java client: one {@code KV.Put} per call, or one
 * {@code KV.Txn} of puts for a batch. One client is one HTTP/2 connection to the member.
 */
final class EtcdTarget implements LoadTarget {
  private final Client client;
  private final KV kv;

  EtcdTarget(URI member) {
    this.client = Client.builder().endpoints(member).build();
    this.kv = client.getKVClient();
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    if (keys.size() == 1) {
      return kv.put(ByteSequence.from(keys.get(0)), ByteSequence.from(values.get(0))).thenApply(r -> null);
    }
    Op[] puts = new Op[keys.size()];
    for (int i = 0; i < puts.length; i++) {
      puts[i] = Op.put(ByteSequence.from(keys.get(i)), ByteSequence.from(values.get(i)), PutOption.DEFAULT);
    }
    return kv.txn().Then(puts).commit().thenApply(r -> null);
  }

  @Override
  public void close() {
    client.close();
  }
}
