package dev.veilraft.crypto.attestation;

import dev.veilraft.crypto.Hashes;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Remembers chains whose structure and signatures verified, keyed by the SHA-256 of their DER
 * (each length-prefixed). The signatures of a chain never change, so the expensive part of
 * verification runs once per chain; validity periods are still checked on every call, at the
 * caller's instant. Only fully verified chains are stored; least recently used ones are dropped
 * past the bound. Thread-safe.
 *
 * @param <V> the verified chain
 */
final class VerifiedChainCache<V> {
  /** One verification of a chain not seen before. */
  interface Verification<V> {
    V verify() throws Rejection;
  }

  private final Map<String, V> chains;

  VerifiedChainCache(int chainsMax) {
    this.chains = new LinkedHashMap<>(16, 0.75f, true) {
      private static final long serialVersionUID = 1L;

      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > chainsMax;
      }
    };
  }

  /** The chain of these DER certificates, verified now or remembered from an earlier call. */
  V verify(List<ByteBuffer> ders, Verification<V> verification) throws Rejection {
    MessageDigest digest = Hashes.newDigest("SHA-256");
    for (ByteBuffer der : ders) {
      digest.update(Hashes.u64(der.remaining()));
      digest.update(der.duplicate());
    }
    String key = Hashes.hex(digest.digest());
    synchronized (chains) {
      V hit = chains.get(key);
      if (hit != null) {
        return hit;
      }
    }
    V verified = verification.verify();
    synchronized (chains) {
      chains.put(key, verified);
    }
    return verified;
  }
}
