package dev.veilraft.apps.nostr;

import java.util.Set;

/** The kind ranges of NIP-01 and the kinds with special meaning to the relay. */
public final class EventKinds {
  /** NIP-09 deletion request. */
  public static final int DELETION = 5;
  /** NIP-42 client authentication: sent with AUTH, never stored or broadcast. */
  public static final int CLIENT_AUTH = 22242;
  /** NIP-04 encrypted direct message. */
  public static final int ENCRYPTED_DIRECT_MESSAGE = 4;
  /** NIP-59 gift wrap. */
  public static final int GIFT_WRAP = 1059;
  /**
   * Kinds served only to an authenticated (NIP-42) party of the event: its author or a pubkey it
   * tags with {@code p}.
   */
  public static final Set<Integer> RESTRICTED = Set.of(ENCRYPTED_DIRECT_MESSAGE, GIFT_WRAP);
  public static final int KIND_MAX = 65_535;

  /** How a relay keeps events of a kind (NIP-01 "Kinds"). */
  public enum Retention {
    /** Every event is stored. */
    REGULAR,
    /** Only the latest per pubkey and kind is stored. */
    REPLACEABLE,
    /** Nothing is stored; events are only broadcast. */
    EPHEMERAL,
    /** Only the latest per pubkey, kind and {@code d} tag is stored. */
    ADDRESSABLE
  }

  private EventKinds() {}

  /** The retention of {@code kind}; kinds outside NIP-01's ranges (45..999, 40000+) are regular. */
  public static Retention retention(int kind) {
    if (kind == 0 || kind == 3 || (kind >= 10_000 && kind < 20_000)) {
      return Retention.REPLACEABLE;
    }
    if (kind >= 20_000 && kind < 30_000) {
      return Retention.EPHEMERAL;
    }
    if (kind >= 30_000 && kind < 40_000) {
      return Retention.ADDRESSABLE;
    }
    return Retention.REGULAR;
  }

  public static boolean isRestricted(int kind) {
    return RESTRICTED.contains(kind);
  }
}
