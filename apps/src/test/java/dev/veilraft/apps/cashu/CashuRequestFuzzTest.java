package dev.veilraft.apps.cashu;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Fuzz targets for the mint's parsers: the app's request decoder and the wallet-facing NUT
 * readers. Under {@code mvn verify} they run as regression tests over their seeds; with
 * {@code JAZZER_FUZZ=1} Jazzer mutates them. Malformed input must end in {@link MintRefusal},
 * never in another exception.
 */
class CashuRequestFuzzTest {
  @FuzzTest
  void requestDecoderThrowsOnlyRefusals(byte[] data) {
    try {
      MintRequest request = MintRequest.decode(data);
      assertThat(MintRequest.decode(request.encode())).isNotNull();
    } catch (MintRefusal expected) {
      assertThat(expected.detail()).isNotBlank();
    }
  }

  @FuzzTest
  void wireReadersThrowOnlyRefusals(byte[] data) {
    try {
      ObjectNode body = CashuJson.parseObject(data, "request");
      readQuietly(() -> CashuJson.proofs(body, "inputs", "request"));
      readQuietly(() -> CashuJson.outputs(body, "outputs", "request"));
      readQuietly(() -> MintRequest.ys(body, "request"));
      readQuietly(() -> MintRequest.quoteId(body, "request"));
      readQuietly(() -> CashuJson.amount(body, "amount", "request"));
    } catch (MintRefusal expected) {
      assertThat(expected.detail()).isNotBlank();
    }
  }

  private interface Reader {
    Object read() throws MintRefusal;
  }

  private static void readQuietly(Reader reader) {
    try {
      reader.read();
    } catch (MintRefusal expected) {
      assertThat(expected.error()).isNotNull();
    }
  }
}
