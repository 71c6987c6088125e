package dev.veilraft.node.demo;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.veilraft.client.VeilraftClient;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Encrypted put/get traffic through the client SDK with a bounded number of requests in flight:
 * first half puts of distinct keys, second half gets that check every value read back.
 */
public final class KvWorkload {
  /** Every key and value starts with this, so a disk scan for it finds any plaintext. */
  public static final String MARKER = "veilraft-demo-secret-";

  private KvWorkload() {}

  public record Result(int operations, double seconds, double opsPerSecond, double p50Ms, double p99Ms) {}

  public static byte[] key(int i) {
    return (MARKER + "key-" + i).getBytes(StandardCharsets.UTF_8);
  }

  public static byte[] value(int i) {
    return (MARKER + "value-" + i + "-" + Integer.toHexString(i * 0x9E3779B1)).getBytes(StandardCharsets.UTF_8);
  }

  public static Result run(VeilraftClient client, int operations, int inFlightMax) throws InterruptedException {
    int puts = (operations + 1) / 2;
    List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
    List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
    Semaphore inFlight = new Semaphore(inFlightMax);
    long start = System.nanoTime();
    for (int i = 0; i < operations; i++) {
      boolean put = i < puts;
      int k = put ? i : i - puts;
      KvRequest request = put ? KvRequests.put(key(k), value(k)) : KvRequests.get(key(k));
      if (!put && i == puts) {
        inFlight.acquire(inFlightMax); // every put acknowledged before the first get
        inFlight.release(inFlightMax);
      }
      inFlight.acquire();
      long sent = System.nanoTime();
      CompletableFuture<byte[]> call = client.callAsync(KvApp.NAME, request.toByteArray());
      call.whenComplete((response, error) -> {
        try {
          if (error != null) {
            failures.add(error);
          } else if (!put) {
            checkRead(k, response);
          }
          latencies.add((System.nanoTime() - sent) / 1e6);
        } catch (RuntimeException | InvalidProtocolBufferException e) {
          failures.add(e);
        } finally {
          inFlight.release();
        }
      });
    }
    inFlight.acquire(inFlightMax);
    double seconds = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      throw new IllegalStateException(failures.size() + " of " + operations + " operations failed, first: " + failures.get(0));
    }
    double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return new Result(operations, seconds, operations / seconds, percentile(sorted, 0.50), percentile(sorted, 0.99));
  }

  private static void checkRead(int k, byte[] response) throws InvalidProtocolBufferException {
    KvResponse r = KvResponse.parseFrom(response);
    if (!r.getFound() || !Arrays.equals(r.getValue().toByteArray(), value(k))) {
      throw new IllegalStateException("get of key " + k + " returned " + (r.getFound() ? "another value" : "nothing"));
    }
  }

  static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}
