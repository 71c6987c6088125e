package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SchnorrTest {
  private static final HexFormat HEX = HexFormat.of();
  /** bitcoin/bips bip-0340/test-vectors.csv, unchanged (see secp256k1/SOURCES.md). */
  private static final String VECTORS = "/secp256k1/bip340-test-vectors.csv";

  record Vector(int index, String secretKey, String publicKey, String auxRand, String message, String signature,
      boolean valid, String comment) {
    @Override
    public String toString() {
      return "vector " + index + (comment.isEmpty() ? "" : " (" + comment + ")");
    }
  }

  static Stream<Vector> vectors() throws IOException {
    try (InputStream in = SchnorrTest.class.getResourceAsStream(VECTORS)) {
      assertThat(in).as(VECTORS).isNotNull();
      List<String> lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines().toList();
      assertThat(lines.get(0)).startsWith("index,secret key,public key");
      return lines.stream().skip(1).filter(line -> !line.isBlank()).map(line -> {
        String[] f = line.split(",", -1);
        return new Vector(Integer.parseInt(f[0]), f[1], f[2], f[3], f[4], f[5], f[6].equals("TRUE"), f.length > 7 ? f[7] : "");
      }).toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("vectors")
  void officialVector(Vector v) {
    // Proves sign reproduces each official BIP-340 signature bit for bit and verify returns the expected verdict.
    byte[] publicKey = HEX.parseHex(v.publicKey().toLowerCase());
    byte[] message = HEX.parseHex(v.message().toLowerCase());
    byte[] signature = HEX.parseHex(v.signature().toLowerCase());
    if (!v.secretKey().isEmpty()) {
      byte[] secret = HEX.parseHex(v.secretKey().toLowerCase());
      assertThat(Schnorr.xOnlyPublicKey(secret)).isEqualTo(publicKey);
      assertThat(Schnorr.sign(secret, message, HEX.parseHex(v.auxRand().toLowerCase()))).isEqualTo(signature);
    }
    assertThat(Schnorr.verify(publicKey, message, signature)).isEqualTo(v.valid());
  }

  @Test
  void allNineteenVectorsAreRead() throws IOException {
    // Proves the parameterized test above sees the whole official file, valid and invalid cases alike.
    List<Vector> all = vectors().toList();
    assertThat(all).hasSize(19);
    assertThat(all.stream().filter(Vector::valid)).hasSize(9);
  }

  @Test
  void signaturesVerifyOnlyForTheirKeyAndMessage() {
    // Proves a fresh signature verifies, and fails after any change to message, key or signature.
    Random random = new Random(340);
    for (int round = 0; round < 20; round++) {
      byte[] secret = randomScalar(random);
      byte[] message = new byte[random.nextInt(200)];
      random.nextBytes(message);
      byte[] aux = new byte[32];
      random.nextBytes(aux);
      byte[] publicKey = Schnorr.xOnlyPublicKey(secret);
      byte[] signature = Schnorr.sign(secret, message, aux);
      assertThat(Schnorr.verify(publicKey, message, signature)).isTrue();

      byte[] otherMessage = java.util.Arrays.copyOf(message, message.length + 1);
      assertThat(Schnorr.verify(publicKey, otherMessage, signature)).isFalse();
      assertThat(Schnorr.verify(Schnorr.xOnlyPublicKey(randomScalar(random)), message, signature)).isFalse();
      byte[] flipped = signature.clone();
      flipped[random.nextInt(64)] ^= (byte) (1 << random.nextInt(8));
      assertThat(Schnorr.verify(publicKey, message, flipped)).isFalse();
    }
  }

  @Test
  void verifyReturnsFalseForGarbageOfTheRightLengths() {
    // Proves verify never throws for arbitrary 32-byte keys and 64-byte signatures, including all-0xff values.
    Random random = new Random(64);
    byte[] ones = new byte[64];
    java.util.Arrays.fill(ones, (byte) 0xff);
    assertThat(Schnorr.verify(java.util.Arrays.copyOf(ones, 32), new byte[0], ones)).isFalse();
    assertThat(Schnorr.verify(new byte[32], new byte[32], new byte[64])).isFalse();
    for (int i = 0; i < 200; i++) {
      byte[] key = new byte[32];
      byte[] signature = new byte[64];
      random.nextBytes(key);
      random.nextBytes(signature);
      assertThat(Schnorr.verify(key, new byte[] {(byte) i}, signature)).isFalse();
    }
  }

  @Test
  void wrongLengthsAreRefusedByName() {
    // Proves only missing or wrong-length arguments raise IllegalArgumentException, each naming the argument.
    byte[] secret = HEX.parseHex("0000000000000000000000000000000000000000000000000000000000000003");
    assertThatThrownBy(() -> Schnorr.verify(new byte[33], new byte[0], new byte[64])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("public key is 33 bytes, expected 32");
    assertThatThrownBy(() -> Schnorr.verify(new byte[32], new byte[0], new byte[63])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("signature is 63 bytes, expected 64");
    assertThatThrownBy(() -> Schnorr.verify(new byte[32], null, new byte[64])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("message is missing");
    assertThatThrownBy(() -> Schnorr.sign(secret, new byte[0], new byte[31])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("auxRand32 is 31 bytes, expected 32");
    assertThatThrownBy(() -> Schnorr.sign(new byte[32], new byte[0], new byte[32])).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("secret is not a valid secp256k1 scalar");
    assertThatThrownBy(() -> Schnorr.xOnlyPublicKey(new byte[31])).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret is 31 bytes, expected 32");
  }

  @Test
  void xOnlyKeyCheckMatchesTheCurve() {
    // Proves isXOnlyPublicKey accepts a real key and refuses a non-curve x and x >= p (vectors 5 and 14).
    assertThat(Schnorr.isXOnlyPublicKey(HEX.parseHex("dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659"))).isTrue();
    assertThat(Schnorr.isXOnlyPublicKey(HEX.parseHex("eefdea4cdb677750a420fee807eacf21eb9898ae79b9768766e4faa04a2d4a34"))).isFalse();
    assertThat(Schnorr.isXOnlyPublicKey(HEX.parseHex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc30"))).isFalse();
    assertThat(Schnorr.isXOnlyPublicKey(new byte[33])).isFalse();
    assertThat(Schnorr.isXOnlyPublicKey(null)).isFalse();
  }

  static byte[] randomScalar(Random random) {
    byte[] secret = new byte[32];
    do {
      random.nextBytes(secret);
    } while (!Secp256k1.isScalar(secret));
    return secret;
  }
}
