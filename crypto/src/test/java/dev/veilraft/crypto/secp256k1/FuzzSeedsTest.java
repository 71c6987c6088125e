package dev.veilraft.crypto.secp256k1;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FuzzSeedsTest {
  @Test
  void committedFuzzSeedsAreTheSyntheticOnes() throws IOException {
    // Proves the committed fuzz seeds are exactly what Secp256k1FuzzSeeds builds from fixed synthetic keys.
    for (Map.Entry<String, Map<String, byte[]>> directory : Secp256k1FuzzSeeds.all().entrySet()) {
      if (Boolean.getBoolean("veilraft.regenerateSeeds")) {
        Path dir = Path.of("src/test/resources/dev/veilraft/crypto/secp256k1").resolve(directory.getKey());
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> seed : directory.getValue().entrySet()) {
          Files.write(dir.resolve(seed.getKey()), seed.getValue());
        }
      }
      for (Map.Entry<String, byte[]> seed : directory.getValue().entrySet()) {
        try (InputStream in = getClass().getResourceAsStream(directory.getKey() + "/" + seed.getKey())) {
          assertThat(in).as("seed %s/%s is committed", directory.getKey(), seed.getKey()).isNotNull();
          assertThat(in.readAllBytes()).as("seed %s", seed.getKey()).isEqualTo(seed.getValue());
        }
      }
    }
  }

  @Test
  void bolt11SeedsAreValidInvoices() {
    // Proves every Bolt11 fuzz seed decodes, so mutation starts from inputs that reach the signature check.
    for (byte[] seed : Secp256k1FuzzSeeds.bolt11().values()) {
      assertThat(Bolt11.decode(new String(seed, StandardCharsets.ISO_8859_1)).payeeNodeKey()).hasSize(Secp256k1.POINT_BYTES);
    }
  }
}
