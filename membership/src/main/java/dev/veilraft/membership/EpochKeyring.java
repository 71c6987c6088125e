package dev.veilraft.membership;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.EpochSecret;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;

/**
 * The epoch secrets this node holds: derived from wraps addressed to it, or received as history
 * when it joined. Node-local (never replicated); each node persists its own, encrypted.
 *
 * <p>Secrets of old epochs are erased once a snapshot covers every entry sealed under them
 * ({@link #retainFrom}). Erasing drops this map's reference; the bytes stay in the Java heap until
 * the collector reuses them ({@link EpochSecret} keeps no way to zero them).
 */
public final class EpochKeyring {
  private final ConcurrentSkipListMap<Long, EpochSecret> secrets = new ConcurrentSkipListMap<>();
  private final List<LongConsumer> retentionListeners = new CopyOnWriteArrayList<>();

  public void put(EpochSecret secret) {
    EpochSecret previous = secrets.putIfAbsent(secret.epoch(), secret);
    Check.invariant(previous == null || previous.matches(secret.keyId()),
        "one secret per epoch, but epoch " + secret.epoch() + " got two");
  }

  public Optional<EpochSecret> get(long epoch) {
    return Optional.ofNullable(secrets.get(epoch));
  }

  /** The secret of the newest epoch at or before {@code epoch} that this node holds. */
  public Optional<EpochSecret> newestAtOrBelow(long epoch) {
    Map.Entry<Long, EpochSecret> entry = secrets.floorEntry(epoch);
    return entry == null ? Optional.empty() : Optional.of(entry.getValue());
  }

  /** The secret of the oldest epoch this node holds. */
  public Optional<EpochSecret> oldest() {
    Map.Entry<Long, EpochSecret> entry = secrets.firstEntry();
    return entry == null ? Optional.empty() : Optional.of(entry.getValue());
  }

  public Collection<EpochSecret> all() {
    return List.copyOf(secrets.values());
  }

  /** Forgets the secret of {@code epoch}; true if this keyring held it. Tells no listener. */
  public boolean remove(long epoch) {
    return secrets.remove(epoch) != null;
  }

  /**
   * Forgets the secrets of every epoch before {@code epoch}, then tells the retention listeners
   * (which erase their own copies) the epoch from which secrets are kept. Returns the epochs
   * forgotten, oldest first. The caller must keep the current epoch and every newer one: {@code
   * epoch} may not exceed the current epoch.
   */
  public List<Long> retainFrom(long epoch) {
    Check.argument(epoch >= 1, "secrets are retained from an epoch of at least 1, got " + epoch);
    List<Long> removed = new ArrayList<>();
    for (Long older : secrets.headMap(epoch).keySet()) {
      if (secrets.remove(older) != null) {
        removed.add(older);
      }
    }
    retentionListeners.forEach(l -> l.accept(epoch));
    return removed;
  }

  /**
   * Registers {@code listener} to hear every {@link #retainFrom} call's epoch (also when nothing
   * was forgotten here: a listener's own copy may still hold older secrets).
   */
  public void addRetentionListener(LongConsumer listener) {
    retentionListeners.add(listener);
  }
}
