package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.util.Arrays;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.math.ec.ECAlgorithms;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECMultiplier;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * Package-private arithmetic on Bouncy Castle's custom secp256k1 curve: scalar and point parsing
 * with messages that name the argument, base-point multiplication through a fixed-point comb, SEC1
 * encodings and HMAC-SHA256. Every point returned is normalized (affine). Secret scalars go through
 * the comb (base point) or {@link #multiplySecret}; only public scalars (verification) use the
 * faster variable-time {@link #sumOfTwoMultiplies}.
 */
final class Curve {
  static final X9ECParameters PARAMETERS = CustomNamedCurves.getByName("secp256k1");
  static final ECCurve CURVE = PARAMETERS.getCurve();
  static final ECPoint G = PARAMETERS.getG();
  /** The group order n. */
  static final BigInteger N = PARAMETERS.getN();
  /** The field size p. */
  static final BigInteger P = CURVE.getField().getCharacteristic();
  static final BigInteger HALF_N = N.shiftRight(1);
  static final int UNCOMPRESSED_POINT_BYTES = 65;
  private static final ECMultiplier BASE_MULTIPLIER = new FixedPointCombMultiplier();

  private Curve() {}

  static boolean inScalarRange(BigInteger value) {
    return value.signum() > 0 && value.compareTo(N) < 0;
  }

  /** Parses a 32-byte scalar in [1, n-1]; the message names {@code what}. */
  static BigInteger scalar(byte[] bytes, String what) {
    if (bytes == null) {
      throw new IllegalArgumentException(what + " is missing, expected " + Secp256k1.SCALAR_BYTES + " bytes");
    }
    if (bytes.length != Secp256k1.SCALAR_BYTES) {
      throw new IllegalArgumentException(what + " is " + bytes.length + " bytes, expected " + Secp256k1.SCALAR_BYTES);
    }
    BigInteger value = new BigInteger(1, bytes);
    if (!inScalarRange(value)) {
      throw new IllegalArgumentException(what + " is not a valid secp256k1 scalar (zero or not below the group order n)");
    }
    return value;
  }

  /** Checks only the length of a 32-byte value whose range the caller judges. */
  static byte[] length32(byte[] bytes, String what) {
    if (bytes == null || bytes.length != 32) {
      throw new IllegalArgumentException(what + " is " + (bytes == null ? "missing" : bytes.length + " bytes") + ", expected 32");
    }
    return bytes;
  }

  /** Decodes a compressed point; the message names {@code what}. */
  static ECPoint point(byte[] compressed, String what) {
    if (compressed == null) {
      throw new IllegalArgumentException(what + " is missing, expected a " + Secp256k1.POINT_BYTES + "-byte compressed point");
    }
    if (compressed.length != Secp256k1.POINT_BYTES) {
      throw new IllegalArgumentException(what + " is " + compressed.length + " bytes, expected a "
          + Secp256k1.POINT_BYTES + "-byte compressed point");
    }
    ECPoint point = tryDecode(compressed);
    if (point == null) {
      throw new IllegalArgumentException(what + " is not a point on secp256k1");
    }
    return point;
  }

  /** The point for a valid compressed encoding, else null (never throws). */
  static ECPoint tryDecode(byte[] compressed) {
    if (compressed == null || compressed.length != Secp256k1.POINT_BYTES) {
      return null;
    }
    int prefix = compressed[0];
    if (prefix != 0x02 && prefix != 0x03) {
      return null;
    }
    return lift(new BigInteger(1, Arrays.copyOfRange(compressed, 1, Secp256k1.POINT_BYTES)), prefix == 0x03);
  }

  /** The curve point with this x and y parity, or null when x is not below p or not on the curve. */
  static ECPoint lift(BigInteger x, boolean oddY) {
    if (x.compareTo(P) >= 0) {
      return null;
    }
    ECFieldElement fx = CURVE.fromBigInteger(x);
    ECFieldElement y = fx.square().multiply(fx).add(CURVE.getB()).sqrt();
    if (y == null) {
      return null;
    }
    if (y.testBitZero() != oddY) {
      y = y.negate();
    }
    return CURVE.createPoint(x, y.toBigInteger());
  }

  static ECPoint multiplyG(BigInteger k) {
    return BASE_MULTIPLIER.multiply(G, k).normalize();
  }

  /**
   * {@code k * point} for a secret {@code k} through Bouncy Castle's {@code ECConstantTimeMultiplier}
   * (about 1.5-2x the cost of the default window-NAF multiply, which branches on the scalar's bits).
   */
  static ECPoint multiplySecret(ECPoint point, BigInteger k) {
    return ECAlgorithms.multiplySecret(point, k).normalize();
  }

  /** {@code a * p + b * q} for public scalars (Shamir's trick with the GLV endomorphism). */
  static ECPoint sumOfTwoMultiplies(ECPoint p, BigInteger a, ECPoint q, BigInteger b) {
    return ECAlgorithms.sumOfTwoMultiplies(p, a, q, b).normalize();
  }

  static byte[] encode(ECPoint point) {
    checkFinite(point);
    return point.getEncoded(true);
  }

  static byte[] encodeUncompressed(ECPoint point) {
    checkFinite(point);
    return point.getEncoded(false);
  }

  static byte[] xOnly(ECPoint point) {
    checkFinite(point);
    return bytes32(point.getAffineXCoord().toBigInteger());
  }

  static boolean hasEvenY(ECPoint point) {
    return !point.getAffineYCoord().testBitZero();
  }

  private static void checkFinite(ECPoint point) {
    if (point.isInfinity()) {
      throw new IllegalStateException("invariant violated: encoding the point at infinity");
    }
  }

  /** The 32-byte big-endian encoding of a value in [0, 2^256). */
  static byte[] bytes32(BigInteger value) {
    byte[] raw = value.toByteArray();
    if (raw.length == 32) {
      return raw;
    }
    byte[] out = new byte[32];
    if (raw.length > 32) {
      if (raw.length != 33 || raw[0] != 0) {
        throw new IllegalStateException("invariant violated: value wider than 256 bits");
      }
      System.arraycopy(raw, 1, out, 0, 32);
    } else {
      System.arraycopy(raw, 0, out, 32 - raw.length, raw.length);
    }
    return out;
  }

  static byte[] hmacSha256(byte[] key, byte[]... parts) {
    HMac mac = new HMac(new SHA256Digest());
    KeyParameter keyParameter = new KeyParameter(key);
    mac.init(keyParameter);
    Arrays.fill(keyParameter.getKey(), (byte) 0);
    for (byte[] part : parts) {
      mac.update(part, 0, part.length);
    }
    byte[] out = new byte[mac.getMacSize()];
    mac.doFinal(out, 0);
    return out;
  }

  static byte[] sha256(byte[]... parts) {
    SHA256Digest digest = new SHA256Digest();
    for (byte[] part : parts) {
      digest.update(part, 0, part.length);
    }
    byte[] out = new byte[32];
    digest.doFinal(out, 0);
    return out;
  }
}
