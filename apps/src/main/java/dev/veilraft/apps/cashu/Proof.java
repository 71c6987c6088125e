package dev.veilraft.apps.cashu;

import java.util.Arrays;

/**
 * A NUT-00 proof (an input): the amount, the keyset that signed it, the wallet's secret and the
 * unblinded signature {@code C} (compressed point). The secret is the wallet's and is never logged.
 */
public record Proof(long amount, String keysetId, String secret, byte[] c) {
  public Proof {
    c = c.clone();
  }

  @Override
  public byte[] c() {
    return c.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Proof p && amount == p.amount && keysetId.equals(p.keysetId) && secret.equals(p.secret)
        && Arrays.equals(c, p.c);
  }

  @Override
  public int hashCode() {
    return 31 * secret.hashCode() + Arrays.hashCode(c);
  }

  @Override
  public String toString() {
    return "Proof[amount=" + amount + ", keysetId=" + keysetId + "]";
  }
}
