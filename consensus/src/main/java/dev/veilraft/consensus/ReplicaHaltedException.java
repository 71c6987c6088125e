package dev.veilraft.consensus;

/**
 * This replica cannot apply an entry the way its peers do (its store does not authenticate, it
 * lacks an epoch secret it must hold). It stops rather than diverge; the message says why.
 */
public class ReplicaHaltedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ReplicaHaltedException(String message, Throwable cause) {
    super(message, cause);
  }

  public ReplicaHaltedException(String message) {
    super(message);
  }
}
