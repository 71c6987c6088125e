package dev.veilraft.consensus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.veilraft.consensus.proto.LogEntry;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** Reading {@code LogEntry.replied_call_ids} without parsing the entry ({@link RepliedCalls}). */
class RepliedCallsTest {
  private static LogEntry.Builder entry() {
    return LogEntry.newBuilder().setLeaderTimeMs(1_700_000_000_000L).setProposal(ByteString.copyFrom(new byte[300]));
  }

  @Test
  void readsTheIdsAsTheLeaderWroteThemAroundTheProposal() {
    // Proves the ids come back in order, large values included, with the proposal before them skipped, and
    // that an entry without any (every entry before this field, and most at 1 in flight) gives none.
    long[] ids = {0, 1, 127, 128, 1L << 40, -1L};
    byte[] bytes = entry().addAllRepliedCallIds(Arrays.stream(ids).boxed().toList()).build().toByteArray();
    assertThat(RepliedCalls.in(bytes)).containsExactly(ids);
    assertThat(RepliedCalls.in(entry().build().toByteArray())).isEmpty();
    assertThat(RepliedCalls.in(new byte[0])).isEmpty();
  }

  @Test
  void readsUnpackedIdsAndFieldsInAnyOrder() throws Exception {
    // Proves a writer that does not pack the repeated field (proto parsers must accept both), and one that
    // writes it before the other fields, still gives every id.
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CodedOutputStream coded = CodedOutputStream.newInstance(out);
    coded.writeUInt64(LogEntry.REPLIED_CALL_IDS_FIELD_NUMBER, 7);
    coded.writeBytes(LogEntry.PROPOSAL_FIELD_NUMBER, ByteString.copyFrom(new byte[40]));
    coded.writeUInt64(LogEntry.REPLIED_CALL_IDS_FIELD_NUMBER, 9);
    coded.writeUInt64(LogEntry.LEADER_TIME_MS_FIELD_NUMBER, 5);
    coded.flush();
    assertThat(LogEntry.parseFrom(out.toByteArray()).getRepliedCallIdsList()).containsExactly(7L, 9L);
    assertThat(RepliedCalls.in(out.toByteArray())).containsExactly(7, 9);
  }

  @Test
  void theLeaderCopiesAtMostTheBound() {
    // Proves the leader's copy of a request's replied call ids stops at REPLIED_CALL_IDS_MAX (a Ratis client
    // may name more), keeping the first ones in order, and that an empty list adds nothing.
    LogEntry.Builder entry = entry();
    RepliedCalls.copyInto(entry, LongStream.range(0, 2L * Limits.REPLIED_CALL_IDS_MAX).boxed().toList());
    assertThat(entry.getRepliedCallIdsList()).hasSize(Limits.REPLIED_CALL_IDS_MAX).startsWith(0L, 1L, 2L)
        .endsWith((long) Limits.REPLIED_CALL_IDS_MAX - 1);
    LogEntry.Builder none = entry();
    RepliedCalls.copyInto(none, java.util.List.of());
    assertThat(none.build().toByteArray()).isEqualTo(entry().build().toByteArray());
  }

  @Test
  void readsAtMostTheBoundFromALongerList() {
    // Proves an entry from a leader that copied more ids than the bound (a faulty one) costs a member at most
    // REPLIED_CALL_IDS_MAX lookups: the first ones are read, the rest ignored.
    long[] ids = LongStream.range(1000, 1000 + 3L * Limits.REPLIED_CALL_IDS_MAX).toArray();
    byte[] bytes = entry().addAllRepliedCallIds(Arrays.stream(ids).boxed().toList()).build().toByteArray();
    assertThat(RepliedCalls.in(bytes)).containsExactly(Arrays.copyOf(ids, Limits.REPLIED_CALL_IDS_MAX));
  }

  @Test
  void readsEveryRunOfThePackedFieldAndWhatFollowsACappedOne() throws Exception {
    // Proves two packed runs of the field (a concatenation of two encodings, which parsers merge) both count,
    // and that a run cut at the bound is skipped whole, so a run after it is read from its start (and ignored
    // for the bound) without misreading its bytes as tags.
    byte[] first = entry().addAllRepliedCallIds(Arrays.asList(1L, 2L)).build().toByteArray();
    byte[] second = LogEntry.newBuilder().addAllRepliedCallIds(Arrays.asList(3L, 4L)).build().toByteArray();
    byte[] both = java.nio.ByteBuffer.allocate(first.length + second.length).put(first).put(second).array();
    assertThat(LogEntry.parseFrom(both).getRepliedCallIdsList()).containsExactly(1L, 2L, 3L, 4L);
    assertThat(RepliedCalls.in(both)).containsExactly(1, 2, 3, 4);

    long[] many = LongStream.range(0, Limits.REPLIED_CALL_IDS_MAX + 5).toArray();
    byte[] capped = LogEntry.newBuilder().addAllRepliedCallIds(Arrays.stream(many).boxed().toList()).build().toByteArray();
    byte[] after = LogEntry.newBuilder().setLeaderTimeMs(9).addRepliedCallIds(7).build().toByteArray();
    byte[] joined = java.nio.ByteBuffer.allocate(capped.length + after.length).put(capped).put(after).array();
    assertThat(LogEntry.parseFrom(joined).getLeaderTimeMs()).isEqualTo(9);
    assertThat(RepliedCalls.in(joined)).containsExactly(Arrays.copyOf(many, Limits.REPLIED_CALL_IDS_MAX));
  }

  @Test
  void bytesThatAreNotAWellFormedEntryGiveNone() {
    // Proves damaged bytes (cut inside the packed list, a truncated varint, a group wire type, garbage) give
    // no ids and no exception on the apply thread: apply refuses such entries itself, and the list only frees
    // memory.
    byte[] whole = entry().addAllRepliedCallIds(Arrays.asList(300L, 400L, 500L)).build().toByteArray();
    assertThat(RepliedCalls.in(Arrays.copyOf(whole, whole.length - 1))).isEmpty();
    assertThat(RepliedCalls.in(new byte[] {(byte) 0x18, (byte) 0x80})).isEmpty();
    assertThat(RepliedCalls.in(new byte[] {(byte) 0x1b, 0x01})).as("field 3 as a start-group").isEmpty();
    assertThat(RepliedCalls.in(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})).isEmpty();
  }
}
