package dev.veilraft.consensus;

import java.io.IOException;
import java.nio.file.Path;

/** A snapshot file this node refuses to use, with the specific reason and the file it names. */
public final class SnapshotException extends IOException {
  /** Why a snapshot file was refused. */
  public enum Reason {
    /** The file does not start with the snapshot magic. */
    BAD_MAGIC,
    /** A veilraft snapshot of a format version this code does not read. */
    UNSUPPORTED_VERSION,
    /** The file ends before its authenticated trailer. */
    TRUNCATED,
    /**
     * This node does not hold the secret of the epoch the snapshot is sealed under, nor one from
     * which the snapshot's epoch chain leads there.
     */
    NO_EPOCH_SECRET,
    /** The header's epoch chain does not parse, is over its bounds, or a link has a field of the wrong size. */
    CHAIN_MALFORMED,
    /** The epoch chain misses an epoch between its links or before the snapshot's epoch. */
    CHAIN_GAP,
    /** The epoch chain's links are not in ascending epoch order. */
    CHAIN_OUT_OF_ORDER,
    /** A link on this node's way holds no wrap for it: it was not a member of that epoch (e.g. removed). */
    NOT_IN_EPOCH,
    /** This node's wrap in a link does not open with its KEM key. */
    WRAP_NOT_OPENABLE,
    /** A secret this node holds or derived does not match the key id a link commits to (a forged chain). */
    KEY_ID_MISMATCH,
    /** A derived secret matches the key id but not the link's group public key. */
    GROUP_KEY_MISMATCH,
    /** A chunk was sealed under another key than this epoch's snapshot key. */
    WRONG_KEY,
    /** A chunk does not authenticate at its position: altered, dropped, reordered or from another snapshot. */
    CHUNK_NOT_AUTHENTIC,
    /** A frame header (type or length) is out of bounds. */
    MALFORMED_FRAME,
    /** An authenticated chunk holds a record that does not parse or may not be in a snapshot. */
    MALFORMED_RECORD,
    /** The trailer's chunk or record count disagrees with what was read. */
    COUNT_MISMATCH,
    /** Bytes follow the trailer. */
    TRAILING_BYTES,
    /** The header names another term or index than the snapshot's file name. */
    HEADER_MISMATCH
  }

  private final Reason reason;
  private final Path file;

  public SnapshotException(Reason reason, Path file, String detail) {
    super("snapshot " + file + " refused (" + reason + "): " + detail);
    this.reason = reason;
    this.file = file;
  }

  public Reason reason() {
    return reason;
  }

  public Path file() {
    return file;
  }
}
