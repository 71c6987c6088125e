package dev.veilraft.bench;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.App;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.app.AppState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The exactly-once bookkeeping alone: {@link AppHost#apply} of events of pipelining clients to an
 * app that does nothing, {@value #GROUP} per transaction as in a grouped entry, on a real encrypted
 * RocksDB store; no sealing, no Raft. Each event is admitted against its client's session
 * (sequence {@code s}, acknowledging all below {@code s - }{@value #IN_FLIGHT}, so one result is
 * forgotten per event) and its result recorded; the commit is measured too (what the bookkeeping
 * writes is part of its cost). Per event. Run: {@code java -jar bench/target/benchmarks.jar
 * AdmissionBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AdmissionBench {
  /** Events per transaction, as in a grouped entry of a loaded node. */
  static final int GROUP = 16;
  /** Requests each client keeps unacknowledged. */
  static final int IN_FLIGHT = 64;
  /** Clients the events rotate over (a group's events come from several clients). */
  static final int CLIENTS = 8;

  /** Does nothing: the measured cost is the host's exactly-once bookkeeping. */
  static final class NoopApp implements App {
    @Override
    public String name() {
      return "noop";
    }

    @Override
    public byte[] apply(AppContext context, AppState state, byte[] request) {
      return request;
    }
  }

  private Path dir;
  private RocksDbStateStore store;
  private final AppHost host = new AppHost(List.of(new NoopApp()));
  private final byte[][] clients = new byte[CLIENTS][];
  private final long[] sequences = new long[CLIENTS];
  private long index;
  private long leaderTime = 1_800_000_000_000L;
  private final DeterministicRandom random = DeterministicRandom.fromSeed(Hashes.sha256(Hashes.utf8("admission bench")));

  @Setup
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("veilraft-admission-bench");
    store = RocksDbStateStore.open(dir.resolve("state"), Hashes.sha256(Hashes.utf8("admission bench secret")));
    for (int c = 0; c < CLIENTS; c++) {
      clients[c] = Hashes.sha256(Hashes.utf8("client " + c));
    }
  }

  @Benchmark
  @OperationsPerInvocation(GROUP)
  public void admitAndRecordGroupOf16PerEvent() throws Exception {
    StateTransaction tx = store.begin();
    index++;
    leaderTime += 10;
    AppContext context = new AppContext(index, leaderTime, random);
    for (int j = 0; j < GROUP; j++) {
      int c = j % CLIENTS;
      long sequence = ++sequences[c];
      Event event = Event.newBuilder().setApp("noop").setRequest(ByteString.copyFrom(Hashes.u64(sequence)))
          .setClientId(ByteString.copyFrom(clients[c])).setSequence(sequence)
          .setAcknowledged(Math.max(1, sequence - IN_FLIGHT)).build();
      EventResult result = host.apply(tx, event, context, 128);
      if (result.getStatus() != EventResult.Status.OK) {
        throw new IllegalStateException("event refused: " + result.getError());
      }
    }
    tx.commit(index);
  }

  @TearDown
  public void tearDown() throws Exception {
    store.close();
    try (var files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }
}
