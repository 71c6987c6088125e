package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SimulatedFileSealerTest {
  static final byte[] NODE_ID = Hashes.utf8("node-1");
  @TempDir Path dir;

  @Test
  void sealedBlobsUnsealAfterReopeningTheKeyFile() throws Exception {
    // Proves a blob sealed before a restart unseals with the sealer reopened from the same key file.
    Path keyFile = dir.resolve("keys/seal.key");
    byte[] sealed = SimulatedFileSealer.openOrCreate(keyFile).seal(Hashes.utf8("identity key"), NODE_ID);
    SimulatedFileSealer reopened = SimulatedFileSealer.openOrCreate(keyFile);

    assertThat(reopened.unseal(sealed, NODE_ID)).isEqualTo(Hashes.utf8("identity key"));
    assertThat(Files.size(keyFile)).isEqualTo(32);
    assertThat(reopened.describe()).contains("INSECURE");
  }

  @Test
  void anotherNodeIdOrKeyFileDoesNotUnseal() throws Exception {
    // Proves the node id is bound as associated data and another key file cannot unseal.
    byte[] sealed = SimulatedFileSealer.openOrCreate(dir.resolve("a.key")).seal(Hashes.utf8("s"), NODE_ID);

    assertThatThrownBy(() -> SimulatedFileSealer.openOrCreate(dir.resolve("a.key")).unseal(sealed, Hashes.utf8("n2")))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> SimulatedFileSealer.openOrCreate(dir.resolve("b.key")).unseal(sealed, NODE_ID))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void aKeyFileOfTheWrongLengthIsRefused() throws Exception {
    // Proves a truncated key file fails loudly instead of sealing with a weak key.
    Path keyFile = Files.write(dir.resolve("short.key"), new byte[16]);

    assertThatThrownBy(() -> SimulatedFileSealer.openOrCreate(keyFile)).isInstanceOf(IOException.class)
        .hasMessageContaining("16");
  }
}
