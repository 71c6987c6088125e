package dev.veilraft.crypto.seal;

import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.locks.StampedLock;
import java.util.function.Function;

/**
 * The session keys a replica exported in one epoch, erased with that epoch's secret: {@link #erase}
 * zeroes every request key and response secret it {@link #adopt}ed and, from then on, refuses to
 * derive from one ({@link EpochSecretsErasedException}). A session's response secret outlives its
 * place in {@link SessionKeyCache}: an unsealed answer in Ratis' retry cache keeps it to seal later
 * ({@link SessionSealing.ResponseKeyLater}), and that secret derives the key of every answer of the
 * session, so it must not survive the erasure in a usable form.
 *
 * <p>Keys are held weakly: a session nobody references any more leaves by itself. A derivation
 * holds the read lock while it reads a secret, so an erasure never zeroes a secret half-way through
 * a derivation (a key from a partly zeroed secret would be guessable). Thread-safe.
 */
final class EpochSessions {
  private final long epoch;
  /** Read: a derivation (or a look at {@link #erased}); write: the set and the erasure. Never re-entered. */
  private final StampedLock lock = new StampedLock();
  /** Guarded by the write lock (the read lock only reads {@link #erased}). */
  private final Set<byte[]> keys = Collections.newSetFromMap(new WeakHashMap<>());
  private boolean erased;

  EpochSessions(long epoch) {
    this.epoch = epoch;
  }

  /** An epoch already erased: everything adopted is zeroed at once and nothing derives. */
  static EpochSessions erased(long epoch) {
    EpochSessions sessions = new EpochSessions(epoch);
    sessions.erase();
    return sessions;
  }

  /** Takes a session's exported keys into this epoch's erasure: zeroed now if it already ran. */
  void adopt(SessionSealing.SessionKeys session) {
    long stamp = lock.writeLock();
    try {
      if (erased) {
        zero(session.requestKey());
        zero(session.responseSecret());
      } else {
        keys.add(session.requestKey());
        keys.add(session.responseSecret());
      }
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  /**
   * {@code derivation} of {@code secret} (one this epoch adopted), with the secret intact for its
   * whole run.
   *
   * @throws EpochSecretsErasedException once this epoch was erased
   */
  <T> T derive(byte[] secret, Function<byte[], T> derivation) {
    long stamp = lock.readLock();
    try {
      if (erased) {
        throw new EpochSecretsErasedException(epoch);
      }
      return derivation.apply(secret);
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** Zeroes every key adopted so far and refuses every later derivation; waits for derivations in progress. */
  void erase() {
    long stamp = lock.writeLock();
    try {
      erased = true;
      for (byte[] key : keys) {
        zero(key);
      }
      keys.clear();
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  boolean isErased() {
    long stamp = lock.readLock();
    try {
      return erased;
    } finally {
      lock.unlockRead(stamp);
    }
  }

  /** Keys adopted and not yet collected or erased (tests). */
  int held() {
    long stamp = lock.writeLock();
    try {
      return keys.size();
    } finally {
      lock.unlockWrite(stamp);
    }
  }

  private static void zero(byte[] key) {
    Arrays.fill(key, (byte) 0);
  }
}
