package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class NodeIdentityTest {
  static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");

  @Test
  void signaturesVerifyOnlyForTheSignedMessageAndKey() {
    // Proves sign/verify round-trips and fails for another message, another key or a garbled signature.
    NodeIdentity identity = NodeIdentity.generate(NOW);
    NodeIdentity other = NodeIdentity.generate(NOW);
    byte[] message = Hashes.utf8("challenge");
    byte[] signature = identity.sign(message);

    assertThat(NodeIdentity.verify(identity.certificate().getPublicKey(), message, signature)).isTrue();
    assertThat(NodeIdentity.verify(identity.certificate().getPublicKey(), Hashes.utf8("other"), signature)).isFalse();
    assertThat(NodeIdentity.verify(other.certificate().getPublicKey(), message, signature)).isFalse();
    assertThat(NodeIdentity.verify(identity.certificate().getPublicKey(), message, new byte[] {1, 2})).isFalse();
  }

  @Test
  void nodeIdIsTheHexOfTheFirst16BytesOfTheSpkiHash() {
    // Proves the node id follows DESIGN.md: hex of SHA-256(SPKI)[0:16].
    NodeIdentity identity = NodeIdentity.generate(NOW);

    assertThat(identity.nodeId()).isEqualTo(Hashes.hex(Arrays.copyOf(Hashes.sha256(identity.spki()), 16)))
        .hasSize(32);
    assertThat(identity.certificate().getNotBefore().toInstant()).isBefore(NOW);
  }

  @Test
  void fromEncodedRestoresTheSameIdentity() throws Exception {
    // Proves an identity saved as PKCS#8 + DER comes back with the same id and a working key.
    NodeIdentity identity = NodeIdentity.generate(NOW);
    NodeIdentity restored = NodeIdentity.fromEncoded(identity.privateKey().getEncoded(), identity.certificateDer());
    byte[] message = Hashes.utf8("m");

    assertThat(restored.nodeId()).isEqualTo(identity.nodeId());
    assertThat(NodeIdentity.verify(identity.certificate().getPublicKey(), message, restored.sign(message))).isTrue();
  }

  @Test
  void fromEncodedRefusesAKeyThatIsNotTheCertificates() {
    // Proves a private key paired with another identity's certificate, or garbage, is refused.
    NodeIdentity a = NodeIdentity.generate(NOW);
    NodeIdentity b = NodeIdentity.generate(NOW);

    assertThatThrownBy(() -> NodeIdentity.fromEncoded(a.privateKey().getEncoded(), b.certificateDer()))
        .isInstanceOf(CryptoException.class).hasMessageContaining("does not match");
    assertThatThrownBy(() -> NodeIdentity.fromEncoded(new byte[] {1, 2, 3}, a.certificateDer()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> NodeIdentity.fromEncoded(a.privateKey().getEncoded(), new byte[] {1, 2, 3}))
        .isInstanceOf(CryptoException.class);
  }
}
