package dev.veilraft.membership;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.EpochSecret;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The epoch secrets this node holds: derived from wraps addressed to it, or received as history
 * when it joined. Node-local (never replicated); each node persists its own, encrypted.
 */
public final class EpochKeyring {
  private final ConcurrentSkipListMap<Long, EpochSecret> secrets = new ConcurrentSkipListMap<>();

  public void put(EpochSecret secret) {
    EpochSecret previous = secrets.putIfAbsent(secret.epoch(), secret);
    Check.invariant(previous == null || previous.matches(secret.keyId()),
        "one secret per epoch, but epoch " + secret.epoch() + " got two");
  }

  public Optional<EpochSecret> get(long epoch) {
    return Optional.ofNullable(secrets.get(epoch));
  }

  public Collection<EpochSecret> all() {
    return List.copyOf(secrets.values());
  }
}
