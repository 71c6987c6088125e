package dev.veilraft.apps.cashu;

import java.util.Arrays;

/**
 * A NUT-00 blind signature {@code C_ = k·B_} with its NUT-12 DLEQ proof ({@code e}, {@code s},
 * 32 bytes each) that the same key {@code k} is the keyset's published key for the amount.
 */
public record BlindSignature(long amount, String keysetId, byte[] c, byte[] dleqE, byte[] dleqS) {
  public BlindSignature {
    c = c.clone();
    dleqE = dleqE.clone();
    dleqS = dleqS.clone();
  }

  @Override
  public byte[] c() {
    return c.clone();
  }

  @Override
  public byte[] dleqE() {
    return dleqE.clone();
  }

  @Override
  public byte[] dleqS() {
    return dleqS.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlindSignature s && amount == s.amount && keysetId.equals(s.keysetId)
        && Arrays.equals(c, s.c) && Arrays.equals(dleqE, s.dleqE) && Arrays.equals(dleqS, s.dleqS);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(c);
  }

  @Override
  public String toString() {
    return "BlindSignature[amount=" + amount + ", keysetId=" + keysetId + "]";
  }
}
