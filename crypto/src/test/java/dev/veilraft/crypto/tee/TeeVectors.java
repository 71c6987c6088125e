package dev.veilraft.crypto.tee;

import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.attestation.SharedVectors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The real TEE evidence in shared/vectors, read at test time and never copied into the
 * repository. The build passes the shared directory as {@code veilraft.shared.dir}; without it
 * "../shared" is tried. Absent vectors skip a test locally and fail it in CI.
 */
final class TeeVectors {
  static final String VIRTEE_REPORT = "sev-snp/virtee-sev/report_milan.bin";
  static final String VIRTEE_VCEK = "sev-snp/virtee-sev/vcek_milan.der";
  static final String VIRTEE_CHAIN = "sev-snp/virtee-sev/cert_chain_milan";
  static final String VLEK_REPORT = "sev-snp/trustee/test-vlek-report.bin";
  static final String VLEK = "sev-snp/trustee/test-vlek.der";
  static final String MILAN_VLEK_CHAIN = "sev-snp/amd-ark-ask/ask_ark_milan_vlek.pem";
  static final String TDX_QUOTE_V4 = "tdx/trustee/tdx_quote_4.dat";
  static final String TDX_QUOTE_V5 = "tdx/trustee/tdx_quote_5.dat";
  static final String NITRO_DOCUMENT = "nitro/evervault/valid-attestation-doc-bytes";

  private TeeVectors() {}

  static Path dir() {
    return SharedVectors.dir();
  }

  static byte[] read(String relative) throws IOException {
    return SharedVectors.read(relative);
  }

  /** Every certificate in a PEM or DER vector file, as DER. */
  static List<byte[]> certificates(String relative) throws IOException, CryptoException {
    return Certificates.readAll(read(relative), relative);
  }

  static String text(String relative) throws IOException {
    return new String(read(relative), StandardCharsets.US_ASCII);
  }
}
