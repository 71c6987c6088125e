package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading certificate files (PEM or DER) and ordering certificates given in any order into a chain. */
class CertificatesTest {
  @TempDir static Path dir;
  static List<byte[]> chain;
  static List<byte[]> otherChain;

  @BeforeAll
  static void createChains() throws Exception {
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    chain = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor).certChain();
    SimulatedSnpVendor other = SimulatedSnpVendor.openOrCreate(dir.resolve("other"));
    otherChain = SimulatedSnpChip.openOrCreate(dir.resolve("other-chip"), other).certChain();
  }

  static String pem(List<byte[]> ders) {
    StringBuilder out = new StringBuilder("some preamble text\n");
    for (byte[] der : ders) {
      out.append("-----BEGIN CERTIFICATE-----\n").append(Base64.getMimeEncoder().encodeToString(der))
          .append("\n-----END CERTIFICATE-----\n");
    }
    return out.toString();
  }

  @Test
  void anyOrderBecomesLeafFirstAndDuplicatesAreDropped() throws Exception {
    // Proves ARK, leaf, ASK, leaf is ordered leaf, ASK, ARK with the duplicate leaf dropped.
    List<byte[]> shuffled = List.of(chain.get(2), chain.get(0), chain.get(1), chain.get(0));

    assertThat(Certificates.orderLeafFirst(shuffled)).containsExactly(chain.get(0), chain.get(1), chain.get(2));
  }

  @Test
  void certificatesOfTwoChainsAreRefused() {
    // Proves certificates that do not lie on one path from a leaf to its root are an error naming the count.
    List<byte[]> mixed = new ArrayList<>(chain);
    mixed.add(otherChain.get(0));

    assertThatThrownBy(() -> Certificates.orderLeafFirst(mixed)).isInstanceOf(CryptoException.class)
        .hasMessageContaining("do not form one chain");
  }

  @Test
  void pemFilesYieldEveryBlockAndDerFilesOneCertificate() throws Exception {
    // Proves a PEM file with text around its blocks yields each DER certificate, and a DER file itself.
    byte[] pemFile = pem(chain).getBytes(StandardCharsets.US_ASCII);

    assertThat(Certificates.readAll(pemFile, "chain.pem")).containsExactlyElementsOf(chain);
    assertThat(Certificates.readAll(chain.get(0), "vcek.der")).containsExactly(chain.get(0));
    assertThatThrownBy(() -> Certificates.readAll("-----BEGIN CERTIFICATE-----\nAAAA".getBytes(StandardCharsets.US_ASCII),
        "cut.pem")).isInstanceOf(CryptoException.class).hasMessageContaining("cut.pem");
    assertThatThrownBy(() -> Certificates.readAll(new byte[] {1, 2, 3}, "junk.der"))
        .isInstanceOf(CryptoException.class).hasMessageContaining("junk.der");
  }
}
