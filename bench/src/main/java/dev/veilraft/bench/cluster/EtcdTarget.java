package dev.veilraft.bench.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.veilraft.bench.load.LoadTarget;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** Puts through etcd's JSON gateway: one put per call, or one transaction of puts for a batch. */
final class EtcdTarget implements LoadTarget {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;
  private final URI put;
  private final URI txn;

  EtcdTarget(HttpClient http, URI member) {
    this.http = http;
    this.put = member.resolve("/v3/kv/put");
    this.txn = member.resolve("/v3/kv/txn");
  }

  @Override
  public CompletableFuture<Void> put(List<byte[]> keys, List<byte[]> values) {
    ObjectNode body = JSON.createObjectNode();
    URI uri;
    if (keys.size() == 1) {
      body.put("key", keys.get(0)).put("value", values.get(0));
      uri = put;
    } else {
      ArrayNode success = body.putArray("success");
      for (int i = 0; i < keys.size(); i++) {
        success.addObject().putObject("request_put").put("key", keys.get(i)).put("value", values.get(i));
      }
      uri = txn;
    }
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
      if (r.statusCode() != 200) {
        throw new CompletionException(new IOException("etcd answered " + r.statusCode() + ": " + r.body()));
      }
      return null;
    });
  }

  @Override
  public void close() {
    // The HTTP client belongs to the cluster.
  }
}
