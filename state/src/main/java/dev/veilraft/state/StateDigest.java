package dev.veilraft.state;

import dev.veilraft.crypto.Check;
import java.security.MessageDigest;

/**
 * A multiset hash of a store's records: the sum, mod 2^256, of each record's keyed hash (see
 * {@link RecordHasher}). Adding a record adds its hash, removing it subtracts it, so a commit
 * updates the digest in time proportional to its own changes, and a full recomputation at open
 * must land on the same value whatever the order of the records.
 *
 * <p>Why a plain sum is enough here: the element hashes are HMACs under a key that never leaves
 * the TEE, so the host cannot compute any of them and cannot search for a multiset with the same
 * sum (this is MSet-Add-Hash of Clarke et al., "Incremental Multiset Hash Functions and Their
 * Application to Memory Integrity Checking", 2003). Unkeyed constructions such as Facebook's
 * LtHash need 2048-byte lattice vectors because anyone can compute their element hashes. An
 * attacker who swaps stored records for ones it saw earlier makes the digest move by a difference
 * of pseudorandom 256-bit values, which is zero with probability about 2^-255.
 *
 * <p>Mutable and not thread-safe: {@link RocksDbStateStore} changes it only under its commit lock.
 */
final class StateDigest {
  static final int BYTES = 32;
  private static final int LIMBS = BYTES / Long.BYTES;

  /** The 256-bit sum as four 64-bit limbs, most significant first (big-endian, like {@link #toBytes}). */
  private final long[] limbs = new long[LIMBS];

  /** The digest of no records. */
  static StateDigest empty() {
    return new StateDigest();
  }

  static StateDigest fromBytes(byte[] bytes) {
    Check.length(bytes, BYTES, "state digest");
    StateDigest digest = new StateDigest();
    for (int limb = 0; limb < LIMBS; limb++) {
      digest.limbs[limb] = readLong(bytes, limb * Long.BYTES);
    }
    return digest;
  }

  StateDigest copy() {
    StateDigest copy = new StateDigest();
    System.arraycopy(limbs, 0, copy.limbs, 0, LIMBS);
    return copy;
  }

  /** Adds one record's hash ({@value #BYTES} bytes, read as a big-endian number). */
  void add(byte[] element) {
    Check.invariant(element.length == BYTES, "a record hash is " + BYTES + " bytes");
    long carry = 0;
    for (int limb = LIMBS - 1; limb >= 0; limb--) {
      long term = readLong(element, limb * Long.BYTES);
      long sum = limbs[limb] + term;
      long carryOut = Long.compareUnsigned(sum, limbs[limb]) < 0 ? 1 : 0;
      long withCarry = sum + carry;
      if (withCarry == 0 && carry == 1) {
        carryOut = 1;
      }
      limbs[limb] = withCarry;
      carry = carryOut;
    }
  }

  /** Subtracts one record's hash: the inverse of {@link #add}. */
  void remove(byte[] element) {
    Check.invariant(element.length == BYTES, "a record hash is " + BYTES + " bytes");
    long borrow = 0;
    for (int limb = LIMBS - 1; limb >= 0; limb--) {
      long term = readLong(element, limb * Long.BYTES);
      long difference = limbs[limb] - term;
      long borrowOut = Long.compareUnsigned(limbs[limb], term) < 0 ? 1 : 0;
      long withBorrow = difference - borrow;
      if (difference == 0 && borrow == 1) {
        borrowOut = 1;
      }
      limbs[limb] = withBorrow;
      borrow = borrowOut;
    }
  }

  byte[] toBytes() {
    byte[] bytes = new byte[BYTES];
    for (int limb = 0; limb < LIMBS; limb++) {
      long value = limbs[limb];
      for (int i = 0; i < Long.BYTES; i++) {
        bytes[limb * Long.BYTES + i] = (byte) (value >>> (56 - 8 * i));
      }
    }
    return bytes;
  }

  /** Compares in time independent of where the digests differ. */
  boolean sameAs(StateDigest other) {
    return MessageDigest.isEqual(toBytes(), other.toBytes());
  }

  private static long readLong(byte[] bytes, int at) {
    long value = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      value = value << 8 | (bytes[at + i] & 0xffL);
    }
    return value;
  }
}
