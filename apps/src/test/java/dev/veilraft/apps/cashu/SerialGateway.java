package dev.veilraft.apps.cashu;

import com.google.protobuf.ByteString;
import dev.veilraft.apps.AppGateway;
import dev.veilraft.apps.AppRejectedException;
import dev.veilraft.crypto.DeterministicRandom;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateException;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * An in-memory stand-in for the node's gateway: every submit is one log entry applied through a
 * real {@link AppHost} on a real RocksDB store, one at a time (as Raft orders them), with a
 * leader time from the test's clock and a deterministic random seeded by the entry index.
 * Queries read the committed store. Records every committed request for replay.
 */
final class SerialGateway implements AppGateway, AutoCloseable {
  static final AppHost HOST = new AppHost(List.of(new CashuMintApp()));
  static final byte[] STORAGE_SECRET = Hashes.sha256(Hashes.utf8("cashu test storage"));

  private final RocksDbStateStore store;
  private final LongSupplier leaderTimeMs;
  private final byte[] randomSeed;
  private final List<byte[]> committed = new ArrayList<>();
  private final List<Long> committedTimes = new ArrayList<>();
  private final List<EventResult> results = new ArrayList<>();

  SerialGateway(Path dir, LongSupplier leaderTimeMs, byte[] randomSeed) throws StateException {
    this(RocksDbStateStore.open(dir, STORAGE_SECRET), leaderTimeMs, randomSeed);
  }

  /** Over an existing store (a replica that installed a snapshot, say). */
  SerialGateway(RocksDbStateStore store, LongSupplier leaderTimeMs, byte[] randomSeed) {
    this.store = store;
    this.leaderTimeMs = leaderTimeMs;
    this.randomSeed = randomSeed.clone();
  }

  RocksDbStateStore store() {
    return store;
  }

  @Override
  public synchronized CompletableFuture<byte[]> submit(String app, byte[] request) {
    try {
      long time = leaderTimeMs.getAsLong();
      EventResult result = apply(app, request, time);
      committed.add(request.clone());
      committedTimes.add(time);
      results.add(result);
      return answer(result);
    } catch (StateException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Applies one entry at leader time {@code time}, as a member's front end sends it; the result as recorded. */
  synchronized EventResult apply(String app, byte[] request, long time) throws StateException {
    return apply(app, request, time, true);
  }

  /** Applies one entry; {@code fromMember}: a member's front end tagged it (else: anyone's sealed request). */
  synchronized EventResult apply(String app, byte[] request, long time, boolean fromMember) throws StateException {
    StateTransaction tx = store.begin();
    long index = store.appliedIndex() + 1;
    AppContext context = new AppContext(index, time, DeterministicRandom.fromSeed(
        Hashes.sha256(randomSeed, Hashes.u64(index))), fromMember);
    EventResult result = HOST.apply(tx, Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request))
        .build(), context);
    tx.commit(index);
    return result;
  }

  @Override
  public CompletableFuture<QueryAnswer> query(String app, byte[] request, boolean linearizable) {
    try {
      long readFrom = store.appliedIndex();
      return answer(HOST.query(store, app, request, true)).thenApply(response -> new QueryAnswer(response, readFrom,
          store.readIndexBound()));
    } catch (StateException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static CompletableFuture<byte[]> answer(EventResult result) {
    if (result.getStatus() == EventResult.Status.OK) {
      return CompletableFuture.completedFuture(result.getResponse().toByteArray());
    }
    return CompletableFuture.failedFuture(new AppRejectedException(result.getError()));
  }

  synchronized List<byte[]> committed() {
    return List.copyOf(committed);
  }

  synchronized List<EventResult> results() {
    return List.copyOf(results);
  }

  synchronized List<Long> committedTimes() {
    return List.copyOf(committedTimes);
  }

  /** Every record of the committed state, in key order, as one byte string. */
  synchronized byte[] stateBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      store.exportRecords((namespace, key, value) -> {
        out.writeBytes(Hashes.utf8(namespace));
        out.write(0);
        out.writeBytes(Hashes.u64(key.length));
        out.writeBytes(key);
        out.writeBytes(Hashes.u64(value.length));
        out.writeBytes(value);
      });
    } catch (StateException e) {
      throw new IllegalStateException(e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  @Override
  public void close() {
    store.close();
  }
}
