package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.AesGcmAead;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.seal.AeadSealer;
import java.util.Arrays;

/**
 * Seals node secrets with a key the AMD secure processor derives for this guest
 * ({@code SNP_GET_DERIVED_KEY}): rooted in the chip's VCEK and bound to the launch measurement
 * and guest policy, so only the same code launched the same way on the same chip can unseal.
 * The key is derived once when the sealer opens and lives only in the guest's encrypted memory.
 * A firmware TCB change does not change it (the TCB is not mixed in), so secrets survive AMD's
 * updates; a new measurement (new code) cannot read the old node's secrets, which is the point.
 */
public final class SnpDerivedKeySealer extends AeadSealer {
  private SnpDerivedKeySealer(AesGcmAead aead) {
    super(aead);
  }

  /** Derives the sealing key from the guest device; fails naming the device when it cannot. */
  public static SnpDerivedKeySealer open(SevGuestDevice device) throws AttestationException {
    byte[] key = device.derivedKey(SnpDerivedKeyRequest.measurementBound());
    try {
      if (key.length != AesGcmAead.KEY_BYTES) {
        throw new AttestationException("SNP_GET_DERIVED_KEY returned " + key.length + " bytes; expected "
            + AesGcmAead.KEY_BYTES);
      }
      return new SnpDerivedKeySealer(AesGcmAead.fromKey(key));
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public String describe() {
    return "SEV-SNP derived key (VCEK root, bound to measurement and guest policy)";
  }
}
