package dev.veilraft.crypto.secp256k1;

import java.math.BigInteger;
import java.security.MessageDigest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Compact recoverable ECDSA over secp256k1 as BOLT 11 uses it: 64 bytes {@code r || s} then a
 * recovery id in {0, 1, 2, 3}. Signing is deterministic (RFC 6979 with HMAC-SHA256) and low-S, so
 * it matches libsecp256k1's {@code ecdsa_sign_recoverable}.
 */
final class RecoverableEcdsa {
  static final int SIGNATURE_BYTES = 65;
  private static final int RECOVERY_IDS = 4;
  private static final ECDomainParameters DOMAIN = new ECDomainParameters(Curve.PARAMETERS);

  private RecoverableEcdsa() {}

  /** Signs a 32-byte hash; returns {@code r || s || recoveryId} with low {@code s}. */
  static byte[] sign(byte[] hash32, BigInteger secret) {
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(secret, DOMAIN));
    BigInteger[] rs = signer.generateSignature(hash32);
    BigInteger r = rs[0];
    BigInteger s = rs[1].compareTo(Curve.HALF_N) > 0 ? Curve.N.subtract(rs[1]) : rs[1];
    byte[] publicKey = Curve.encode(Curve.multiplyG(secret));
    for (int recoveryId = 0; recoveryId < RECOVERY_IDS; recoveryId++) {
      ECPoint candidate = recover(hash32, r, s, recoveryId);
      if (candidate != null && MessageDigest.isEqual(Curve.encode(candidate), publicKey)) {
        byte[] out = new byte[SIGNATURE_BYTES];
        System.arraycopy(Curve.bytes32(r), 0, out, 0, 32);
        System.arraycopy(Curve.bytes32(s), 0, out, 32, 32);
        out[64] = (byte) recoveryId;
        return out;
      }
    }
    throw new IllegalStateException("invariant violated: no recovery id reproduces the signing key");
  }

  /**
   * The public key that produced {@code (r, s)} over {@code hash32} with this recovery id (SEC 1
   * section 4.1.6), or null when none does. Accepts high and low {@code s}.
   */
  static ECPoint recover(byte[] hash32, BigInteger r, BigInteger s, int recoveryId) {
    if (!Curve.inScalarRange(r) || !Curve.inScalarRange(s) || recoveryId < 0 || recoveryId >= RECOVERY_IDS) {
      return null;
    }
    BigInteger x = (recoveryId & 2) != 0 ? r.add(Curve.N) : r;
    ECPoint bigR = Curve.lift(x, (recoveryId & 1) != 0);
    if (bigR == null) {
      return null;
    }
    BigInteger e = new BigInteger(1, hash32).mod(Curve.N);
    BigInteger rInverse = r.modInverse(Curve.N);
    BigInteger u1 = Curve.N.subtract(e).multiply(rInverse).mod(Curve.N);
    BigInteger u2 = s.multiply(rInverse).mod(Curve.N);
    ECPoint q = Curve.sumOfTwoMultiplies(Curve.G, u1, bigR, u2);
    return q.isInfinity() ? null : q;
  }

  /** Plain ECDSA verification of {@code (r, s)} over {@code hash32} by {@code publicKey}. */
  static boolean verify(byte[] hash32, BigInteger r, BigInteger s, ECPoint publicKey) {
    if (!Curve.inScalarRange(r) || !Curve.inScalarRange(s)) {
      return false;
    }
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, new ECPublicKeyParameters(publicKey, DOMAIN));
    return verifier.verifySignature(hash32, r, s);
  }
}
