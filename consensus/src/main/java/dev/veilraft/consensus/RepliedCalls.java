package dev.veilraft.consensus;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.veilraft.consensus.proto.LogEntry;
import java.io.IOException;
import java.util.Arrays;

/**
 * Reads {@code LogEntry.replied_call_ids} from an entry's bytes without parsing the rest: the
 * proposal, which {@link Replica} parses anyway, is skipped, not copied. At most {@link
 * Limits#REPLIED_CALL_IDS_MAX} ids; none from bytes that are not a well-formed entry (apply refuses
 * those as MALFORMED_ENTRY), since the list only frees memory and nothing depends on finding it.
 */
public final class RepliedCalls {
  private static final long[] NONE = new long[0];

  private RepliedCalls() {}

  /** Adds the first {@link Limits#REPLIED_CALL_IDS_MAX} of {@code replied} to the leader's {@code entry}. */
  public static void copyInto(LogEntry.Builder entry, Iterable<Long> replied) {
    for (long callId : replied) {
      if (entry.getRepliedCallIdsCount() == Limits.REPLIED_CALL_IDS_MAX) {
        return;
      }
      entry.addRepliedCallIds(callId);
    }
  }

  /** The replied call ids of the entry {@code entryBytes}, in order, packed or not. */
  public static long[] in(byte[] entryBytes) {
    long[] ids = null;
    int count = 0;
    try {
      CodedInputStream in = CodedInputStream.newInstance(entryBytes);
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (WireFormat.getTagFieldNumber(tag) != LogEntry.REPLIED_CALL_IDS_FIELD_NUMBER) {
          in.skipField(tag);
          continue;
        }
        if (ids == null) {
          ids = new long[Limits.REPLIED_CALL_IDS_MAX];
        }
        if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_VARINT) {
          count = put(ids, count, in.readUInt64());
        } else if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
          int limit = in.pushLimit(in.readRawVarint32());
          while (in.getBytesUntilLimit() > 0 && count < ids.length) {
            count = put(ids, count, in.readUInt64());
          }
          in.skipRawBytes(in.getBytesUntilLimit()); // past the bound: not decoded
          in.popLimit(limit);
        } else {
          return NONE;
        }
      }
    } catch (IOException e) {
      return NONE;
    }
    return count == 0 ? NONE : Arrays.copyOf(ids, count);
  }

  /** Puts {@code id} at {@code count} unless {@code ids} is full (the bound); the new count. */
  private static int put(long[] ids, int count, long id) {
    if (count == ids.length) {
      return count;
    }
    ids[count] = id;
    return count + 1;
  }
}
