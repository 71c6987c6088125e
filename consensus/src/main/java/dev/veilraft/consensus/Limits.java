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
  /**
   * Most client events in one grouped entry ({@code EventGroup}). Every replica refuses a larger
   * group as a whole (GROUP_TOO_LARGE), so this is part of the replicated rules: lowering it would
   * split replicas over groups already in the log.
   */
  public static final int GROUP_EVENTS_MAX = 256;
  /**
   * Largest serialized {@code EventGroup}: its events and their framing. Leaves room under
   * {@link #PROPOSAL_BYTES_MAX} for the proposal's own framing (a grouped proposal is never refused
   * for size by the state machine) and stays far below Ratis' gRPC message and log appender
   * buffer limits (64 MiB and 4 MiB by default). One event larger than this is sent alone.
   */
  public static final int GROUP_BYTES_MAX = 1 << 20;
  /**
   * Answers of one grouped entry, serialized: once the events applied so far answered more than
   * this, every later event of the entry is answered GROUP_ANSWERS_FULL and not applied (no state,
   * no exactly-once record), so its sender can send it again. Small requests can ask for large
   * answers (a batch of gets of large values), and without this bound one group's reply outgrew
   * Ratis' reply limit (64 MiB: every caller failed although the events committed) or every
   * replica's heap. The event that crosses the bound is applied, so each group applies at least
   * one event, and a reply stays below this plus one event's answer, far under 64 MiB. Part of the
   * replicated rules, like {@link #GROUP_EVENTS_MAX}.
   */
  public static final int GROUP_ANSWER_BYTES_MAX = 16 << 20;

  /**
   * Most replied call ids a leader copies from one request into its log entry ({@code
   * LogEntry.replied_call_ids}); any beyond are left out, and the answers they name stay in the
   * members' retry caches until those expire. A node's own local requests name at most this many,
   * so none of theirs is left out. Not part of the replicated rules (apply's state and answers
   * ignore the list); a member also reads no more than this many from an entry.
   */
  public static final int REPLIED_CALL_IDS_MAX = 128;

  /** Largest sealed request a cluster whose events are at most {@code eventBytesMax} accepts. */
  public static int sealedRequestBytesMax(int eventBytesMax) {
    return eventBytesMax + SEALED_OVERHEAD_BYTES;
  }

  private Limits() {}
}
