package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Cashu NUT-00 blind Diffie-Hellman key exchange and NUT-12 DLEQ proofs, exactly as specified in
 * cashubtc/nuts ({@code 00.md}, {@code 12.md}).
 *
 * <p>Names follow the spec: the wallet's secret {@code x} ({@code secret}), blinding factor {@code
 * r}, blinded message {@code B_}, the mint's amount key {@code k} with public key {@code K} (NUT-12
 * calls them {@code a} and {@code A}), blind signature {@code C_} and unblinded signature {@code
 * C}. Points are 33-byte compressed, scalars 32-byte big-endian in [1, n-1]; bad shapes raise
 * {@link IllegalArgumentException} naming the argument. Verifiers return false for a proof or
 * signature that does not check out.
 */
public final class CashuBdhke {
  /** NUT-00 domain separator of {@link #hashToCurve}. */
  static final byte[] DOMAIN_SEPARATOR = "Secp256k1_HashToCurve_Cashu_".getBytes(StandardCharsets.US_ASCII);
  /** NUT-12 domain tag of the deterministic DLEQ nonce. */
  static final byte[] DLEQ_NONCE_DOMAIN = "Cashu_DLEQ_R_v1".getBytes(StandardCharsets.US_ASCII);
  /** hash_to_curve counters tried (as the reference mint does); each succeeds with probability about 1/2. */
  public static final int HASH_TO_CURVE_ATTEMPTS_MAX = 1 << 16;
  /** NUT-12: the nonce counter is one byte. */
  static final int DLEQ_NONCE_ATTEMPTS_MAX = 256;
  private static final HexFormat HEX = HexFormat.of();

  private CashuBdhke() {}

  /** A NUT-12 DLEQ proof: challenge {@code e} and response {@code s}, 32 bytes each; compared by content. */
  public record Dleq(byte[] e, byte[] s) {
    @Override
    public boolean equals(Object other) {
      return other instanceof Dleq that && Arrays.equals(e, that.e) && Arrays.equals(s, that.s);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(e) + Arrays.hashCode(s);
    }

    @Override
    public String toString() {
      return "Dleq[e=" + (e == null ? null : HEX.formatHex(e)) + ", s=" + (s == null ? null : HEX.formatHex(s)) + "]";
    }
  }

  /**
   * NUT-00 {@code hash_to_curve}: {@code Y = PublicKey('02' || SHA256(msg_hash || counter))} with
   * {@code msg_hash = SHA256("Secp256k1_HashToCurve_Cashu_" || message)} and {@code counter} a
   * little-endian uint32 counting from 0 until the x coordinate lies on the curve.
   */
  public static byte[] hashToCurve(byte[] message) {
    return Curve.encode(hashToPoint(message));
  }

  static ECPoint hashToPoint(byte[] message) {
    if (message == null) {
      throw new IllegalArgumentException("secret is missing");
    }
    byte[] messageHash = Curve.sha256(DOMAIN_SEPARATOR, message);
    byte[] counter = new byte[4];
    for (int i = 0; i < HASH_TO_CURVE_ATTEMPTS_MAX; i++) {
      counter[0] = (byte) i;
      counter[1] = (byte) (i >>> 8);
      counter[2] = (byte) (i >>> 16);
      counter[3] = (byte) (i >>> 24);
      ECPoint point = Curve.lift(new BigInteger(1, Curve.sha256(messageHash, counter)), false);
      if (point != null) {
        return point;
      }
    }
    throw new IllegalArgumentException("secret: hash_to_curve found no point in " + HASH_TO_CURVE_ATTEMPTS_MAX + " attempts");
  }

  /** Wallet: {@code B_ = Y + r*G} with {@code Y = hashToCurve(secret)}. */
  public static byte[] blind(byte[] secret, byte[] r) {
    ECPoint y = hashToPoint(secret);
    BigInteger blinding = Curve.scalar(r, "r");
    ECPoint blinded = Curve.multiplyG(blinding).add(y).normalize();
    if (blinded.isInfinity()) {
      throw new IllegalArgumentException("r blinds the secret to the point at infinity");
    }
    return Curve.encode(blinded);
  }

  /** Mint: {@code C_ = k*B_}. */
  public static byte[] sign(byte[] k, byte[] blinded) {
    BigInteger key = Curve.scalar(k, "k");
    ECPoint b = Curve.point(blinded, "B_");
    return Curve.encode(Curve.multiplySecret(b, key));
  }

  /** Wallet: {@code C = C_ - r*K}. */
  public static byte[] unblind(byte[] blindSignature, byte[] r, byte[] mintPublicKey) {
    ECPoint c = Curve.point(blindSignature, "C_");
    BigInteger blinding = Curve.scalar(r, "r");
    ECPoint mintKey = Curve.point(mintPublicKey, "K");
    ECPoint unblinded = c.subtract(Curve.multiplySecret(mintKey, blinding)).normalize();
    if (unblinded.isInfinity()) {
      throw new IllegalArgumentException("C_ unblinds to the point at infinity (C_ = r*K)");
    }
    return Curve.encode(unblinded);
  }

  /** Mint: true when {@code C == k*hashToCurve(secret)}. */
  public static boolean verify(byte[] k, byte[] secret, byte[] c) {
    BigInteger key = Curve.scalar(k, "k");
    Curve.point(c, "C");
    byte[] expected = Curve.encode(Curve.multiplySecret(hashToPoint(secret), key));
    return MessageDigest.isEqual(expected, c);
  }

