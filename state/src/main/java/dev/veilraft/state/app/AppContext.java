package dev.veilraft.state.app;

import dev.veilraft.crypto.DeterministicRandom;

/**
 * What an app may know about the entry it applies, all of it from the committed entry.
 *
 * @param index the entry's log index (increasing; the events of one grouped entry share it, and each
 *     has its own {@code random})
 * @param leaderTimeMs the leader's time stamped on the entry, monotonic along the log; use it for
 *     expiries, never the local clock
 * @param random reproducible on every member, unpredictable outside the group (see
 *     {@link DeterministicRandom}); not for secrets one node alone must hold
 * @param fromMember the request was sealed by a member's own front end, which tagged it with a key
 *     only members hold ({@code MemberEventTag}); an app may trust claims such a request makes
 *     about I/O outside apply (a Lightning payment it saw) and must refuse them from anyone else
 */
public record AppContext(long index, long leaderTimeMs, DeterministicRandom random, boolean fromMember) {
  /** The context of a request from an ordinary client. */
  public AppContext(long index, long leaderTimeMs, DeterministicRandom random) {
    this(index, leaderTimeMs, random, false);
  }

  /** The same entry's context for a request whose origin is {@code member}. */
  public AppContext withFromMember(boolean member) {
    return member == fromMember ? this : new AppContext(index, leaderTimeMs, random, member);
  }
}
