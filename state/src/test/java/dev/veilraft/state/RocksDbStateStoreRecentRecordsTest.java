package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.crypto.Hashes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the apply path's cache ({@link RecentRecords}) changes nothing observable: the same
 * random transactions applied to a store without it, one whose bound is far below the number of
 * locations (so it evicts all the time) and one with the default bound give the same answer to
 * every read and the same applied index and record count after every commit, and each store's
 * root equals the root recomputed from its files. A fourth store, without the cache, has every
 * namespace indexed, so its absent keys are answered by the key index instead (reads and digest
 * updates alike). Digests themselves differ between stores
 * (AES-GCM nonces are random, and the digest hashes the ciphertext), so each is checked against
 * its own recomputation, which is exactly what open checks. Replay one seed with {@code mvn -o
 * test -pl state -Dtest=RocksDbStateStoreRecentRecordsTest -Dveilraft.state.seed=<seed>}.
 */
class RocksDbStateStoreRecentRecordsTest {
  static final long[] CI_SEEDS = {1L, 17L, 2_026L, -9L};
  static final int TRANSACTIONS = 400;
  static final int REOPEN_EVERY_TRANSACTIONS = 150;
  static final List<String> NAMESPACES = List.of("app/kv", "app/sessions", "node/epochs");
  static final int KEYS_PER_NAMESPACE = 40;
  /** Far below the 120 locations the workload touches. */
  static final int SMALL_BOUND = 8;

  static Stream<Long> seeds() {
    String replay = System.getProperty(RocksDbStateStoreDifferentialTest.SEED_PROPERTY);
    return replay != null ? Stream.of(Long.parseLong(replay)) : LongStream.of(CI_SEEDS).boxed();
  }

  @TempDir Path dir;

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theCacheChangesNoAnswerAndNoRoot(long seed) throws Exception {
    String[] step = {"open"};
    try {
      run(new Random(seed), step);
    } catch (Throwable failure) {
      throw new AssertionError("seed " + seed + " failed at " + step[0] + "; replay with -D"
          + RocksDbStateStoreDifferentialTest.SEED_PROPERTY + "=" + seed + " -Dtest=" + getClass().getSimpleName(), failure);
    }
  }

  private void run(Random random, String[] step) throws Exception {
    int[] bounds = {0, SMALL_BOUND, RecentRecords.entriesMax};
    List<RocksDbStateStore> stores = openAll(bounds);
    Map<String, byte[]> model = new HashMap<>();
    long index = 0;
    try {
      for (int t = 1; t <= TRANSACTIONS; t++) {
        List<StateTransaction> txs = new ArrayList<>();
        for (RocksDbStateStore store : stores) {
          txs.add(store.begin());
        }
        Map<String, byte[]> working = new HashMap<>(model);
        boolean nodeLocal = random.nextInt(10) == 0;
        int ops = 1 + random.nextInt(8);
        for (int op = 0; op < ops; op++) {
          String namespace = nodeLocal ? "node/epochs" : NAMESPACES.get(random.nextInt(2));
          byte[] key = Hashes.utf8("k" + random.nextInt(KEYS_PER_NAMESPACE));
          String name = namespace + "/" + new String(key, java.nio.charset.StandardCharsets.UTF_8);
          int choice = random.nextInt(10);
          step[0] = "transaction " + t + " op " + op + " (" + name + ")";
          if (choice < 4) {
            // Reads first, as apps do before they write: these fill the cache.
            for (StateTransaction tx : txs) {
              assertSame(tx.get(namespace, key), working.get(name));
            }
          } else if (choice < 8) {
            byte[] value = new byte[random.nextInt(24)];
            random.nextBytes(value);
            for (StateTransaction tx : txs) {
              tx.put(namespace, key, value);
            }
            working.put(name, value);
          } else {
            for (StateTransaction tx : txs) {
              tx.delete(namespace, key);
            }
            working.remove(name);
          }
        }
        int end = random.nextInt(10);
        if (end == 0) {
          step[0] = "transaction " + t + " abandoned";
          continue;
        }
        step[0] = "transaction " + t + " commit";
        for (StateTransaction tx : txs) {
          if (nodeLocal) {
            tx.commitNodeLocal();
          } else {
            tx.commit(index + 1);
          }
        }
        if (!nodeLocal) {
          index++;
        }
        model = working;
        step[0] = "after transaction " + t;
        checkAll(stores, model, index);
        if (t % REOPEN_EVERY_TRANSACTIONS == 0) {
          step[0] = "reopen after transaction " + t;
          closeAll(stores);
          stores = openAll(bounds);
          checkAll(stores, model, index);
        }
      }
    } finally {
      closeAll(stores);
    }
  }

