package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Vectors from cashubtc/nuts tests/00-tests.md and tests/12-tests.md (see secp256k1/SOURCES.md). */
class CashuBdhkeTest {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] ONE = hex("0000000000000000000000000000000000000000000000000000000000000001");
  private static final byte[] G = hex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798");
  private static final byte[] B_VECTOR = hex("02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2");

  @Test
  void hashToCurveMatchesNut00Vectors() {
    // Proves hash_to_curve follows NUT-00 exactly, including a message that needs several counter values.
    assertThat(CashuBdhke.hashToCurve(hex("0000000000000000000000000000000000000000000000000000000000000000")))
        .isEqualTo(hex("024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725"));
    assertThat(CashuBdhke.hashToCurve(hex("0000000000000000000000000000000000000000000000000000000000000001")))
        .isEqualTo(hex("022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf"));
    assertThat(CashuBdhke.hashToCurve(hex("0000000000000000000000000000000000000000000000000000000000000002")))
        .isEqualTo(hex("026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f"));
  }

  @Test
  void blindMatchesNut00Vectors() {
    // Proves B_ = hash_to_curve(x) + r*G for the NUT-00 blinded-message vectors.
    assertThat(CashuBdhke.blind(hex("d341ee4871f1f889041e63cf0d3823c713eea6aff01e80f1719f08f9e5be98f6"),
        hex("99fce58439fc37412ab3468b73db0569322588f62fb3a49182d67e23d877824a")))
        .isEqualTo(hex("033b1a9737a40cc3fd9b6af4b723632b76a67a36782596304612a6c2bfb5197e6d"));
    assertThat(CashuBdhke.blind(hex("f1aaf16c2239746f369572c0784d9dd3d032d952c2d992175873fb58fae31a60"),
        hex("f78476ea7cc9ade20f9e05e58a804cf19533f03ea805ece5fee88c8e2874ba50")))
        .isEqualTo(hex("029bdf2d716ee366eddf599ba252786c1033f47e230248a4612a5670ab931f1763"));
  }

  @Test
  void signMatchesNut00Vectors() {
    // Proves C_ = k*B_ for the NUT-00 blinded-signature vectors.
    assertThat(CashuBdhke.sign(ONE, B_VECTOR)).isEqualTo(B_VECTOR);
    assertThat(CashuBdhke.sign(hex("7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f"), B_VECTOR))
        .isEqualTo(hex("0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d"));
  }

  @Test
  void challengeHashMatchesNut12Vector() {
    // Proves hash_e hashes the lowercase hex of the uncompressed points as NUT-12 specifies.
    byte[] one = hex("020000000000000000000000000000000000000000000000000000000000000001");
    assertThat(CashuBdhke.challenge(Curve.point(one, "R1"), Curve.point(one, "R2"), Curve.point(one, "K"),
        Curve.point(B_VECTOR, "C_")))
        .isEqualTo(hex("a4dc034b74338c28c6bc3ea49731f2a24440fc7c4affc08b31a93fc9fbe6401e"));
  }

  @Test
  void deterministicDleqMatchesNut12Vector() {
    // Proves proveDleq derives the NUT-12 deterministic nonce and reproduces e and s exactly, and the proof verifies.
    byte[] a = hex("0000000000000000000000000000000000000000000000000000000000000002");
    byte[] publicKey = hex("02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5");
    byte[] blindSignature = hex("0244eccfc7a348274458bb38044c7f3c389b3c2086c7ec18b5812d2877ab937787");
    assertThat(Secp256k1.publicKey(a)).isEqualTo(publicKey);
    assertThat(CashuBdhke.sign(a, B_VECTOR)).isEqualTo(blindSignature);

    CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(a, B_VECTOR, blindSignature);

    assertThat(dleq.e()).isEqualTo(hex("2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3"));
    assertThat(dleq.s()).isEqualTo(hex("9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab"));
    assertThat(CashuBdhke.verifyDleq(publicKey, B_VECTOR, blindSignature, dleq)).isTrue();
  }

  @Test
  void verifiesNut12BlindSignatureAndProofVectors() {
    // Proves both NUT-12 verification paths accept the spec's valid proofs (the Proof's secret is its UTF-8 string).
    assertThat(CashuBdhke.verifyDleq(G, B_VECTOR, B_VECTOR, new CashuBdhke.Dleq(
        hex("9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73d9"),
        hex("9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73da")))).isTrue();
    byte[] secret = "daf4dd00a2b68a0858a80450f52c8a7d2ccf87d375e43e216e0c571f089f63e9".getBytes(StandardCharsets.UTF_8);
    byte[] c = hex("024369d2d22a80ecf78f3937da9d5f30c1b9f74f0c32684d583cca0fa6a61cdcfc");
    byte[] r = hex("a6d13fcd7a18442e6076f5e1e7c887ad5de40a019824bdfa9fe740d302e8d861");
    CashuBdhke.Dleq dleq = new CashuBdhke.Dleq(hex("b31e58ac6527f34975ffab13e70a48b6d2b0d35abc4b03f0151f09ee1a9763d4"),
        hex("8fbae004c59e754d71df67e392b6ae4e29293113ddc2ec86592a0431d16306d8"));
    assertThat(CashuBdhke.verifyProofDleq(G, secret, c, r, dleq)).isTrue();
    assertThat(CashuBdhke.verifyProofDleq(G, "another secret".getBytes(StandardCharsets.UTF_8), c, r, dleq)).isFalse();
  }

  @Test
  void walletMintRoundTrip() {
    // Proves blind -> sign -> unblind yields C = k*Y that the mint verifies, with DLEQ proofs valid for wallet and receiver.
    Random random = new Random(12);
    for (int round = 0; round < 10; round++) {
      byte[] k = SchnorrTest.randomScalar(random);
      byte[] mintKey = Secp256k1.publicKey(k);
      byte[] secret = ("secret-" + round).getBytes(StandardCharsets.UTF_8);
      byte[] r = SchnorrTest.randomScalar(random);

      byte[] blinded = CashuBdhke.blind(secret, r);
      byte[] blindSignature = CashuBdhke.sign(k, blinded);
      CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(k, blinded, blindSignature);
      byte[] c = CashuBdhke.unblind(blindSignature, r, mintKey);

      assertThat(CashuBdhke.verify(k, secret, c)).isTrue();
      assertThat(CashuBdhke.verify(SchnorrTest.randomScalar(random), secret, c)).isFalse();
      assertThat(CashuBdhke.verify(k, "other".getBytes(StandardCharsets.UTF_8), c)).isFalse();
      assertThat(CashuBdhke.verifyDleq(mintKey, blinded, blindSignature, dleq)).isTrue();
      assertThat(CashuBdhke.verifyProofDleq(mintKey, secret, c, r, dleq)).isTrue();
      assertThat(CashuBdhke.proveDleq(k, blinded, blindSignature)).isEqualTo(dleq);
    }
  }

  @Test
  void forgedOrMismatchedDleqFails() {
    // Proves a proof fails for another key, another blinded message, a tampered e or s, or a C_ not made with k.
    Random random = new Random(7);
    byte[] k = SchnorrTest.randomScalar(random);
    byte[] mintKey = Secp256k1.publicKey(k);
    byte[] blinded = CashuBdhke.blind("x".getBytes(StandardCharsets.UTF_8), SchnorrTest.randomScalar(random));
    byte[] blindSignature = CashuBdhke.sign(k, blinded);
    CashuBdhke.Dleq dleq = CashuBdhke.proveDleq(k, blinded, blindSignature);
    byte[] otherPoint = Secp256k1.publicKey(SchnorrTest.randomScalar(random));

    assertThat(CashuBdhke.verifyDleq(otherPoint, blinded, blindSignature, dleq)).isFalse();
    assertThat(CashuBdhke.verifyDleq(mintKey, otherPoint, blindSignature, dleq)).isFalse();
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, otherPoint, dleq)).isFalse();
    byte[] e = dleq.e().clone();
    e[31] ^= 1;
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, blindSignature, new CashuBdhke.Dleq(e, dleq.s()))).isFalse();
    byte[] s = dleq.s().clone();
    s[0] ^= 1;
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, blindSignature, new CashuBdhke.Dleq(dleq.e(), s))).isFalse();
    byte[] max = new byte[32];
    java.util.Arrays.fill(max, (byte) 0xff);
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, blindSignature, new CashuBdhke.Dleq(dleq.e(), max))).isFalse();
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, blindSignature, new CashuBdhke.Dleq(new byte[32], dleq.s()))).isFalse();
    CashuBdhke.Dleq wrongC = CashuBdhke.proveDleq(k, blinded, otherPoint);
    assertThat(CashuBdhke.verifyDleq(mintKey, blinded, otherPoint, wrongC)).isFalse();
  }

  @Test
  void badArgumentsAreNamed() {
    // Proves invalid points and scalars raise IllegalArgumentException naming the argument and the defect.
    byte[] notOnCurve = hex("020000000000000000000000000000000000000000000000000000000000000005");
    assertThat(Secp256k1.isPoint(notOnCurve)).isFalse();
    assertThatThrownBy(() -> CashuBdhke.sign(ONE, notOnCurve)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("B_ is not a point on secp256k1");
    assertThatThrownBy(() -> CashuBdhke.sign(new byte[31], B_VECTOR)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("k is 31 bytes, expected 32");
    assertThatThrownBy(() -> CashuBdhke.sign(new byte[32], B_VECTOR)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("k is not a valid secp256k1 scalar");
    assertThatThrownBy(() -> CashuBdhke.unblind(B_VECTOR, ONE, new byte[32])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("K is 32 bytes, expected a 33-byte compressed point");
    assertThatThrownBy(() -> CashuBdhke.blind(null, ONE)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret is missing");
    assertThatThrownBy(() -> CashuBdhke.verify(ONE, new byte[0], notOnCurve)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("C is not a point on secp256k1");
    assertThatThrownBy(() -> CashuBdhke.verifyDleq(G, B_VECTOR, B_VECTOR, new CashuBdhke.Dleq(new byte[31], new byte[32])))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("dleq e is 31 bytes, expected 32");
    assertThatThrownBy(() -> CashuBdhke.verifyDleq(G, B_VECTOR, B_VECTOR, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("dleq is missing");
  }

  @Test
  void unblindingToInfinityIsRefused() {
    // Proves a blind signature equal to r*K cannot unblind to the point at infinity.
    byte[] r = hex("0000000000000000000000000000000000000000000000000000000000000005");
    byte[] k = hex("0000000000000000000000000000000000000000000000000000000000000007");
    byte[] mintKey = Secp256k1.publicKey(k);
    byte[] blindSignature = CashuBdhke.sign(r, mintKey);
    assertThatThrownBy(() -> CashuBdhke.unblind(blindSignature, r, mintKey)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("point at infinity");
  }

  @Test
  void dleqValuesCompareByContent() {
    // Proves Dleq equality is by content, so replicas can compare proofs directly.
    CashuBdhke.Dleq one = new CashuBdhke.Dleq(ONE.clone(), G.clone());
    assertThat(one).isEqualTo(new CashuBdhke.Dleq(ONE.clone(), G.clone())).hasSameHashCodeAs(new CashuBdhke.Dleq(ONE, G));
    assertThat(one).isNotEqualTo(new CashuBdhke.Dleq(G, ONE));
  }

  private static byte[] hex(String hex) {
    return HEX.parseHex(hex);
  }
}
