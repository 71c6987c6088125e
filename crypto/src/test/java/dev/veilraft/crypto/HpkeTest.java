package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HpkeTest {
  static final byte[] INFO = Hashes.utf8("info");
  static final byte[] AAD = Hashes.utf8("aad");

  @Test
  void sealedMessagesOpenForTheRecipient() throws Exception {
    // Proves single-shot seal/open round-trips for the recipient's key pair.
    KemKeyPair recipient = KemKeyPair.generate();
    Hpke.Sealed sealed = Hpke.seal(recipient.publicKey(), INFO, AAD, Hashes.utf8("hello"));

    assertThat(sealed.encapsulatedKey()).hasSize(Hpke.ENCAPSULATED_KEY_BYTES);
    assertThat(Hpke.open(recipient, INFO, AAD, sealed)).isEqualTo(Hashes.utf8("hello"));
  }

  @Test
  void senderAndReceiverExportTheSameSecret() throws Exception {
    // Proves the exporter gives both ends the same response key, and different contexts give different keys.
    KemKeyPair recipient = KemKeyPair.generate();
    Hpke.Sender sender = Hpke.sender(recipient.publicKey(), INFO);
    Hpke.Receiver receiver = Hpke.receiver(recipient, sender.encapsulatedKey(), INFO);
    byte[] context = Hashes.utf8("response");

    assertThat(receiver.export(context, 32)).isEqualTo(sender.export(context, 32));
    assertThat(sender.export(Hashes.utf8("other"), 32)).isNotEqualTo(sender.export(context, 32));
  }

  @Test
  void wrongRecipientInfoOrAadDoesNotOpen() throws Exception {
    // Proves another key pair, another info or another AAD all fail with CryptoException.
    KemKeyPair recipient = KemKeyPair.generate();
    Hpke.Sealed sealed = Hpke.seal(recipient.publicKey(), INFO, AAD, Hashes.utf8("hello"));

    assertThatThrownBy(() -> Hpke.open(KemKeyPair.generate(), INFO, AAD, sealed)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> Hpke.open(recipient, Hashes.utf8("x"), AAD, sealed)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> Hpke.open(recipient, INFO, Hashes.utf8("x"), sealed)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> Hpke.open(recipient, INFO, AAD, new Hpke.Sealed(new byte[5], sealed.ciphertext())))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void keyPairsSurviveSerializationAndDerivationIsDeterministic() throws Exception {
    // Proves a key pair restored from bytes opens what was sealed to the original, and DeriveKeyPair is a function.
    KemKeyPair original = KemKeyPair.generate();
    KemKeyPair restored = KemKeyPair.fromBytes(original.privateKeyBytes(), original.publicKey());
    Hpke.Sealed sealed = Hpke.seal(original.publicKey(), INFO, AAD, Hashes.utf8("x"));
    byte[] ikm = Hashes.sha256(Hashes.utf8("ikm"));

    assertThat(Hpke.open(restored, INFO, AAD, sealed)).isEqualTo(Hashes.utf8("x"));
    assertThat(KemKeyPair.derive(ikm).publicKey()).isEqualTo(KemKeyPair.derive(ikm).publicKey());
    assertThatThrownBy(() -> Hpke.sender(new byte[31], INFO)).isInstanceOf(IllegalArgumentException.class);
  }
}
