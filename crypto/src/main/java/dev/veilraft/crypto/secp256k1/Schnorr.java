package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.math.ec.ECPoint;

/**
 * BIP-340 Schnorr signatures with x-only public keys, as used by Nostr (NIP-01), following
 * bitcoin/bips {@code bip-0340.mediawiki} including the 2022 revision that allows messages of any
 * length.
 */
public final class Schnorr {
  public static final int SIGNATURE_BYTES = 64;
  public static final int AUX_RAND_BYTES = 32;
  private static final byte[] CHALLENGE_PREFIX = tagPrefix("BIP0340/challenge");
  private static final byte[] AUX_PREFIX = tagPrefix("BIP0340/aux");
  private static final byte[] NONCE_PREFIX = tagPrefix("BIP0340/nonce");

  private Schnorr() {}

  /** The 32-byte x-only public key {@code bytes(secret * G)}. */
  public static byte[] xOnlyPublicKey(byte[] secret) {
    return Curve.xOnly(Curve.multiplyG(Curve.scalar(secret, "secret")));
  }

  /** True when {@code xOnlyPublicKey} is 32 bytes naming an x coordinate on the curve. */
  public static boolean isXOnlyPublicKey(byte[] xOnlyPublicKey) {
    return xOnlyPublicKey != null && xOnlyPublicKey.length == Secp256k1.XONLY_BYTES
        && Curve.lift(new BigInteger(1, xOnlyPublicKey), false) != null;
  }

  /**
   * BIP-340 default signing. {@code auxRand32} should be fresh randomness; all zeros still gives a
   * valid signature (the nonce then depends only on the key and message). The signature is
   * verified before it is returned, as the BIP recommends against faults.
   */
  public static byte[] sign(byte[] secret, byte[] message, byte[] auxRand32) {
    BigInteger dPrime = Curve.scalar(secret, "secret");
    requireMessage(message);
    if (auxRand32 == null || auxRand32.length != AUX_RAND_BYTES) {
      throw new IllegalArgumentException("auxRand32 is " + (auxRand32 == null ? "missing" : auxRand32.length + " bytes")
          + ", expected " + AUX_RAND_BYTES);
    }
    ECPoint p = Curve.multiplyG(dPrime);
    BigInteger d = Curve.hasEvenY(p) ? dPrime : Curve.N.subtract(dPrime);
    byte[] px = Curve.xOnly(p);
    byte[] t = Curve.bytes32(d);
    byte[] auxHash = taggedHash(AUX_PREFIX, auxRand32);
    for (int i = 0; i < t.length; i++) {
      t[i] ^= auxHash[i];
    }
    byte[] rand = taggedHash(NONCE_PREFIX, t, px, message);
    Arrays.fill(t, (byte) 0);
    BigInteger kPrime = new BigInteger(1, rand).mod(Curve.N);
    Arrays.fill(rand, (byte) 0);
    if (kPrime.signum() == 0) {
      throw new IllegalStateException("BIP-340 nonce is zero (probability 2^-256): refusing to sign");
    }
    ECPoint r = Curve.multiplyG(kPrime);
    BigInteger k = Curve.hasEvenY(r) ? kPrime : Curve.N.subtract(kPrime);
    byte[] rx = Curve.xOnly(r);
    BigInteger e = new BigInteger(1, taggedHash(CHALLENGE_PREFIX, rx, px, message)).mod(Curve.N);
    byte[] signature = new byte[SIGNATURE_BYTES];
    System.arraycopy(rx, 0, signature, 0, 32);
    System.arraycopy(Curve.bytes32(k.add(e.multiply(d)).mod(Curve.N)), 0, signature, 32, 32);
    if (!verify(px, message, signature)) {
      throw new IllegalStateException("BIP-340 signature failed its own verification: refusing to release it");
    }
    return signature;
  }

  /**
   * BIP-340 verification. False (never an exception) for a public key that is not on the curve or a
   * signature that does not verify; {@link IllegalArgumentException} only when an argument is
   * missing or has the wrong length.
   */
  public static boolean verify(byte[] xOnlyPublicKey, byte[] message, byte[] signature64) {
    if (xOnlyPublicKey == null || xOnlyPublicKey.length != Secp256k1.XONLY_BYTES) {
      throw new IllegalArgumentException("public key is " + (xOnlyPublicKey == null ? "missing" : xOnlyPublicKey.length + " bytes")
          + ", expected " + Secp256k1.XONLY_BYTES);
    }
    requireMessage(message);
    if (signature64 == null || signature64.length != SIGNATURE_BYTES) {
      throw new IllegalArgumentException("signature is " + (signature64 == null ? "missing" : signature64.length + " bytes")
          + ", expected " + SIGNATURE_BYTES);
    }
    ECPoint p = Curve.lift(new BigInteger(1, xOnlyPublicKey), false);
    if (p == null) {
      return false;
    }
    byte[] rx = Arrays.copyOfRange(signature64, 0, 32);
    BigInteger r = new BigInteger(1, rx);
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(signature64, 32, SIGNATURE_BYTES));
    if (r.compareTo(Curve.P) >= 0 || s.compareTo(Curve.N) >= 0) {
      return false;
    }
    BigInteger e = new BigInteger(1, taggedHash(CHALLENGE_PREFIX, rx, xOnlyPublicKey, message)).mod(Curve.N);
    ECPoint bigR = Curve.sumOfTwoMultiplies(Curve.G, s, p, Curve.N.subtract(e).mod(Curve.N));
    return !bigR.isInfinity() && Curve.hasEvenY(bigR) && bigR.getAffineXCoord().toBigInteger().equals(r);
  }

  private static void requireMessage(byte[] message) {
    if (message == null) {
      throw new IllegalArgumentException("message is missing");
    }
  }

  /** {@code SHA256(tag) || SHA256(tag)}, the constant prefix of a BIP-340 tagged hash. */
  private static byte[] tagPrefix(String tag) {
    byte[] tagHash = Curve.sha256(tag.getBytes(StandardCharsets.UTF_8));
    byte[] prefix = new byte[64];
    System.arraycopy(tagHash, 0, prefix, 0, 32);
    System.arraycopy(tagHash, 0, prefix, 32, 32);
    return prefix;
  }

  private static byte[] taggedHash(byte[] prefix, byte[]... parts) {
    SHA256Digest digest = new SHA256Digest();
    digest.update(prefix, 0, prefix.length);
    for (byte[] part : parts) {
      digest.update(part, 0, part.length);
    }
    byte[] out = new byte[32];
    digest.doFinal(out, 0);
    return out;
  }
}
