package dev.veilraft.crypto.tee;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Sealing with the SEV-SNP derived key, through an emulated /dev/sev-guest. */
class SnpDerivedKeySealerTest {
  static final Path DEVICE = Path.of("/dev/sev-guest");
  static final byte[] LABEL = Hashes.utf8("veilraft/node-keys/v1");

  static SnpDerivedKeySealer sealer(byte fill) throws Exception {
    FakeSevGuestDriver driver = new FakeSevGuestDriver(TeeVectors.read(TeeVectors.VIRTEE_REPORT), new byte[0]);
    driver.derivedKeyFill = fill;
    try (SevGuestDevice device = SevGuestDevice.open(DEVICE, driver)) {
      SnpDerivedKeySealer sealer = SnpDerivedKeySealer.open(device);
      // The key is bound to the measurement and guest policy, from the VCEK: fields 0x9 of the request.
      assertThat(driver.lastDerivedKeyFields).containsExactly(0, 0x9, 0, 0, 0);
      return sealer;
    }
  }

  @Test
  void whatOneGuestSealsOnlyTheSameGuestUnseals() throws Exception {
    // Proves a blob sealed under the derived key opens under the same key, and not under another chip's or code's key.
    byte[] sealed = sealer((byte) 0x5A).seal(Hashes.utf8("node secrets"), LABEL);

    assertThat(sealer((byte) 0x5A).unseal(sealed, LABEL)).isEqualTo(Hashes.utf8("node secrets"));
    assertThatThrownBy(() -> sealer((byte) 0x33).unseal(sealed, LABEL)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> sealer((byte) 0x5A).unseal(sealed, Hashes.utf8("other label")))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void describesItselfWithoutSecrets() throws Exception {
    // Proves the log line names the mechanism and nothing of the key.
    assertThat(sealer((byte) 0x5A).describe()).contains("derived key").doesNotContain("5a5a");
  }
}
