package dev.veilraft.consensus;

import dev.veilraft.state.StateException;

/**
 * This replica cannot apply an entry the way its peers do (its store does not authenticate, it
 * lacks an epoch secret it must hold, its disk refused the write). It stops rather than diverge;
 * the message says why.
 */
public class ReplicaHaltedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final boolean diskFailure;

  public ReplicaHaltedException(String message, Throwable cause) {
    super(message, cause);
    this.diskFailure = cause instanceof StateException s && s.isDiskFailure();
  }

  public ReplicaHaltedException(String message) {
    super(message);
    this.diskFailure = false;
  }

  /** Whether the halt came from this node's disk refusing a write or read ({@link StateException#isDiskFailure}). */
  public boolean isDiskFailure() {
    return diskFailure;
  }
}
