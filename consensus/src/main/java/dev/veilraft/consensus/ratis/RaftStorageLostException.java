package dev.veilraft.consensus.ratis;

import java.io.IOException;

/**
 * A Raft server refused to start because its Raft storage lost what the node's store proves it
 * had: its term and vote, or every log entry past its latest snapshot (the storage was deleted,
 * replaced or rolled back, and Ratis would format it as new). The message names what was lost,
 * the store's applied index, the storage directory and what the operator can do.
 */
public final class RaftStorageLostException extends IOException {
  private static final long serialVersionUID = 1L;

  RaftStorageLostException(String message) {
    super(message);
  }
}
