package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Vectors from bitcoin/bips bip-0173.mediawiki "Test vectors" (see secp256k1/SOURCES.md). */
class Bech32Test {
  private static final int BIP173_CHARS_MAX = 90;

  @ParameterizedTest
  @ValueSource(strings = {
      "A12UEL5L",
      "a12uel5l",
      "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
      "11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
      "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
      "?1ezyfcl"})
  void acceptsBip173ValidStringsAndReEncodesThem(String valid) {
    // Proves each BIP-173 valid string decodes and re-encodes to its lowercase form.
    Bech32.Decoded decoded = Bech32.decode(valid, BIP173_CHARS_MAX);
    assertThat(Bech32.encode(decoded.hrp(), decoded.words())).isEqualTo(valid.toLowerCase(java.util.Locale.ROOT));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "\u00201nwldj5", "\u007f1axkwrx", "\u00801eym55h",
      "an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
      "pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\u00ff", "A1G7SGD8", "10a06t8", "1qzzfhee"})
  void refusesBip173InvalidStrings(String invalid) {
    // Proves each BIP-173 invalid string is refused, even with the length limit lifted to invoice size.
    assertThatThrownBy(() -> Bech32.decode(invalid, Bolt11.INVOICE_CHARS_MAX)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void lengthBoundAndMixedCaseAreEnforced() {
    // Proves the caller's length bound and the mixed-case rule are applied with specific messages.
    assertThatThrownBy(() -> Bech32.decode("a12uel5l", 7)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bech32 string is 8 characters, at most 7 allowed");
    assertThatThrownBy(() -> Bech32.decode("A12uel5l", 90)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bech32 string mixes upper and lower case");
  }

  @Test
  void convertBitsRoundTripsAndRefusesDirtyPadding() {
    // Proves 8->5->8 regrouping is lossless and non-zero padding bits are refused.
    Random random = new Random(173);
    for (int length = 0; length < 70; length++) {
      byte[] data = new byte[length];
      random.nextBytes(data);
      byte[] words = Bech32.convertBits(data, 8, 5, true);
      assertThat(Bech32.convertBits(words, 5, 8, false)).isEqualTo(data);
    }
    assertThatThrownBy(() -> Bech32.convertBits(new byte[] {31, 31}, 5, 8, false)).isInstanceOf(IllegalArgumentException.class);
  }
}
