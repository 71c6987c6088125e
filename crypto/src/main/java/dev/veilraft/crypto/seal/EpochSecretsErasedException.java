package dev.veilraft.crypto.seal;

/**
 * A key was asked of an epoch whose secrets this replica erased (see {@link SessionKeyCache#forgetEpochsBefore}):
 * what it would derive from is zeroed. Unchecked, since it surfaces from a key supplier: an answer read after
 * its epoch's erasure, which cannot be sealed any more.
 */
public final class EpochSecretsErasedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final long epoch;

  EpochSecretsErasedException(long epoch) {
    super("the secrets of epoch " + epoch + " were erased on this replica");
    this.epoch = epoch;
  }

  /** The erased epoch. */
  public long epoch() {
    return epoch;
  }
}
