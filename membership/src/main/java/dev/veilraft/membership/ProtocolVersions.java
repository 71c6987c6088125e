package dev.veilraft.membership;

import dev.veilraft.membership.proto.MemberRecord;
import java.util.List;

/**
 * The replicated protocol version: which rules apply uses. Every build can apply the versions
 * 1..{@link #BUILD_MAX}; the cluster's active version is replicated state (genesis, then
 * governance), and it only goes up. A replica whose build is below the active version stops
 * applying instead of applying an entry differently from its peers (the consensus module's
 * protocol gate); a joiner whose build is below it is refused (PROTOCOL_VERSION_UNSUPPORTED); a
 * raise needs every current member to have advertised support. See DESIGN.md "Upgrades that
 * change apply".
 *
 * <p>Version 1 is everything up to and including client sessions (no release existed before).
 * A change that makes apply accept, refuse or compute anything differently is a new version: it
 * raises {@link #BUILD_MAX} and takes the new path only when the active version allows it.
 */
public final class ProtocolVersions {
  /** The highest protocol version this build applies. Raise it with every change to apply's rules. */
  public static final int BUILD_MAX = 1;
  /** The version a genesis, an advertisement or a record without one (zero) means. */
  public static final int DEFAULT = 1;
  /**
   * Largest version any message may name: a sanity bound, so a typo such as 4294967295 is refused
   * as malformed instead of blocking every later raise.
   */
  public static final int VERSION_LIMIT = 65_535;

  private ProtocolVersions() {}

  /** A version as carried on the wire (zero = absent = {@link #DEFAULT}); unsigned, so huge values stay huge. */
  public static long effective(int wire) {
    return wire == 0 ? DEFAULT : Integer.toUnsignedLong(wire);
  }

  /** The highest version {@code member} advertised. */
  public static long supportedBy(MemberRecord member) {
    return effective(member.getProtocolVersionMax());
  }

  /** Whether {@code wire} is a version a message may name (1..{@link #VERSION_LIMIT}, or zero for the default). */
  public static boolean valid(int wire) {
    return effective(wire) <= VERSION_LIMIT;
  }

  /** The ids of the current members that did not advertise support for {@code version}, sorted. */
  public static List<String> lacking(MembershipView view, long version) {
    return view.members().values().stream().filter(m -> supportedBy(m) < version).map(MemberRecord::getNodeId).toList();
  }

  /** The members in {@code ids} with what each advertised, for refusal messages: "n1 (applies up to 1)". */
  public static String describe(MembershipView view, List<String> ids) {
    return String.join(", ", ids.stream().map(id -> id + " (applies up to "
        + view.member(id).map(ProtocolVersions::supportedBy).orElse((long) DEFAULT) + ")").toList());
  }
}
