package dev.veilraft.crypto.seal;

import dev.veilraft.crypto.CryptoException;

/** A {@link ClientSession} has used every counter; a new session must be started to seal more. */
public final class SessionExhaustedException extends CryptoException {
  private static final long serialVersionUID = 1L;

  SessionExhaustedException(String message) {
    super(message);
  }
}
