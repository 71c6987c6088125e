package dev.veilraft.crypto.attestation;

import static org.assertj.core.api.Assertions.assertThat;

/** Shared assertions of the fuzz targets. */
final class FuzzVerdicts {
  private FuzzVerdicts() {}

  /**
   * The verdict came from a check, not from the verifier's last-resort catch of a runtime
   * exception (whose message starts "evidence could not be read"): that catch keeps replicas
   * alive, but reaching it means a parser has a bug.
   */
  static void assertSpecific(AttestationResult result) {
    assertThat(result).isNotNull();
    assertThat(result.detail()).isNotBlank().doesNotStartWith("evidence could not be read");
  }
}
