package dev.veilraft.consensus.ratis;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Raft server refused to start because its Raft storage lost what the node's store proves it
 * had: its term and vote, or every log entry past its latest snapshot (the storage was deleted,
 * emptied or replaced, and Ratis would format it as new). The message names what was lost, the
 * store's applied index, the storage directory and what the operator can do.
 */
public final class RaftStorageLostException extends IOException {
  private static final long serialVersionUID = 1L;

  private RaftStorageLostException(String message) {
    super(message);
  }

  /** The refusal of a start whose store applied the log up to {@code applied}, the storage at {@code dir} having lost {@code lost}. */
  static RaftStorageLostException of(long applied, Path dir, String lost) {
    return new RaftStorageLostException("cannot start: this node's store has applied the log up to index " + applied
        + ", but its raft storage in " + dir + " has lost " + lost + ". A member that forgot its vote or entries it"
        + " acknowledged can help elect two leaders in one term or overwrite committed entries, so it must not run on"
        + " that storage. If the raft directory was only moved, put it back (an older copy is not safe: it may have"
        + " forgotten votes and entries too); otherwise " + VeilraftStateMachine.REPLACE_NODE_REMEDY);
  }
}