  @Test
  void aStoreReopenedAfterCachedWritesMeasuresTheSameRoot() throws Exception {
    // Proves open's recomputation over every record (measureRoot) agrees with a root kept through the cache, for the exactly-once pattern: a session record rewritten by every put, results deleted a while after they were written.
    Path path = dir.resolve("sessions");
    byte[] client = Hashes.utf8("client-1");
    StateRoot before;
    try (RocksDbStateStore store = RocksDbStateStore.open(path, RocksDbStateStoreTest.SECRET)) {
      for (long sequence = 1; sequence <= 600; sequence++) {
        StateTransaction tx = store.begin();
        tx.get("app/sessions", client);
        tx.put("app/sessions", client, Hashes.u64(sequence));
        byte[] result = Hashes.u64(sequence);
        assertThat(tx.get("app/results", result)).isEmpty();
        tx.put("app/results", result, Hashes.utf8("result " + sequence));
        if (sequence > 64) {
          byte[] forgotten = Hashes.u64(sequence - 64);
          assertThat(tx.get("app/results", forgotten)).isPresent();
          tx.delete("app/results", forgotten);
        }
        tx.commit(sequence);
      }
      assertThat(store.recentRecords().size()).isPositive();
      before = store.root();
      assertThat(before.matches(store.records().measureRoot(store.appliedIndex()))).isTrue();
    }
    try (RocksDbStateStore reopened = RocksDbStateStore.open(path, RocksDbStateStoreTest.SECRET)) {
      assertThat(reopened.root().matches(before)).isTrue();
      assertThat(reopened.root().recordCount()).as("the session, 64 results, the canary").isEqualTo(66);
      assertThat(reopened.get("app/sessions", client)).hasValueSatisfying(v -> assertThat(v).isEqualTo(Hashes.u64(600)));
    }
  }

