package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.nio.ByteBuffer;

/**
 * The store's authenticated root: the applied index, how many records the store holds, and the
 * {@link StateDigest} of them, all of them but this root's own record. Kept as one sealed record
 * of the reserved namespace (key {@code state-root}) and rewritten in the WriteBatch of every
 * commit, so on disk the root always describes the committed state next to it.
 *
 * <p>Encoding ({@value #ENCODED_BYTES} bytes): {@code u8 version (1) || u64 applied index || u64
 * record count || 32-byte digest}. The count is redundant with the digest; it is there so that a
 * mismatch can say whether records went missing or appeared, or were swapped for others.
 */
record StateRoot(long appliedIndex, long recordCount, StateDigest digest) {
  static final byte VERSION = 1;
  static final int ENCODED_BYTES = 1 + Long.BYTES + Long.BYTES + StateDigest.BYTES;

  StateRoot {
    Check.invariant(appliedIndex >= 0, "applied index is not negative");
    Check.invariant(recordCount >= 0, "record count is not negative");
  }

  /** The root of a store that holds nothing. */
  static StateRoot empty() {
    return new StateRoot(0, 0, StateDigest.empty());
  }

  byte[] encode() {
    return ByteBuffer.allocate(ENCODED_BYTES).put(VERSION).putLong(appliedIndex).putLong(recordCount)
        .put(digest.toBytes()).array();
  }

  /**
   * Reads a root record's plaintext. It authenticated, so this code wrote it: a bad length or
   * version is a record of another version of veilraft, not an attack.
   *
   * @throws IllegalArgumentException naming what does not fit
   */
  static StateRoot decode(byte[] bytes) {
    Check.argument(bytes.length == ENCODED_BYTES,
        "state root record is " + bytes.length + " bytes, expected " + ENCODED_BYTES);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    byte version = in.get();
    Check.argument(version == VERSION, "state root version " + version + " is not supported (this version reads "
        + VERSION + ")");
    long appliedIndex = in.getLong();
    long recordCount = in.getLong();
    Check.argument(appliedIndex >= 0 && recordCount >= 0, "state root holds a negative index or count");
    byte[] digest = new byte[StateDigest.BYTES];
    in.get(digest);
    return new StateRoot(appliedIndex, recordCount, StateDigest.fromBytes(digest));
  }

  /** Same index, count and digest. */
  boolean matches(StateRoot other) {
    return appliedIndex == other.appliedIndex && recordCount == other.recordCount && digest.sameAs(other.digest);
  }
}
