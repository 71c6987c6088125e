package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;

/**
 * Fuzz target for the decoders of untrusted points, keys and proofs: {@link Secp256k1#isPoint},
 * {@link Secp256k1#checkPoint}, {@link Schnorr#verify} and {@link CashuBdhke#verifyDleq}. Under
 * {@code mvn test} it runs over the synthetic seeds in {@code PointDecodingFuzzTestInputs} (see
 * {@link Secp256k1FuzzSeeds}); with {@code JAZZER_FUZZ=1} Jazzer mutates them. Only {@link
 * IllegalArgumentException} may escape, and Schnorr verification of right-length input never throws.
 */
class PointDecodingFuzzTest {
  @FuzzTest
  void decodersThrowOnlyIllegalArgument(byte[] data) {
    // Proves point and proof decoders end malformed input in false or IllegalArgumentException, never another exception.
    byte[] prefix = Arrays.copyOf(data, Math.min(data.length, Secp256k1.POINT_BYTES));
    boolean isPoint = Secp256k1.isPoint(prefix);
    try {
      Secp256k1.checkPoint(prefix, "fuzzed point");
      assertThat(isPoint).isTrue();
    } catch (IllegalArgumentException expected) {
      assertThat(isPoint).isFalse();
      assertThat(expected.getMessage()).startsWith("fuzzed point ");
    }
    if (data.length >= 96) {
      // x-only key, signature, message: right lengths, so verify must answer without throwing.
      Schnorr.verify(Arrays.copyOf(data, 32), Arrays.copyOfRange(data, 96, data.length), Arrays.copyOfRange(data, 32, 96));
    }
    if (data.length >= 163) {
      try {
        CashuBdhke.verifyDleq(Arrays.copyOf(data, 33), Arrays.copyOfRange(data, 33, 66), Arrays.copyOfRange(data, 66, 99),
            new CashuBdhke.Dleq(Arrays.copyOfRange(data, 99, 131), Arrays.copyOfRange(data, 131, 163)));
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
      try {
        CashuBdhke.verifyProofDleq(Arrays.copyOf(data, 33), Arrays.copyOfRange(data, 163, data.length),
            Arrays.copyOfRange(data, 66, 99), Arrays.copyOfRange(data, 99, 131),
            new CashuBdhke.Dleq(Arrays.copyOfRange(data, 99, 131), Arrays.copyOfRange(data, 131, 163)));
      } catch (IllegalArgumentException expected) {
        assertThat(expected.getMessage()).isNotBlank();
      }
    }
  }
}