  @Test
  void evictionKeepsTheRootRight() throws Exception {
    // Proves a cache bounded far below the locations written still keeps the root equal to its recomputation, through overwrites and deletes of evicted and cached records.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("evict"), RocksDbStateStoreTest.SECRET, 4)) {
      long index = 0;
      for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
          StateTransaction tx = store.begin();
          byte[] key = Hashes.utf8("k" + i);
          tx.get("app/kv", key);
          if (round == 2 && i % 2 == 0) {
            tx.delete("app/kv", key);
          } else {
            tx.put("app/kv", key, Hashes.utf8("round " + round));
          }
          tx.commit(++index);
          assertThat(store.recentRecords().size()).isLessThanOrEqualTo(4);
        }
      }
      assertThat(store.root().recordCount()).as("50 keys, the canary").isEqualTo(51);
      assertThat(store.root().matches(store.records().measureRoot(store.appliedIndex()))).isTrue();
      assertThat(store.begin().get("app/kv", Hashes.utf8("k1"))).hasValueSatisfying(
          v -> assertThat(v).isEqualTo(Hashes.utf8("round 2")));
      assertThat(store.begin().get("app/kv", Hashes.utf8("k0"))).isEmpty();
    }
  }

  @Test
  void queriesNeitherFillNorReadTheCache() throws Exception {
    // Proves reads from other threads (StateStore.get, as queries call it) leave the cache alone, so they cannot put a value there that a concurrent commit has replaced.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("queries"), RocksDbStateStoreTest.SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/kv", Hashes.utf8("a"), Hashes.utf8("1"));
      tx.commit(1);
      int cached = store.recentRecords().size();
      assertThat(store.get("app/kv", Hashes.utf8("a"))).isPresent();
      assertThat(store.get("app/kv", Hashes.utf8("b"))).isEmpty();
      assertThat(store.recentRecords().size()).isEqualTo(cached);
      assertThat(store.begin().get("app/kv", Hashes.utf8("b"))).isEmpty();
      assertThat(store.recentRecords().size()).as("a transaction's read of an absent key is kept").isEqualTo(cached + 1);
    }
  }

  /**
   * A store per bound, and one more without the cache whose namespaces are all indexed, so that
   * its reads and digest updates of absent keys are answered by the key index.
   */
  private List<RocksDbStateStore> openAll(int[] bounds) throws StateException {
    List<RocksDbStateStore> stores = new ArrayList<>();
    for (int bound : bounds) {
      stores.add(RocksDbStateStore.open(dir.resolve("bound-" + bound), RocksDbStateStoreTest.SECRET, bound));
    }
    RocksDbStateStore indexed = RocksDbStateStore.open(dir.resolve("indexed"), RocksDbStateStoreTest.SECRET, 0);
    StateTransaction tx = indexed.begin();
    for (String namespace : NAMESPACES) {
      tx.index(namespace);
    }
    stores.add(indexed);
    return stores;
  }

  @Test
  void anIndexedNamespaceAnswersReadsOfAbsentKeysWithoutRocksDb() throws Exception {
    // Proves a read of a key an indexed namespace does not hold is answered by the index (no RocksDB read), a key it
    // holds is still read, and records written under keys the index says are new keep the root right.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("index"), RocksDbStateStoreTest.SECRET, 0)) {
      StateTransaction first = store.begin();
      first.put("sys/results", Hashes.utf8("held"), Hashes.utf8("1"));
      first.commit(1);
      StateTransaction tx = store.begin();
      assertThat(tx.get("sys/results", Hashes.utf8("absent-before-index"))).isEmpty();
      assertThat(store.absentReadsAnsweredByIndex).as("not indexed yet: RocksDB answers").isZero();
      tx.index("sys/results");
      assertThat(tx.get("sys/results", Hashes.utf8("new"))).isEmpty();
      assertThat(store.absentReadsAnsweredByIndex).isEqualTo(1);
      assertThat(tx.get("sys/results", Hashes.utf8("held"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(Hashes.utf8("1")));
      assertThat(store.absentReadsAnsweredByIndex).isEqualTo(1);
      tx.put("sys/results", Hashes.utf8("new"), Hashes.utf8("2"));
      tx.put("sys/results", Hashes.utf8("never-read"), Hashes.utf8("3"));
      tx.delete("sys/results", Hashes.utf8("held"));
      tx.commit(2);
      assertThat(store.root().recordCount()).as("two records and the canary").isEqualTo(3);
      assertThat(store.root().matches(store.records().measureRoot(2))).isTrue();
      StateTransaction after = store.begin();
      assertThat(after.get("sys/results", Hashes.utf8("held"))).isEmpty();
      assertThat(after.get("sys/results", Hashes.utf8("never-read"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(Hashes.utf8("3")));
      assertThat(store.scan("sys/results", null, null, 10)).extracting(r -> new String(r.key(), java.nio.charset.StandardCharsets.UTF_8))
          .containsExactly("never-read", "new");
    }
  }

  private static void closeAll(List<RocksDbStateStore> stores) {
    stores.forEach(RocksDbStateStore::close);
  }

  /** Every store: same index and count as the model, its root equal to its files', and every key read alike. */
  private static void checkAll(List<RocksDbStateStore> stores, Map<String, byte[]> model, long index) throws Exception {
    for (RocksDbStateStore store : stores) {
      StateRoot root = store.root();
      assertThat(root.appliedIndex()).isEqualTo(index);
      assertThat(root.recordCount()).as("the model's records and the canary").isEqualTo(model.size() + 1);
      assertThat(root.matches(store.records().measureRoot(index))).as("root of " + store.directory()).isTrue();
      StateTransaction tx = store.begin();
      for (String namespace : NAMESPACES) {
        for (int k = 0; k < KEYS_PER_NAMESPACE; k++) {
          byte[] key = Hashes.utf8("k" + k);
          byte[] expected = model.get(namespace + "/k" + k);
          assertSame(tx.get(namespace, key), expected);
          assertSame(store.get(namespace, key), expected);
        }
      }
    }
  }

  private static void assertSame(Optional<byte[]> actual, byte[] expected) {
    if (expected == null) {
      assertThat(actual).isEmpty();
    } else {
      assertThat(actual).hasValueSatisfying(value -> assertThat(value).isEqualTo(expected));
    }
  }
}
