package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.NitroDocument;
import dev.veilraft.crypto.attestation.SharedVectors;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Platform;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NitroNsmAttesterTest {
  private static final Path NSM = Path.of("/dev/nsm");
  private static final String DSTACK_DOCUMENT = "nitro/dstack/dstack-attest_nitro_attestation.bin";

  @Test
  void encodesTheAttestationRequestAsSerdeCborDoes() {
    // Proves the request is the definite-length CBOR map {"Attestation": {"user_data": bstr, "nonce": null, "public_key": null}}.
    byte[] userData = new byte[64];
    Arrays.fill(userData, (byte) 0x11);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.write(0xA1);
    text(expected, "Attestation");
    expected.write(0xA3);
    text(expected, "user_data");
    expected.write(0x58);
    expected.write(64);
    expected.writeBytes(userData);
    text(expected, "nonce");
    expected.write(0xF6);
    text(expected, "public_key");
    expected.write(0xF6);
    assertThat(Hashes.hex(NsmDevice.attestationRequest(userData, null, null))).isEqualTo(Hashes.hex(expected.toByteArray()));
  }

  private static void text(ByteArrayOutputStream out, String s) {
    out.write(0x60 + s.length());
    out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void returnsTheDocumentAndItsPcrs() throws Exception {
    // Proves the attester passes the report data as user_data and returns the NSM's document, with PCR0..2 as measurement.
    byte[] document = SharedVectors.dstackCose(TeeVectors.read(DSTACK_DOCUMENT));
    FakeNsmDriver driver = new FakeNsmDriver(document);
    try (NitroNsmAttester attester = NitroNsmAttester.open(NSM, driver)) {
      byte[] userData = NitroDocument.parse(document).userData();
      Evidence evidence = attester.attest(userData);
      assertThat(evidence.getPlatform()).isEqualTo(Platform.NITRO);
      assertThat(evidence.getReport().toByteArray()).isEqualTo(document);
      assertThat(driver.lastRequest.path("Attestation").path("user_data").binaryValue()).isEqualTo(userData);
      assertThat(driver.lastRequest.path("Attestation").path("nonce").isNull()).isTrue();
      assertThat(Hashes.hex(attester.measurement())).isEqualTo(
          "eb7d0dab08ff41546d7e5659aee883af7b32bb2e58e46815b719f9f7bfae7b880188a10d86317e6509923740526cf74a"
          + "0343b056cd8485ca7890ddd833476d78460aed2aa161548e4e26bedf321726696257d623e8805f3f605946b3d8b0c6aa"
          + "d7b0a76788c1be24898bd148117ea1239578ba0e72f5d87a33a6c6476026675b6f996940f062e0e3f0b5edd2ddf78811");
    }
  }

  @Test
  void namesTheNsmErrorCode() throws Exception {
    // Proves an {"Error": ...} answer fails with the NSM's error code, and garbage fails as unreadable CBOR.
    FakeNsmDriver driver = new FakeNsmDriver(SharedVectors.dstackCose(TeeVectors.read(DSTACK_DOCUMENT)));
    driver.errorResponse = Map.of("Error", "InvalidArgument");
    assertThatThrownBy(() -> NitroNsmAttester.open(NSM, driver))
        .hasMessageContaining("NSM refused the attestation request: InvalidArgument");
    assertThatThrownBy(() -> NsmDevice.attestationDocument(new byte[] {(byte) 0xFF, 0x00}))
        .hasMessageContaining("NSM response");
    assertThatThrownBy(() -> NsmDevice.attestationDocument(new CBORMapper().writeValueAsBytes(Map.of("DescribeNSM",
        Map.of())))).hasMessageContaining("neither Attestation{document} nor Error");
  }
}
