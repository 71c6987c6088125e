package dev.veilraft.apps.cashu;

import dev.veilraft.crypto.secp256k1.CashuBdhke;
import java.util.Arrays;

/**
 * Signs and verifies with the keyset keys derived from the group seed. Every private key is
 * derived for one operation and zeroed after it, so none outlives the request; nothing here logs.
 * Deterministic: the DLEQ nonce is derived from the key and the message (NUT-12), so every
 * replica returns byte-identical signatures.
 */
final class MintSigner {
  private final byte[] seed;

  MintSigner(byte[] seed) {
    this.seed = seed.clone();
  }

  /** C_ = k·B_ with its DLEQ proof, for {@code amount} of {@code keyset}. */
  BlindSignature sign(Keyset keyset, byte[] blinded, long amount) {
    byte[] k = Keyset.privateKey(seed, keyset.index(), amount);
    try {
      byte[] c = CashuBdhke.sign(k, blinded);
      CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(k, blinded, c);
      return new BlindSignature(amount, keyset.id(), c, dleq.e(), dleq.s());
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /** Whether {@code proof.C} is k·hash_to_curve(secret) for the proof's amount key. */
  boolean verify(Keyset keyset, Proof proof) {
    byte[] k = Keyset.privateKey(seed, keyset.index(), proof.amount());
    try {
      return CashuBdhke.verify(k, TransactionRules.utf8(proof.secret()), proof.c());
    } catch (IllegalArgumentException e) {
      return false;
    } finally {
      Arrays.fill(k, (byte) 0);
    }
  }

  /** Forgets the seed copy. */
  void close() {
    Arrays.fill(seed, (byte) 0);
  }
}
