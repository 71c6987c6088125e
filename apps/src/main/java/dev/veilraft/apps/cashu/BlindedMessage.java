package dev.veilraft.apps.cashu;

import java.util.Arrays;

/** A NUT-00 blinded message (an output): the amount asked for, the keyset to sign with and {@code B_}. */
public record BlindedMessage(long amount, String keysetId, byte[] blinded) {
  public BlindedMessage {
    blinded = blinded.clone();
  }

  @Override
  public byte[] blinded() {
    return blinded.clone();
  }

  /** The same message with the amount the mint imprints on it (NUT-08 blank outputs). */
  public BlindedMessage withAmount(long newAmount) {
    return new BlindedMessage(newAmount, keysetId, blinded);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BlindedMessage m && amount == m.amount && keysetId.equals(m.keysetId)
        && Arrays.equals(blinded, m.blinded);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(blinded);
  }

  @Override
  public String toString() {
    return "BlindedMessage[amount=" + amount + ", keysetId=" + keysetId + "]";
  }
}
