package dev.veilraft.crypto;

import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869) over the JDK's HMAC-SHA256, one {@link Mac} per thread. Tink's {@code
 * Hkdf.computeHkdf}, used before session 38, looked its {@code Mac} up for every call; an answer's
 * response key is one derivation, on the leader for every event. Tested against RFC 5869's SHA-256
 * vectors and against Tink at every output length.
 *
 * <p>The thread's Mac is keyed with a constant after each derivation, so it never keeps the
 * pseudorandom key, which derives everything the input key does, past the call.
 */
public final class Hkdf {
  private static final int HASH_BYTES = 32;
  private static final String ALGORITHM = "HmacSHA256";
  private static final SecretKeySpec ZERO_SALT = new SecretKeySpec(new byte[HASH_BYTES], ALGORITHM);
  private static final ThreadLocal<Mac> PER_THREAD = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance(ALGORITHM);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 unavailable", e);
    }
  });

  private Hkdf() {}

  /** {@code length} bytes (at most 255 × 32) of HKDF-SHA256; an empty {@code salt} is RFC 5869's string of zeros. */
  public static byte[] sha256(byte[] ikm, byte[] salt, byte[] info, int length) {
    Check.argument(length >= 0 && length <= 255 * HASH_BYTES,
        "HKDF-SHA256 gives 0 to " + 255 * HASH_BYTES + " bytes, asked for " + length);
    Mac mac = PER_THREAD.get();
    try {
      mac.init(salt.length == 0 ? ZERO_SALT : new SecretKeySpec(salt, ALGORITHM));
      byte[] prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, ALGORITHM));
      java.util.Arrays.fill(prk, (byte) 0);
      byte[] out = new byte[length];
      byte[] block = new byte[0];
      for (int done = 0, counter = 1; done < length; counter++) {
        mac.update(block);
        mac.update(info);
        mac.update((byte) counter);
        block = mac.doFinal();
        int take = Math.min(block.length, length - done);
        System.arraycopy(block, 0, out, done, take);
        done += take;
      }
      java.util.Arrays.fill(block, (byte) 0);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF-SHA256 failed", e);
    } finally {
      try {
        mac.init(ZERO_SALT);
      } catch (GeneralSecurityException e) {
        PER_THREAD.remove();
      }
    }
  }
}
