package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.CryptoException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebTlsKeyTest {
  @Test
  void csrIsSignedByTheSealedKeyAndNamesTheDomains(@TempDir Path dir) throws Exception {
    // The CSR verifies under the key the node sealed, carries the requested DNS names, and the key reloads unchanged.
    SimulatedFileSealer sealer = SimulatedFileSealer.openOrCreate(dir.resolve("seal.key"));
    WebTlsKey key = WebTlsKey.loadOrCreate(dir, sealer);
    String pem = key.csrPem(List.of("mint.example.org", "*.relay.example.org"));
    PKCS10CertificationRequest csr;
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      csr = (PKCS10CertificationRequest) parser.readObject();
    }
    assertThat(csr.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(new org.bouncycastle.jce.provider.BouncyCastleProvider()).build(csr.getSubjectPublicKeyInfo()))).isTrue();
    assertThat(csr.getSubjectPublicKeyInfo().getEncoded()).isEqualTo(key.spki());
    GeneralNames names = GeneralNames.getInstance(csr.getRequestedExtensions()
        .getExtension(Extension.subjectAlternativeName).getParsedValue());
    assertThat(names.getNames()).extracting(n -> n.getTagNo() + ":" + n.getName().toString())
        .containsExactly(GeneralName.dNSName + ":mint.example.org", GeneralName.dNSName + ":*.relay.example.org");
    SimulatedFileSealer otherTee = SimulatedFileSealer.openOrCreate(dir.resolve("other-seal.key"));
    assertThatThrownBy(() -> WebTlsKey.load(dir, otherTee)).isInstanceOf(CryptoException.class);
    assertThat(WebTlsKey.loadOrCreate(dir, sealer).spki()).isEqualTo(key.spki());
    assertThat(WebTlsKey.load(dir, sealer).spki()).isEqualTo(key.spki());
  }

  @Test
  void certificateForAnotherKeyIsRefusedByName(@TempDir Path dir) throws Exception {
    // A chain issued for this key is accepted; one for any other key is refused, and so are bad names and missing keys.
    SimulatedFileSealer sealer = SimulatedFileSealer.openOrCreate(dir.resolve("seal.key"));
    WebTlsKey key = WebTlsKey.loadOrCreate(dir.resolve("a"), sealer);
    WebTlsKey other = WebTlsKey.loadOrCreate(dir.resolve("b"), sealer);
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, key.selfSignedPem(List.of("localhost.example"), Instant.now(), Duration.ofDays(1)));
    List<X509Certificate> certs = WebTlsKey.readChain(chain);
    assertThat(key.entry(certs).getCertificate()).isEqualTo(certs.get(0));
    assertThatThrownBy(() -> other.entry(certs)).isInstanceOf(CryptoException.class).hasMessageContaining("another key");
    assertThatThrownBy(() -> key.csrPem(List.of("Not A Name"))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Not A Name");
    assertThatThrownBy(() -> WebTlsKey.load(dir.resolve("c"), sealer)).isInstanceOf(CryptoException.class)
        .hasMessageContaining("veilraft tls csr");
    Files.writeString(chain, "garbage");
    assertThatThrownBy(() -> WebTlsKey.readChain(chain)).isInstanceOf(CryptoException.class).hasMessageContaining("chain.pem");
  }
}
