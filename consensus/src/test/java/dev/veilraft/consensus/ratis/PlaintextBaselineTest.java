package dev.veilraft.consensus.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The benchmark baseline's entry format: batches of puts round-trip, and malformed entries are refused by name. */
class PlaintextBaselineTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void putsRoundTripInOrder() {
    // Every key and value comes back in the order it was encoded, empty values included.
    byte[] entry = PlaintextBaseline.encodePuts(List.of(utf8("a"), utf8("bb"), utf8("c")),
        List.of(utf8("1"), new byte[0], utf8("333")));
    PlaintextBaseline.Puts puts = PlaintextBaseline.decodePuts(ByteBuffer.wrap(entry));
    assertThat(puts.keys()).containsExactly(utf8("a"), utf8("bb"), utf8("c"));
    assertThat(puts.values()).containsExactly(utf8("1"), new byte[0], utf8("333"));
  }

  @Test
  void encodingRefusesMismatchedOrEmptyBatches() {
    // Keys and values must pair up, and an entry holds at least one put.
    assertThatThrownBy(() -> PlaintextBaseline.encodePuts(List.of(utf8("a")), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 keys and 0 values");
    assertThatThrownBy(() -> PlaintextBaseline.encodePuts(List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 1..");
  }

  @Test
  void malformedEntriesAreRefusedWithTheReason() {
    // Truncated, oversized counts, lengths past the end and trailing bytes each get their own message.
    assertThatThrownBy(() -> PlaintextBaseline.decodePuts(ByteBuffer.wrap(new byte[2])))
        .hasMessageContaining("too short for a put count");
    assertThatThrownBy(() -> PlaintextBaseline.decodePuts(ByteBuffer.allocate(4).putInt(0, 1_000_000)))
        .hasMessageContaining("holds 1000000 puts");
    ByteBuffer longKey = ByteBuffer.allocate(12).putInt(1).putInt(100).putInt(0);
    assertThatThrownBy(() -> PlaintextBaseline.decodePuts(longKey.flip()))
        .hasMessageContaining("key 0 claims 100 bytes");
    byte[] valid = PlaintextBaseline.encodePuts(List.of(utf8("k")), List.of(utf8("v")));
    ByteBuffer trailing = ByteBuffer.allocate(valid.length + 1).put(valid).put((byte) 7);
    assertThatThrownBy(() -> PlaintextBaseline.decodePuts(trailing.flip()))
        .hasMessageContaining("1 bytes after its 1 puts");
  }
}
