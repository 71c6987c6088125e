package dev.veilraft.state;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbStateStoreTest {
  static final byte[] SECRET = filled(32, 7);

  @TempDir Path dir;

  static byte[] filled(int length, int value) {
    byte[] bytes = new byte[length];
    Arrays.fill(bytes, (byte) value);
    return bytes;
  }

  static byte[] utf8(String s) {
    return s.getBytes(UTF_8);
  }

  @Test
  void putGetAndDeleteRoundTripAcrossNamespaces() throws Exception {
    // Proves committed puts and deletes read back, and that the same key in two namespaces is two records.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/a", utf8("k"), utf8("value-a"));
      tx.put("app/b", utf8("k"), utf8("value-b"));
      tx.put("app/a", utf8("empty"), new byte[0]);
      tx.commit(1);
      assertThat(store.get("app/a", utf8("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("value-a")));
      assertThat(store.get("app/b", utf8("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("value-b")));
      assertThat(store.get("app/a", utf8("empty"))).hasValueSatisfying(v -> assertThat(v).isEmpty());
      assertThat(store.get("app/c", utf8("k"))).isEmpty();

      StateTransaction delete = store.begin();
      delete.delete("app/a", utf8("k"));
      delete.commit(2);
      assertThat(store.get("app/a", utf8("k"))).isEmpty();
      assertThat(store.get("app/b", utf8("k"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("value-b")));
    }
  }

  @Test
  void namespaceAndKeyBoundariesDoNotCollide() throws Exception {
    // Proves the length prefix keeps ("app/a", "bc") and ("app/ab", "c") in separate records.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("app/a", utf8("bc"), utf8("first"));
      tx.put("app/ab", utf8("c"), utf8("second"));
      tx.commit(1);
      assertThat(store.get("app/a", utf8("bc")).orElseThrow()).isEqualTo(utf8("first"));
      assertThat(store.get("app/ab", utf8("c")).orElseThrow()).isEqualTo(utf8("second"));
    }
  }

  @Test
  void transactionReadsItsOwnWrites() throws Exception {
    // Proves reads inside a transaction see its pending puts and deletes over the committed state.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction setup = store.begin();
      setup.put("app/x", utf8("committed"), utf8("old"));
      setup.commit(1);

      StateTransaction tx = store.begin();
      tx.put("app/x", utf8("fresh"), utf8("new"));
      tx.delete("app/x", utf8("committed"));
      assertThat(tx.get("app/x", utf8("fresh")).orElseThrow()).isEqualTo(utf8("new"));
      assertThat(tx.get("app/x", utf8("committed"))).isEmpty();
      tx.put("app/x", utf8("fresh"), utf8("newer"));
      assertThat(tx.get("app/x", utf8("fresh")).orElseThrow()).isEqualTo(utf8("newer"));
      assertThat(tx.get("app/x", utf8("absent"))).isEmpty();
    }
  }

  @Test
  void uncommittedChangesAreInvisible() throws Exception {
    // Proves nothing a transaction does reaches the store before commit, and an abandoned one never does.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction abandoned = store.begin();
      abandoned.put("app/x", utf8("k"), utf8("never"));
      assertThat(store.get("app/x", utf8("k"))).isEmpty();

      StateTransaction next = store.begin();
      next.put("app/x", utf8("other"), utf8("v"));
      next.commit(1);
      assertThat(store.get("app/x", utf8("k"))).isEmpty();
      assertThat(store.begin().get("app/x", utf8("k"))).isEmpty();
    }
  }

  @Test
  void appliedIndexAndValuesSurviveReopen() throws Exception {
    // Proves the applied index starts at 0 and persists with the entry's changes across close and reopen.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(store.appliedIndex()).isZero();
      StateTransaction tx = store.begin();
      tx.put("app/x", utf8("k"), utf8("v"));
      tx.commit(5);
      StateTransaction empty = store.begin();
      empty.commit(9);
      assertThat(store.appliedIndex()).isEqualTo(9);
    }
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(store.appliedIndex()).isEqualTo(9);
      assertThat(store.get("app/x", utf8("k")).orElseThrow()).isEqualTo(utf8("v"));
    }
  }

  @Test
  void aReadThatSawAnEntrysChangeIsCoveredByTheReadIndexBoundReadAfterIt() throws Exception {
    // Proves readIndexBound is an upper bound for point reads racing the apply thread's commits.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      int entries = 3_000;
      AtomicReference<String> violation = new AtomicReference<>();
      java.util.concurrent.atomic.AtomicBoolean done = new AtomicBoolean();
      Thread reader = new Thread(() -> {
        try {
          while (!done.get() && violation.get() == null) {
            Optional<byte[]> seen = store.get("app/x", utf8("k"));
            long bound = store.readIndexBound();
            long written = seen.map(v -> ByteBuffer.wrap(v).getLong()).orElse(0L);
            if (written > bound) {
              violation.set("saw entry " + written + " but the bound read after it was " + bound);
            }
          }
        } catch (StateException e) {
          violation.set(e.toString());
        }
      });
      reader.start();
      for (long index = 1; index <= entries; index++) {
        StateTransaction tx = store.begin();
        tx.put("app/x", utf8("k"), ByteBuffer.allocate(8).putLong(index).array());
        tx.commit(index);
      }
      done.set(true);
      reader.join(30_000);
      assertThat(violation.get()).isNull();
      assertThat(store.readIndexBound()).isEqualTo(store.appliedIndex()).isEqualTo(entries);
    }
  }

  @Test
  void commitOfNonIncreasingIndexIsRefused() throws Exception {
    // Proves commit refuses an index at or below the applied index and then writes nothing.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      assertThatThrownBy(() -> store.begin().commit(0))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("applied index must increase");
      StateTransaction first = store.begin();
      first.commit(3);

      StateTransaction same = store.begin();
      same.put("app/x", utf8("k"), utf8("v"));
      assertThatThrownBy(() -> same.commit(3)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("commit of entry 3 after entry 3");
      assertThatThrownBy(() -> same.commit(2)).isInstanceOf(IllegalStateException.class);
      assertThat(store.appliedIndex()).isEqualTo(3);
      assertThat(store.get("app/x", utf8("k"))).isEmpty();
    }
  }

  @Test
  void committedTransactionCannotBeReused() throws Exception {
    // Proves a transaction belongs to exactly one entry: after commit it refuses every call.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.commit(1);
      assertThatThrownBy(() -> tx.put("app/x", utf8("k"), utf8("v"))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> tx.get("app/x", utf8("k"))).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(() -> tx.commit(2)).isInstanceOf(IllegalStateException.class);
    }
  }

  /** Counts an entry's writes and writes the count once, when the entry commits. */
  private static final class WriteCounter implements StateTransaction.Attachment {
    int writes;

    @Override
    public void beforeCommit(StateTransaction tx) throws StateException {
      writes++;
      tx.put("app/x", utf8("writes"), utf8(Integer.toString(writes)));
    }
  }

  @Test
  void anAttachmentIsOnePerTransactionAndWritesOnceBeforeTheCommit() throws Exception {
    // Proves attachment() hands back the same object within a transaction, a new one in the next,
    // and that its beforeCommit runs once, its writes landing with the entry's own.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      WriteCounter counter = tx.attachment(WriteCounter.class, WriteCounter::new);
      assertThat(tx.attachment(WriteCounter.class, WriteCounter::new)).isSameAs(counter);
      tx.put("app/x", utf8("k"), utf8("v"));
      tx.commit(1);
      assertThat(counter.writes).isEqualTo(1);
      assertThat(store.get("app/x", utf8("writes"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("1")));
      assertThat(store.appliedIndex()).isEqualTo(1);

      StateTransaction next = store.begin();
      assertThat(next.attachment(WriteCounter.class, WriteCounter::new)).isNotSameAs(counter);
      assertThatThrownBy(() -> tx.attachment(WriteCounter.class, WriteCounter::new))
          .isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void attachmentsWriteOnceEvenWhenTheCommitIsTriedAgainAndNoneIsMadeAfterwards() throws Exception {
    // Proves a commit refused after the attachments wrote (index not above the applied one) and then retried
    // does not run them twice, and an attachment wanted once they ran (its writes would be lost) is refused.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      store.begin().commit(1);
      StateTransaction tx = store.begin();
      WriteCounter counter = tx.attachment(WriteCounter.class, WriteCounter::new);
      assertThatThrownBy(() -> tx.commit(1)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("after entry 1");
      assertThatThrownBy(() -> tx.attachment(WriteCounter.class, WriteCounter::new))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("would be lost");
      tx.commit(2);
      assertThat(counter.writes).isEqualTo(1);
      assertThat(store.get("app/x", utf8("writes"))).hasValueSatisfying(v -> assertThat(v).isEqualTo(utf8("1")));

      StateTransaction nested = store.begin();
      nested.attachment(StateTransaction.Attachment.class,
          () -> t -> t.attachment(WriteCounter.class, WriteCounter::new));
      assertThatThrownBy(() -> nested.commit(3)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("would be lost");
      assertThat(store.appliedIndex()).isEqualTo(2);
    }
  }

  @Test
  void limitsAreEnforcedWithNamedErrors() throws Exception {
    // Proves namespaces, keys and values outside their limits are refused with the limit's name, and the limits themselves are accepted.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      for (String bad : new String[] {"", "App", "app kv", "a".repeat(65), "app.kv"}) {
        assertThatThrownBy(() -> tx.put(bad, utf8("k"), utf8("v")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespaceLengthMax 64");
      }
      assertThatThrownBy(() -> store.get("_meta", utf8("canary")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reserved");
      assertThatThrownBy(() -> tx.put("app/x", new byte[4097], utf8("v")))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keySizeBytesMax 4096");
      assertThatThrownBy(() -> tx.put("app/x", utf8("k"), new byte[4 * 1024 * 1024 + 1]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("valueSizeBytesMax 4194304");

      byte[] largestKey = filled(4096, 1);
      byte[] largestValue = filled(4 * 1024 * 1024, 2);
      tx.put("a".repeat(64), largestKey, largestValue);
      tx.commit(1);
      assertThat(store.get("a".repeat(64), largestKey).orElseThrow()).isEqualTo(largestValue);
    }
  }

  @Test
  void namespaceCheckAgreesWithTheNamespaceRegex() {
    // Proves the regex-free namespace check accepts exactly what [a-z0-9/_-]{1,64} matches, over every ASCII character, lengths 0..65 and a seeded random sample.
    java.util.List<String> candidates = new java.util.ArrayList<>(java.util.List.of("", "a".repeat(64), "a".repeat(65),
        "app/kv", "sys/session-results", "x_y-z/0", "A", "é", "app\u0000"));
    for (char c = 0; c < 128; c++) {
      candidates.add(String.valueOf(c));
      candidates.add("ns" + c + "x");
    }
    java.util.Random random = new java.util.Random(9);
    String alphabet = "abz09/_-A.: \u00e9";
    for (int i = 0; i < 2_000; i++) {
      StringBuilder name = new StringBuilder();
      for (int n = random.nextInt(67); n > 0; n--) {
        name.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      candidates.add(name.toString());
    }
    for (String candidate : candidates) {
      assertThat(RocksDbStateStore.validNamespace(candidate)).as(candidate)
          .isEqualTo(RocksDbStateStore.NAMESPACE.matcher(candidate).matches());
    }
  }

  @Test
  void wrongSizedSecretAndClosedStoreAreRefused() throws Exception {
    // Proves a storage secret must be 32 bytes, and a closed store refuses reads instead of touching freed memory.
    assertThatThrownBy(() -> RocksDbStateStore.open(dir, new byte[16]))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("storage secret");
    RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET);
    store.close();
    store.close();
    assertThatThrownBy(() -> store.get("app/x", utf8("k")))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void readersOnOtherThreadsSeeOnlyCommittedProgress() throws Exception {
    // Proves get is safe from another thread while the apply thread commits, and never observes a value going backwards.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      AtomicBoolean done = new AtomicBoolean();
      CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
        long last = -1;
        long reads = 0;
        while (!done.get() || reads == 0) {
          try {
            Optional<byte[]> value = store.get("app/x", utf8("counter"));
            long seen = value.map(v -> Long.parseLong(new String(v, UTF_8))).orElse(-1L);
            assertThat(seen).isGreaterThanOrEqualTo(last);
            last = seen;
            reads++;
          } catch (StateException e) {
            throw new AssertionError(e);
          }
        }
        return reads;
      });
      for (long index = 1; index <= 300; index++) {
        StateTransaction tx = store.begin();
        tx.put("app/x", utf8("counter"), utf8(Long.toString(index)));
        tx.commit(index);
      }
      done.set(true);
      assertThat(reader.get()).isPositive();
      assertThat(store.get("app/x", utf8("counter")).orElseThrow()).isEqualTo(utf8("300"));
    }
  }
}
