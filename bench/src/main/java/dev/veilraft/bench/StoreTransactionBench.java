package dev.veilraft.bench;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The state store's share of one put, without any envelope crypto: one {@link StateTransaction}
 * per put on a real encrypted RocksDB store, the kv app run by {@link AppHost} (the record sealed
 * with AES-GCM at its keyed-hash location) and the commit with its state-digest update.
 * {@code exactlyOnce} puts carry a client id, sequence and acknowledgement as the SDK sends them
 * with 32 requests in flight, so the exactly-once records are written too (the result, the
 * session, its expiry entry, and the deletion of the result the client just acknowledged).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StoreTransactionBench {
  private static final int KEYS = 10_000;
  /** Requests in flight per client in the cluster benchmark: the gap between sequence and acknowledgement. */
  private static final int IN_FLIGHT = 32;

  @Param({"true", "false"})
  public boolean exactlyOnce;

  private Path dir;
  private RocksDbStateStore store;
  private final AppHost host = new AppHost(List.of(new KvApp()));
  private final byte[] clientId = new byte[16];
  private byte[] value;
  private final Random keys = new Random(2);
  private long index;
  private long sequence;

  @Setup
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("veilraft-store-bench");
    store = RocksDbStateStore.open(dir.resolve("state"), Hashes.sha256(Hashes.utf8("store bench storage secret")));
    new Random(1).nextBytes(clientId);
    value = new byte[256];
    new Random(256).nextBytes(value);
  }

  @Benchmark
  public EventResult put() throws StateException {
    index++;
    Event.Builder event = Event.newBuilder().setApp(KvApp.NAME)
        .setRequest(KvRequests.put(Hashes.utf8("key-" + keys.nextInt(KEYS)), value).toByteString());
    if (exactlyOnce) {
      sequence++;
      event.setClientId(ByteString.copyFrom(clientId)).setSequence(sequence)
          .setAcknowledged(Math.max(1, sequence - IN_FLIGHT));
    }
    StateTransaction tx = store.begin();
    // One leader millisecond per entry, as under load: the session's expiry entry moves every time.
    AppContext context = new AppContext(index, 1_800_000_000_000L + index,
        DeterministicRandom.fromSeed(Hashes.sha256(Hashes.u64(index))));
    EventResult result = host.apply(tx, event.build(), context);
    if (result.getStatus() != EventResult.Status.OK) {
      throw new IllegalStateException("put refused: " + result.getError());
    }
    tx.commit(index);
    return result;
  }

  @TearDown
  public void tearDown() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }
}
