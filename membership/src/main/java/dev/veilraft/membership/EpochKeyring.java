package dev.veilraft.membership;

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
    if (previous != null && !previous.matches(secret.keyId())) {
      throw new IllegalStateException("two different secrets for epoch " + secret.epoch());
    }
  }

  public Optional<EpochSecret> get(long epoch) {
    return Optional.ofNullable(secrets.get(epoch));
  }

  public Optional<EpochSecret> latest() {
    var last = secrets.lastEntry();
    return last == null ? Optional.empty() : Optional.of(last.getValue());
  }

  public Collection<EpochSecret> all() {
    return List.copyOf(secrets.values());
  }
}
