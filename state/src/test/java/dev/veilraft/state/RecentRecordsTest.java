package dev.veilraft.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RecentRecordsTest {
  private static final byte[] ELEMENT = new byte[StateDigest.BYTES];

  @Test
  void keepsTheMostRecentlyUsedLocationsUpToItsBound() {
    // Proves the cache is an LRU of at most its bound: a looked-up location survives, the least recently used goes.
    RecentRecords recent = new RecentRecords(3);
    write(recent, location(1), value(1));
    write(recent, location(2), value(2));
    write(recent, location(3), value(3));
    assertThat(recent.get(location(1))).isNotNull();
    write(recent, location(4), value(4));

    assertThat(recent.size()).isEqualTo(3);
    assertThat(recent.get(location(2))).as("least recently used").isNull();
    assertThat(recent.get(location(1)).value()).isEqualTo(value(1));
    assertThat(recent.get(location(3))).isNotNull();
    assertThat(recent.get(location(4))).isNotNull();
  }

  @Test
  void boundsTheBytesItHolds() {
    // Proves bytesMax holds even when every entry is below recordBytesMax: older entries are evicted to make room.
    RecentRecords recent = new RecentRecords(RecentRecords.entriesMax);
    int valueBytes = RecentRecords.recordBytesMax;
    long fit = RecentRecords.bytesMax / (valueBytes + StateDigest.BYTES + RecentRecords.entryOverheadBytes);
    for (int i = 0; i < fit + 10; i++) {
      write(recent, location(i), new byte[valueBytes]);
    }
    assertThat(recent.size()).isEqualTo((int) fit);
    assertThat(recent.get(location(0))).isNull();
    assertThat(recent.get(location((int) fit + 9))).isNotNull();
  }

  @Test
  void rewritingALocationReplacesItsBytesAndMakesItTheMostRecent() {
    // Proves a replaced entry's bytes leave the bound (rewriting one location many times evicts nothing) and a
    // rewritten location counts as just used.
    RecentRecords recent = new RecentRecords(RecentRecords.entriesMax);
    int valueBytes = RecentRecords.recordBytesMax;
    long fit = RecentRecords.bytesMax / (valueBytes + StateDigest.BYTES + RecentRecords.entryOverheadBytes);
    for (int i = 0; i < fit; i++) {
      write(recent, location(i), new byte[valueBytes]);
    }
    for (int round = 0; round < 100; round++) {
      write(recent, location(0), new byte[valueBytes]);
    }
    assertThat(recent.size()).as("rewrites of one location").isEqualTo((int) fit);
    write(recent, location((int) fit), new byte[valueBytes]);
    assertThat(recent.get(location(0))).as("rewritten last, so not the eldest").isNotNull();
    assertThat(recent.get(location(1))).as("the eldest after the rewrites").isNull();
  }

  @Test
  void aReadIsNotKeptWhenAWriteWasPublishedSinceItBegan() {
    // Proves a read that may predate a write cannot put the older value back after the write's publication.
    RecentRecords recent = new RecentRecords(16);
    long before = recent.generation();
    write(recent, location(10), value(10));
    recent.offerRead(location(9), new byte[] {1}, value(8), before);
    assertThat(recent.get(location(9))).isNull();

    long cleared = recent.generation();
    recent.clear();
    recent.offerRead(location(9), null, null, cleared);
    assertThat(recent.get(location(9))).isNull();

    long now = recent.generation();
    recent.offerRead(location(9), null, null, now);
    assertThat(recent.get(location(9))).isEqualTo(RecentRecords.Entry.ABSENT);
  }

  @Test
  void aReadNeverReplacesWhatTheCacheKnows() {
    // Proves an entry from a write (which knows its digest element) is not replaced by a read of the same location.
    RecentRecords recent = new RecentRecords(16);
    write(recent, location(1), value(1));
    recent.offerRead(location(1), new byte[] {5}, value(1), recent.generation());
    assertThat(recent.get(location(1)).element()).isSameAs(ELEMENT);
    assertThat(recent.get(location(1)).sealed()).isNull();
  }

  @Test
  void largeRecordsAreKeptWithoutTheirBytes() {
    // Proves a record over recordBytesMax costs the cache no more than its digest element.
    RecentRecords recent = new RecentRecords(16);
    byte[] large = new byte[RecentRecords.recordBytesMax + 1];
    write(recent, location(1), large);
    assertThat(recent.get(location(1)).value()).isNull();
    assertThat(recent.get(location(1)).element()).isSameAs(ELEMENT);
    assertThat(recent.get(location(1)).answersReads()).isFalse();

    recent.offerRead(location(2), new byte[16], large, recent.generation());
    assertThat(recent.get(location(2))).isNull();
  }

  @Test
  void nodeLocalValuesAreNeverKept() {
    // Proves the node's own secrets (node-local namespaces) leave no copy in the cache, only their digest element.
    RecentRecords.Entry secret = RecentRecords.Entry.written(StateStore.NODE_LOCAL_PREFIX + "epochs", ELEMENT, value(1));
    assertThat(secret.value()).isNull();
    assertThat(secret.answersReads()).isFalse();
    assertThat(RecentRecords.keepsValuesOf(StateStore.NODE_LOCAL_PREFIX + "epochs")).isFalse();
    assertThat(RecentRecords.keepsValuesOf("app/kv")).isTrue();
  }

  @Test
  void aWrittenValueIsCopied() {
    // Proves a caller that reuses its value array after the write cannot change what the cache answers.
    RecentRecords recent = new RecentRecords(16);
    byte[] value = value(1);
    write(recent, location(1), value);
    value[0] = 99;
    assertThat(recent.get(location(1)).value()).isEqualTo(value(1));
  }

  @Test
  void aBoundOfZeroKeepsNothingAndTheBoundIsChecked() {
    // Proves the switch tests use to compare with and without the cache, and that a bad bound is named.
    RecentRecords off = new RecentRecords(0);
    write(off, location(1), value(1));
    off.offerRead(location(2), null, null, off.generation());
    assertThat(off.size()).isZero();
    assertThatThrownBy(() -> new RecentRecords(RecentRecords.entriesMax + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0.." + RecentRecords.entriesMax);
  }

  private static void write(RecentRecords recent, byte[] location, byte[] value) {
    Map<ByteBuffer, RecentRecords.Entry> changes = new LinkedHashMap<>();
    changes.put(ByteBuffer.wrap(location), RecentRecords.Entry.written("app/kv", ELEMENT, value));
    recent.written(changes);
  }

  private static byte[] location(int i) {
    return ByteBuffer.allocate(RecordCipher.LOCATION_BYTES).putInt(i).array();
  }

  private static byte[] value(int i) {
    return new byte[] {(byte) i, 2, 3};
  }
}
