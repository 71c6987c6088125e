package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.Hashes;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keyring's lookups and its erasure of old epochs, which its listeners follow. */
class EpochKeyringTest {
  private static EpochSecret secret(long epoch) {
    return EpochSecret.restore(epoch, Hashes.sha256(Hashes.utf8("epoch " + epoch)));
  }

  @Test
  void retainFromForgetsOlderEpochsAndTellsListeners() {
    // Proves retainFrom removes exactly the epochs before its argument, keeps the rest, and every
    // listener hears the epoch even when the keyring itself had nothing older.
    EpochKeyring keyring = new EpochKeyring();
    for (long e = 1; e <= 5; e++) {
      keyring.put(secret(e));
    }
    List<Long> heard = new ArrayList<>();
    keyring.addRetentionListener(heard::add);
    assertThat(keyring.retainFrom(3)).containsExactly(1L, 2L);
    assertThat(keyring.all()).extracting(EpochSecret::epoch).containsExactly(3L, 4L, 5L);
    assertThat(keyring.retainFrom(3)).isEmpty();
    assertThat(heard).containsExactly(3L, 3L);
    assertThat(keyring.oldest()).contains(keyring.get(3).orElseThrow());
    assertThat(keyring.remove(4)).isTrue();
    assertThat(keyring.remove(4)).isFalse();
    assertThatThrownBy(() -> keyring.retainFrom(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void newestAtOrBelowFindsWhereAChainWalkStarts() {
    // Proves the lookup returns the newest held epoch not after the one asked, or nothing.
    EpochKeyring keyring = new EpochKeyring();
    assertThat(keyring.newestAtOrBelow(9)).isEmpty();
    keyring.put(secret(2));
    keyring.put(secret(5));
    assertThat(keyring.newestAtOrBelow(4)).map(EpochSecret::epoch).contains(2L);
    assertThat(keyring.newestAtOrBelow(5)).map(EpochSecret::epoch).contains(5L);
    assertThat(keyring.newestAtOrBelow(1)).isEmpty();
  }
}