  /**
   * NUT-12 proof that {@code C_ = k*B_} and {@code K = k*G}; the caller passes {@code C_ =
   * sign(k, B_)} (a different {@code C_} yields a proof that fails to verify).
   *
   * <p>The nonce is the NUT-12 deterministic one, so every replica that signs the same {@code B_}
   * produces the same proof: for counter {@code ctr = 0x00, 0x01, ...} (one byte), {@code r =
   * HMAC-SHA256(key = k, data = "Cashu_DLEQ_R_v1" || K || B_ || C_ || ctr)} with {@code K, B_, C_}
   * as 65-byte uncompressed SEC1 points, taking the first {@code r} in [1, n-1]. Then {@code R1 =
   * r*G}, {@code R2 = r*B_}, {@code e = SHA256(hex(R1) || hex(R2) || hex(K) || hex(C_))} over the
   * lowercase hex of the uncompressed points, and {@code s = r + e*k mod n}. The nonce depends on
   * {@code C_}, so distinct challenges never share a nonce.
   */
  public static Dleq proveDleq(byte[] k, byte[] blinded, byte[] blindSignature) {
    BigInteger key = Curve.scalar(k, "k");
    ECPoint b = Curve.point(blinded, "B_");
    ECPoint c = Curve.point(blindSignature, "C_");
    ECPoint mintKey = Curve.multiplyG(key);
    byte[] nonceBytes = deterministicNonce(k, mintKey, b, c);
    BigInteger nonce = new BigInteger(1, nonceBytes);
    Arrays.fill(nonceBytes, (byte) 0);
    ECPoint r1 = Curve.multiplyG(nonce);
    ECPoint r2 = Curve.multiplySecret(b, nonce);
    byte[] e = challenge(r1, r2, mintKey, c);
    BigInteger s = nonce.add(new BigInteger(1, e).multiply(key)).mod(Curve.N);
    return new Dleq(e, Curve.bytes32(s));
  }

  private static byte[] deterministicNonce(byte[] k, ECPoint mintKey, ECPoint b, ECPoint c) {
    byte[] counter = new byte[1];
    byte[] a = Curve.encodeUncompressed(mintKey);
    byte[] bBytes = Curve.encodeUncompressed(b);
    byte[] cBytes = Curve.encodeUncompressed(c);
    for (int i = 0; i < DLEQ_NONCE_ATTEMPTS_MAX; i++) {
      counter[0] = (byte) i;
      byte[] candidate = Curve.hmacSha256(k, DLEQ_NONCE_DOMAIN, a, bBytes, cBytes, counter);
      if (Curve.inScalarRange(new BigInteger(1, candidate))) {
        return candidate;
      }
      Arrays.fill(candidate, (byte) 0);
    }
    throw new IllegalStateException("DLEQ nonce: no scalar in " + DLEQ_NONCE_ATTEMPTS_MAX + " attempts (HMAC failure?)");
  }

  /** NUT-12 {@code hash_e}: SHA-256 of the concatenated lowercase hex of the uncompressed points. */
  static byte[] challenge(ECPoint... points) {
    StringBuilder hex = new StringBuilder(points.length * 2 * Curve.UNCOMPRESSED_POINT_BYTES);
    for (ECPoint point : points) {
      HEX.formatHex(hex, Curve.encodeUncompressed(point));
    }
    return Curve.sha256(hex.toString().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Wallet (NUT-12, on a {@code BlindSignature}): true when {@code dleq} proves {@code C_ = k*B_}
   * for the {@code k} of {@code K}. False when it does not, including {@code e} or {@code s} outside
   * [1, n-1].
   */
  public static boolean verifyDleq(byte[] mintPublicKey, byte[] blinded, byte[] blindSignature, Dleq dleq) {
    ECPoint mintKey = Curve.point(mintPublicKey, "K");
    ECPoint b = Curve.point(blinded, "B_");
    ECPoint c = Curve.point(blindSignature, "C_");
    return verifyDleq(mintKey, b, c, dleq);
  }

  private static boolean verifyDleq(ECPoint mintKey, ECPoint b, ECPoint c, Dleq dleq) {
    if (dleq == null) {
      throw new IllegalArgumentException("dleq is missing");
    }
    byte[] eBytes = Curve.length32(dleq.e(), "dleq e");
    BigInteger e = new BigInteger(1, eBytes);
    BigInteger s = new BigInteger(1, Curve.length32(dleq.s(), "dleq s"));
    if (!Curve.inScalarRange(e) || !Curve.inScalarRange(s)) {
      return false;
    }
    BigInteger minusE = Curve.N.subtract(e);
    ECPoint r1 = Curve.sumOfTwoMultiplies(Curve.G, s, mintKey, minusE);
    ECPoint r2 = Curve.sumOfTwoMultiplies(b, s, c, minusE);
    if (r1.isInfinity() || r2.isInfinity()) {
      return false;
    }
    return MessageDigest.isEqual(challenge(r1, r2, mintKey, c), eBytes);
  }

  /**
   * Receiver (NUT-12, on a {@code Proof} carrying {@code r}): recomputes {@code B_ = Y + r*G} and
   * {@code C_ = C + r*K}, then checks the proof as {@link #verifyDleq(byte[], byte[], byte[], Dleq)}.
   */
  public static boolean verifyProofDleq(byte[] mintPublicKey, byte[] secret, byte[] c, byte[] r, Dleq dleq) {
    ECPoint mintKey = Curve.point(mintPublicKey, "K");
    ECPoint unblinded = Curve.point(c, "C");
    BigInteger blinding = Curve.scalar(r, "r");
    ECPoint y = hashToPoint(secret);
    ECPoint b = Curve.multiplyG(blinding).add(y).normalize();
    ECPoint blindSignature = unblinded.add(Curve.multiplySecret(mintKey, blinding)).normalize();
    if (b.isInfinity() || blindSignature.isInfinity()) {
      return false;
    }
    return verifyDleq(mintKey, b, blindSignature, dleq);
  }
}
