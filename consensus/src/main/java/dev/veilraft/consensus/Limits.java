package dev.veilraft.consensus;

/**
 * Bounds on what enters the log. The client-facing bounds (event size, pending requests per
 * client, batch size) are the cluster's own, in the genesis (GenesisDocument.eventBytesMax and
 * friends); these are the fixed ones around them.
 */
public final class Limits {
  /** What a sealed request adds to its plaintext: HPKE encapsulated key, AEAD tag, protobuf framing. */
  public static final int SEALED_OVERHEAD_BYTES = 1024;
  /** Largest proposal of any kind: the largest event a genesis may allow plus room for headers. */
  public static final int PROPOSAL_BYTES_MAX = (1 << 20) + 64 * 1024;

  /** Largest sealed request a cluster whose events are at most {@code eventBytesMax} accepts. */
  public static int sealedRequestBytesMax(int eventBytesMax) {
    return eventBytesMax + SEALED_OVERHEAD_BYTES;
  }

  private Limits() {}
}
