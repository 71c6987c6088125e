package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The secp256k1 curve: public keys, point validation and deterministic scalar derivation.
 *
 * <p>Points are SEC1 compressed (33 bytes: {@code 02}/{@code 03} then x), never the point at
 * infinity. Scalars are 32 bytes big-endian in [1, n-1]. Invalid input raises {@link
 * IllegalArgumentException} whose message names the argument and the defect, e.g. {@code "B_ is not
 * a point on secp256k1"} or {@code "amount key is 31 bytes, expected 32"}.
 */
public final class Secp256k1 {
  public static final int SCALAR_BYTES = 32;
  public static final int POINT_BYTES = 33;
  public static final int XONLY_BYTES = 32;
  /** A derivation seed is key material: at least 256 bits. */
  public static final int SEED_BYTES_MIN = 32;
  /** Bounds on {@link #deriveScalar}'s label (UTF-8 bytes) and context, so a derivation input stays small. */
  public static final int LABEL_BYTES_MAX = 255;
  public static final int CONTEXT_BYTES_MAX = 1024;
  /** Counter values tried before {@link #deriveScalar} gives up; one failure has probability about 2^-128. */
  static final int DERIVE_ATTEMPTS_MAX = 256;

  private Secp256k1() {}

  /** The compressed public key {@code secret * G}. */
  public static byte[] publicKey(byte[] secret) {
    BigInteger d = Curve.scalar(secret, "secret");
    return Curve.encode(Curve.multiplyG(d));
  }

  /** True when {@code compressed} is a valid 33-byte compressed point on the curve (never infinity). */
  public static boolean isPoint(byte[] compressed) {
    return Curve.tryDecode(compressed) != null;
  }

  /** Fails with an {@link IllegalArgumentException} naming {@code what} unless {@code compressed} is a valid point. */
  public static void checkPoint(byte[] compressed, String what) {
    Curve.point(compressed, what);
  }

  /** True when {@code scalar} is 32 bytes whose big-endian value lies in [1, n-1]. */
  public static boolean isScalar(byte[] scalar) {
    return scalar != null && scalar.length == SCALAR_BYTES && Curve.inScalarRange(new BigInteger(1, scalar));
  }

  /** Fails with an {@link IllegalArgumentException} naming {@code what} unless {@code scalar} is a valid scalar. */
  public static void checkScalar(byte[] scalar, String what) {
    Curve.scalar(scalar, what);
  }

  /**
   * A valid scalar derived deterministically from a secret seed, for mint keys derived from a group
   * seed.
   *
   * <p>Derivation: for counter {@code c = 0, 1, ...} (one byte), {@code t = HMAC-SHA256(key = seed,
   * data = len(label) || label || context || c)} where {@code label} is UTF-8 and {@code len(label)}
   * is one byte; the result is the first {@code t} whose big-endian value lies in [1, n-1]. The length
   * prefix keeps {@code (label, context)} pairs from colliding ("ab" + "c" versus "a" + "bc"). The
   * first counter succeeds except with probability about 2^-128.
   *
   * @param seed secret key material, at least {@link #SEED_BYTES_MIN} bytes
   * @param label names the purpose, e.g. {@code "cashu/keyset"}; 1 to {@link #LABEL_BYTES_MAX} UTF-8 bytes
   * @param context distinguishes keys of one purpose, e.g. a keyset index and an amount; at most
   *     {@link #CONTEXT_BYTES_MAX} bytes
   */
  public static byte[] deriveScalar(byte[] seed, String label, byte[] context) {
    if (seed == null || seed.length < SEED_BYTES_MIN) {
      throw new IllegalArgumentException("seed is " + (seed == null ? "missing" : seed.length + " bytes")
          + ", expected at least " + SEED_BYTES_MIN);
    }
    if (label == null || label.isEmpty()) {
      throw new IllegalArgumentException("label is empty, expected a purpose such as \"cashu/keyset\"");
    }
    byte[] labelBytes = label.getBytes(StandardCharsets.UTF_8);
    if (labelBytes.length > LABEL_BYTES_MAX) {
      throw new IllegalArgumentException("label is " + labelBytes.length + " bytes, at most " + LABEL_BYTES_MAX + " allowed");
    }
    if (context == null || context.length > CONTEXT_BYTES_MAX) {
      throw new IllegalArgumentException("context is " + (context == null ? "missing" : context.length + " bytes")
          + ", expected at most " + CONTEXT_BYTES_MAX);
    }
    byte[] data = new byte[1 + labelBytes.length + context.length + 1];
    data[0] = (byte) labelBytes.length;
    System.arraycopy(labelBytes, 0, data, 1, labelBytes.length);
    System.arraycopy(context, 0, data, 1 + labelBytes.length, context.length);
    for (int counter = 0; counter < DERIVE_ATTEMPTS_MAX; counter++) {
      data[data.length - 1] = (byte) counter;
      byte[] candidate = Curve.hmacSha256(seed, data);
      if (Curve.inScalarRange(new BigInteger(1, candidate))) {
        return candidate;
      }
      Arrays.fill(candidate, (byte) 0);
    }
    throw new IllegalStateException("deriveScalar: no scalar in " + DERIVE_ATTEMPTS_MAX + " attempts (HMAC failure?)");
  }
}
