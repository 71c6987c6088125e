package dev.veilraft.consensus.ratis;

import java.io.IOException;

/**
 * A Raft server refused to start because its log begins after the index Ratis would resume from
 * + 1 (the latest snapshot's, -1 without one) and nothing on the node holds the entries between:
 * its latest snapshot file is missing, or Ratis skips it for its {@code .md5}. The message names
 * the gap, the store's applied index, the snapshot directory and what the operator can do.
 */
public final class RaftLogGapException extends IOException {
  private static final long serialVersionUID = 1L;

  RaftLogGapException(String message) {
    super(message);
  }
}
