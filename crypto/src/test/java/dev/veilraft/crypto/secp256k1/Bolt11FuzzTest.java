package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Fuzz target for {@link Bolt11#decode}, which reads invoices from untrusted wallets (melt
 * requests). Under {@code mvn test} it runs as a regression test over the synthetic seeds in
 * {@code Bolt11FuzzTestInputs} (see {@link Secp256k1FuzzSeeds}); with {@code JAZZER_FUZZ=1} Jazzer
 * mutates them. Only {@link IllegalArgumentException} may escape, and what decodes must satisfy the
 * invoice's invariants.
 */
class Bolt11FuzzTest {
  @FuzzTest
  void decoderThrowsOnlyIllegalArgument(byte[] data) {
    // Proves decode ends every malformed input in IllegalArgumentException, and accepted invoices are within their bounds.
    String text = new String(data, StandardCharsets.ISO_8859_1);
    try {
      Bolt11.Decoded decoded = Bolt11.decodeWithDetails(text);
      Bolt11.Invoice invoice = decoded.invoice();
      assertThat(Secp256k1.isPoint(invoice.payeeNodeKey())).isTrue();
      assertThat(invoice.paymentHash()).hasSize(32);
      assertThat(invoice.paymentSecret()).hasSize(32);
      assertThat(invoice.timestampSeconds()).isBetween(0L, Bolt11.TIMESTAMP_SECONDS_MAX);
      assertThat(invoice.amountMsat() == null || (invoice.amountMsat() > 0 && invoice.amountMsat() <= Bolt11.AMOUNT_MSAT_MAX)).isTrue();
      assertThat(invoice.description() == null).isEqualTo(decoded.details().descriptionHash() != null);
      assertThat(invoice.expirySeconds()).isBetween(0L, Bolt11.INTEGER_FIELD_MAX);
    } catch (IllegalArgumentException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
