package dev.veilraft.apps.nostr;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Jazzer fuzz target for the client message parser, fed UTF-8 text frames. Under {@code mvn verify}
 * it runs as a regression test over the seed messages in {@code RelayMessageFuzzTestInputs} (the
 * messages of {@link RelayMessageMutationTest#seeds}); with
 * {@code JAZZER_FUZZ=1} Jazzer mutates inputs for as long as it is let run. Any input must keep
 * {@link RelayMessageProperty}: no throw, only well-formed NIP-01 answers, no close.
 */
class RelayMessageFuzzTest {
  /** Made on first use, so the relay's classes load after Jazzer's agent and carry its coverage instrumentation. */
  private static RelayMessageProperty property;

  private static synchronized RelayMessageProperty property() throws InterruptedException {
    if (property == null) {
      property = new RelayMessageProperty();
    }
    return property;
  }

  @AfterAll
  static void stop() {
    if (property != null) {
      property.close();
    }
  }

  @FuzzTest
  void clientMessagesKeepTheParserContract(byte[] data) throws Exception {
    property().check(new String(data, StandardCharsets.UTF_8));
  }

  @Test
  void seedsKeepTheParserContract() throws Exception {
    // Proves the seed messages themselves pass the property the fuzz target checks.
    for (String seed : RelayMessageMutationTest.seeds()) {
      property().check(seed);
    }
  }
}
