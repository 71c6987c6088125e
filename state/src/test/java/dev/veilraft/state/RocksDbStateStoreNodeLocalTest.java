package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node-local commits: records that belong to no log entry change without moving the applied index. */
class RocksDbStateStoreNodeLocalTest {
  private static final byte[] SECRET = RocksDbStateStoreTest.filled(32, 9);

  @TempDir Path dir;

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void nodeLocalChangesKeepTheAppliedIndexSurviveReopenAndUpdateScans() throws Exception {
    // Proves a node-local delete and put are written atomically, survive a reopen, leave the
    // applied index alone (so the next entry still commits), and are seen by an existing scan index.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("node/epochs", utf8("1"), utf8("one"));
      tx.put("node/epochs", utf8("2"), utf8("two"));
      tx.put("app/kv", utf8("k"), utf8("v"));
      tx.commit(5);
      assertThat(store.scan("node/epochs", null, null, 10)).hasSize(2);

      StateTransaction local = store.begin();
      local.delete("node/epochs", utf8("1"));
      local.put("node/epochs", utf8("3"), utf8("three"));
      local.commitNodeLocal();
      assertThat(store.appliedIndex()).isEqualTo(5);
      assertThat(store.get("node/epochs", utf8("1"))).isEmpty();
      assertThat(store.scan("node/epochs", null, null, 10)).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
          .containsExactly("2", "3");

      StateTransaction next = store.begin();
      next.put("app/kv", utf8("k"), utf8("v2"));
      next.commit(6);
    }
    try (RocksDbStateStore reopened = RocksDbStateStore.open(dir, SECRET)) {
      assertThat(reopened.appliedIndex()).isEqualTo(6);
      assertThat(reopened.get("node/epochs", utf8("1"))).isEmpty();
      assertThat(reopened.get("node/epochs", utf8("3"))).contains(utf8("three"));
    }
  }

  @Test
  void aNodeLocalCommitTouchingReplicatedStateIsRefusedAndWritesNothing() throws Exception {
    // Proves replicated records can never change outside a log entry through this path.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir, SECRET)) {
      StateTransaction tx = store.begin();
      tx.put("node/epochs", utf8("1"), utf8("one"));
      tx.put("app/kv", utf8("k"), utf8("v"));
      assertThatThrownBy(tx::commitNodeLocal).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("app/kv");
      assertThat(store.get("node/epochs", utf8("1"))).isEmpty();
      assertThat(store.appliedIndex()).isZero();
    }
  }
}
