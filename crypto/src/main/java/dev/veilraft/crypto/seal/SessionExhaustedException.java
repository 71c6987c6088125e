package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;

/**
 * A {@link ClientSession} has used every counter, or was retired and its keys erased; seal in a new
 * (or the current) session instead.
 */
public final class SessionExhaustedException extends CryptoException {
  private static final long serialVersionUID = 1L;

  SessionExhaustedException(String message) {
    super(message);
  }
}
