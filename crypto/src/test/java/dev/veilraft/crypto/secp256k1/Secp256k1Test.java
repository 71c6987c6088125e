package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Secp256k1Test {
  private static final HexFormat HEX = HexFormat.of();
  private static final byte[] SEED = new byte[32];
  private static final String N_HEX = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
  private static final String P_HEX = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";

  @Test
  void publicKeyOfSmallScalarsAreTheKnownMultiplesOfG() {
    // Proves publicKey computes k*G in compressed form for k = 1, 2, 3 and n-1 (= -G, odd y).
    assertThat(Secp256k1.publicKey(scalar(1))).isEqualTo(HEX.parseHex("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"));
    assertThat(Secp256k1.publicKey(scalar(2))).isEqualTo(HEX.parseHex("02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"));
    assertThat(Secp256k1.publicKey(scalar(3))).isEqualTo(HEX.parseHex("02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"));
    byte[] nMinusOne = HEX.parseHex(N_HEX);
    nMinusOne[31]--;
    assertThat(Secp256k1.publicKey(nMinusOne)).isEqualTo(HEX.parseHex("0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"));
  }

  @Test
  void pointValidationRefusesEveryMalformedShape() {
    // Proves isPoint accepts both parities of a real point and refuses wrong lengths, prefixes, x >= p, and x off the curve.
    byte[] g = Secp256k1.publicKey(scalar(1));
    byte[] minusG = g.clone();
    minusG[0] = 0x03;
    assertThat(Secp256k1.isPoint(g)).isTrue();
    assertThat(Secp256k1.isPoint(minusG)).isTrue();
    assertThat(Secp256k1.isPoint(null)).isFalse();
    assertThat(Secp256k1.isPoint(new byte[0])).isFalse();
    assertThat(Secp256k1.isPoint(new byte[] {0x00})).as("SEC1 infinity").isFalse();
    assertThat(Secp256k1.isPoint(new byte[33])).isFalse();
    byte[] uncompressedPrefix = g.clone();
    uncompressedPrefix[0] = 0x04;
    assertThat(Secp256k1.isPoint(uncompressedPrefix)).isFalse();
    assertThat(Secp256k1.isPoint(HEX.parseHex("02" + P_HEX))).as("x = p").isFalse();
    assertThat(Secp256k1.isPoint(HEX.parseHex("020000000000000000000000000000000000000000000000000000000000000001"))).as("x = 1").isTrue();
    assertThat(Secp256k1.isPoint(HEX.parseHex("02fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30")))
        .as("x = p + 1 must not be reduced to the valid x = 1").isFalse();
    assertThat(Secp256k1.isPoint(HEX.parseHex("02ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"))).as("x > p").isFalse();
    assertThat(Secp256k1.isPoint(HEX.parseHex("020000000000000000000000000000000000000000000000000000000000000005"))).isFalse();
    assertThat(Secp256k1.isPoint(java.util.Arrays.copyOf(g, 34))).isFalse();
  }

  @Test
  void checkPointAndCheckScalarNameTheArgument() {
    // Proves the checks raise IllegalArgumentException whose message names the argument and the defect.
    assertThatThrownBy(() -> Secp256k1.checkPoint(new byte[33], "B_")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("B_ is not a point on secp256k1");
    assertThatThrownBy(() -> Secp256k1.checkPoint(new byte[65], "K")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("K is 65 bytes, expected a 33-byte compressed point");
    assertThatThrownBy(() -> Secp256k1.checkPoint(null, "C")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("C is missing, expected a 33-byte compressed point");
    assertThatThrownBy(() -> Secp256k1.checkScalar(new byte[31], "amount key")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("amount key is 31 bytes, expected 32");
    assertThatThrownBy(() -> Secp256k1.checkScalar(HEX.parseHex(N_HEX), "amount key")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("amount key is not a valid secp256k1 scalar (zero or not below the group order n)");
    assertThatThrownBy(() -> Secp256k1.publicKey(new byte[32])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("secret is not a valid secp256k1 scalar");
    assertThat(Secp256k1.isScalar(scalar(1))).isTrue();
    assertThat(Secp256k1.isScalar(HEX.parseHex(N_HEX))).isFalse();
    assertThat(Secp256k1.isScalar(new byte[32])).isFalse();
  }

  @Test
  void deriveScalarIsDeterministicAndSeparatesInputs() {
    // Proves derivation repeats for equal inputs, differs when seed, label or context differ, and the label is length-prefixed.
    byte[] first = Secp256k1.deriveScalar(SEED, "cashu/keyset", new byte[] {0, 1});
    assertThat(Secp256k1.deriveScalar(SEED.clone(), "cashu/keyset", new byte[] {0, 1})).isEqualTo(first);
    assertThat(Secp256k1.isScalar(first)).isTrue();
    Set<String> distinct = new HashSet<>();
    distinct.add(HEX.formatHex(first));
    distinct.add(HEX.formatHex(Secp256k1.deriveScalar(SEED, "cashu/keyset", new byte[] {0, 2})));
    distinct.add(HEX.formatHex(Secp256k1.deriveScalar(SEED, "cashu/keyset", new byte[0])));
    distinct.add(HEX.formatHex(Secp256k1.deriveScalar(SEED, "cashu/keyse", "t\0\1".getBytes(StandardCharsets.UTF_8))));
    byte[] otherSeed = SEED.clone();
    otherSeed[0] = 1;
    distinct.add(HEX.formatHex(Secp256k1.deriveScalar(otherSeed, "cashu/keyset", new byte[] {0, 1})));
    assertThat(distinct).hasSize(5);
  }

  @Test
  void deriveScalarMatchesItsDocumentedConstruction() {
    // Proves the output is HMAC-SHA256(seed, len(label) || label || context || 0x00) when that is a valid scalar.
    byte[] expected = Curve.hmacSha256(SEED, new byte[] {3}, "abc".getBytes(StandardCharsets.US_ASCII), new byte[] {9}, new byte[] {0});
    assertThat(Secp256k1.deriveScalar(SEED, "abc", new byte[] {9})).isEqualTo(expected);
  }

  @Test
  void deriveScalarRefusesWeakOrOversizedInputs() {
    // Proves a short seed, an empty or long label and a long context are refused with the bound in the message.
    assertThatThrownBy(() -> Secp256k1.deriveScalar(new byte[16], "x", new byte[0])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("seed is 16 bytes, expected at least 32");
    assertThatThrownBy(() -> Secp256k1.deriveScalar(SEED, "", new byte[0])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("label is empty");
    assertThatThrownBy(() -> Secp256k1.deriveScalar(SEED, "x".repeat(256), new byte[0])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label is 256 bytes, at most 255 allowed");
    assertThatThrownBy(() -> Secp256k1.deriveScalar(SEED, "x", new byte[1025])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("context is 1025 bytes, expected at most 1024");
  }

  private static byte[] scalar(int value) {
    return Curve.bytes32(BigInteger.valueOf(value));
  }
}
