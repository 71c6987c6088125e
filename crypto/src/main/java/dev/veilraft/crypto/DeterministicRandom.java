package dev.veilraft.crypto;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A random source for the apply path that every replica reproduces exactly: HMAC-SHA256 in
 * counter mode under a 32-byte seed. Seeded from the committed entry and a key only epoch members
 * hold (see {@code Replica}), its output is the same on every member and unpredictable to anyone
 * outside the group, including the host. Never use it for long-term secrets a single node must
 * own: every member can compute it. Not thread-safe; one instance per entry.
 */
public final class DeterministicRandom {
  public static final int SEED_BYTES = 32;
  /** Bound on the bytes one entry may draw, so a buggy app cannot loop forever on it. */
  public static final long BYTES_PER_SEED_MAX = 1L << 30;

  /** Keyed by the seed on the first draw (most apps never draw). */
  private KeyedHash prf;
  private Supplier<byte[]> seedSource;
  private long counter;
  private final byte[] block = new byte[KeyedHash.OUTPUT_BYTES];
  private int blockUsed = block.length;
  private long drawn;

  private DeterministicRandom(Supplier<byte[]> seedSource) {
    this.seedSource = seedSource;
  }

  public static DeterministicRandom fromSeed(byte[] seed) {
    Check.length(seed, SEED_BYTES, "deterministic random seed");
    DeterministicRandom random = new DeterministicRandom(null);
    random.prf = KeyedHash.fromKey(seed);
    return random;
  }

  /**
   * A source whose seed {@code seedSource} computes on the first draw, if there is one: the same
   * stream as {@code fromSeed(seedSource.get())}, without the seed's cost for an entry that draws
   * nothing.
   */
  public static DeterministicRandom fromSeedWhenDrawn(Supplier<byte[]> seedSource) {
    return new DeterministicRandom(seedSource);
  }

  public void nextBytes(byte[] out) {
    Check.argument(drawn + out.length <= BYTES_PER_SEED_MAX, "drew more than " + BYTES_PER_SEED_MAX
        + " bytes from one deterministic random source");
    if (prf == null) {
      byte[] seed = seedSource.get();
      Check.length(seed, SEED_BYTES, "deterministic random seed");
      prf = KeyedHash.fromKey(seed);
      seedSource = null;
    }
    // Counted only once the source is seeded: a draw whose seed failed drew nothing.
    drawn += out.length;
    for (int i = 0; i < out.length; i++) {
      if (blockUsed == block.length) {
        byte[] next = prf.hash(Hashes.u64(counter++));
        System.arraycopy(next, 0, block, 0, block.length);
        Arrays.fill(next, (byte) 0);
        blockUsed = 0;
      }
      out[i] = block[blockUsed++];
    }
  }

  public byte[] nextBytes(int length) {
    Check.argument(length >= 0, "length must be >= 0, got " + length);
    byte[] out = new byte[length];
    nextBytes(out);
    return out;
  }

  public long nextLong() {
    byte[] bytes = nextBytes(Long.BYTES);
    long value = 0;
    for (byte b : bytes) {
      value = (value << 8) | (b & 0xFF);
    }
    return value;
  }

  /** Uniform in [0, bound), by rejection so no value is favoured. */
  public long nextLong(long bound) {
    Check.argument(bound > 0, "bound must be > 0, got " + bound);
    long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
    while (true) {
      long candidate = nextLong() >>> 1;
      if (candidate < limit) {
        return candidate % bound;
      }
    }
  }
}
