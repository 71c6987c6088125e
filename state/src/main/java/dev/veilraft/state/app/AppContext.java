package dev.veilraft.state.app;

import dev.veilraft.crypto.DeterministicRandom;

/**
 * What an app may know about the entry it applies, all of it from the committed entry.
 *
 * @param index the entry's log index (unique, increasing)
 * @param leaderTimeMs the leader's time stamped on the entry, monotonic along the log; use it for
 *     expiries, never the local clock
 * @param random reproducible on every member, unpredictable outside the group (see
 *     {@link DeterministicRandom}); not for secrets one node alone must hold
 */
public record AppContext(long index, long leaderTimeMs, DeterministicRandom random) {}
