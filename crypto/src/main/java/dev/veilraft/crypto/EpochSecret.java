package dev.veilraft.crypto;

import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The 32-byte secret S_e of key epoch e, from which the group HPKE key pair is derived.
 * S_e = HKDF(salt = S_{e-1}, ikm = fresh_e, info = "veilraft/epoch" || e || H(members) || H(policy)).
 * Epoch 1 uses an all-zero salt.
 */
public final class EpochSecret {
  public static final int BYTES = 32;
  private static final byte[] ZERO_SALT = new byte[BYTES];

  private final long epoch;
  private final byte[] secret;
  private final KemKeyPair groupKeyPair;
  private final byte[] keyId;

  private EpochSecret(long epoch, byte[] secret) {
    Check.argument(epoch >= 1, "epoch must be >= 1, got " + epoch);
    this.epoch = epoch;
    this.secret = Check.length(secret, BYTES, "epoch secret").clone();
    this.groupKeyPair = KemKeyPair.derive(
        Hkdf.sha256(secret, new byte[0], Hashes.utf8("veilraft/group-hpke/v1"), 32));
    this.keyId = Arrays.copyOf(Hashes.sha256(Hashes.utf8("veilraft/epoch-key-id/v1"), Hashes.u64(epoch), secret), 16);
  }

  /** Derives S_e from the previous epoch's secret (null for epoch 1) and the fresh input. */
  public static EpochSecret derive(EpochSecret previous, long epoch, byte[] fresh, byte[] membersHash, byte[] policyHash) {
    Check.length(fresh, BYTES, "fresh epoch input");
    if (previous == null) {
      Check.argument(epoch == 1, "only epoch 1 starts without a previous secret, got epoch " + epoch);
    } else {
      Check.argument(epoch == previous.epoch + 1, "epoch " + epoch + " does not follow " + previous.epoch);
    }
    byte[] info = Hashes.concat(Hashes.utf8("veilraft/epoch"), Hashes.u64(epoch), membersHash, policyHash);
    byte[] salt = previous == null ? ZERO_SALT : previous.secret;
    return new EpochSecret(epoch, Hkdf.sha256(fresh, salt, info, BYTES));
  }

  /** Restores a secret received in a join history or read from sealed storage. */
  public static EpochSecret restore(long epoch, byte[] secret) {
    return new EpochSecret(epoch, secret);
  }

  public long epoch() {
    return epoch;
  }

  /** The raw secret, only for wrapping it to another attested member or sealing it to disk. */
  public byte[] secretBytes() {
    return secret.clone();
  }

  /**
   * A 32-byte key for one purpose, derived from S_e with HKDF under {@code label} (e.g.
   * "veilraft/app-random/v1"). Every member of the epoch derives the same key; nobody else can.
   */
  public byte[] deriveKey(String label) {
    Check.argument(label != null && !label.isEmpty(), "a derived key needs a label");
    return Hkdf.sha256(secret, new byte[0], Hashes.utf8(label), BYTES);
  }

  public KemKeyPair groupKeyPair() {
    return groupKeyPair;
  }

  public byte[] groupPublicKey() {
    return groupKeyPair.publicKey();
  }

  /** A public commitment to the secret: 16 bytes of SHA-256 over a label, the epoch and the secret. */
  public byte[] keyId() {
    return keyId.clone();
  }

  public boolean matches(byte[] expectedKeyId) {
    return MessageDigest.isEqual(keyId, expectedKeyId);
  }

  @Override
  public String toString() {
    return "EpochSecret{epoch=" + epoch + ", keyId=" + Hashes.hex(keyId) + "}";
  }
}
