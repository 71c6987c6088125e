package dev.veilraft.membership;

import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.RequestLimits;

/**
 * Defaults and ranges of the genesis membership rules and request limits. Zero in a field means
 * its default; any other value must lie in [MIN, MAX] (unsigned), or the genesis is refused with
 * the field named. {@link GenesisDocument} returns the effective values.
 */
public final class GenesisRules {
  private static final long SECOND_MS = 1_000;
  private static final long MINUTE_MS = 60 * SECOND_MS;
  private static final long DAY_MS = 24 * 60 * MINUTE_MS;
  public static final long REATTEST_INTERVAL_MS_DEFAULT = 10 * MINUTE_MS;
  public static final long REATTEST_INTERVAL_MS_MIN = SECOND_MS;
  public static final long REATTEST_INTERVAL_MS_MAX = 7 * DAY_MS;
  public static final long REATTEST_GRACE_MS_MIN = SECOND_MS;
  public static final long REATTEST_GRACE_MS_MAX = 30 * DAY_MS;
  public static final long POLICY_GRACE_MS_DEFAULT = DAY_MS;
  public static final long POLICY_GRACE_MS_MIN = SECOND_MS;
  public static final long POLICY_GRACE_MS_MAX = 30 * DAY_MS;
  public static final long ROTATION_INTERVAL_MS_DEFAULT = DAY_MS;
  public static final long ROTATION_INTERVAL_MS_MIN = SECOND_MS;
  public static final long ROTATION_INTERVAL_MS_MAX = 30 * DAY_MS;
  public static final long PROPOSAL_TTL_MS_MAX_DEFAULT = 7 * DAY_MS;
  public static final long PROPOSAL_TTL_MS_MAX_MIN = MINUTE_MS;
  public static final long PROPOSAL_TTL_MS_MAX_MAX = 30 * DAY_MS;
  public static final int EVENT_BYTES_MAX_DEFAULT = 64 << 10;
  public static final int EVENT_BYTES_MAX_MIN = 1_024;
  public static final int EVENT_BYTES_MAX_MAX = 1 << 20;
  public static final int PENDING_PER_CLIENT_MAX_DEFAULT = 128;
  public static final int PENDING_PER_CLIENT_MAX_MAX = 4_096;
  public static final int BATCH_EVENTS_MAX_DEFAULT = 64;
  public static final int BATCH_EVENTS_MAX_MAX = 4_096;

  private GenesisRules() {}

  static void validate(MembershipRules rules, RequestLimits limits) throws GenesisException {
    validateRules(rules);
    validateLimits(limits);
  }

  private static void validateRules(MembershipRules r) throws GenesisException {
    if (r.getDiversityValue() < 0 || r.getDiversityValue() > DiversityAction.DIVERSITY_OFF_VALUE) {
      throw new GenesisException("field rules.diversity is " + r.getDiversityValue()
          + ", expected 0 (listener), 1 (refuse) or 2 (off)");
    }
    checkRange("rules.reattest_interval_ms", r.getReattestIntervalMs(), REATTEST_INTERVAL_MS_MIN, REATTEST_INTERVAL_MS_MAX);
    checkRange("rules.reattest_grace_ms", r.getReattestGraceMs(), REATTEST_GRACE_MS_MIN, REATTEST_GRACE_MS_MAX);
    checkRange("rules.policy_grace_ms", r.getPolicyGraceMs(), POLICY_GRACE_MS_MIN, POLICY_GRACE_MS_MAX);
    checkRange("rules.rotation_interval_ms", r.getRotationIntervalMs(), ROTATION_INTERVAL_MS_MIN,
        ROTATION_INTERVAL_MS_MAX);
    checkRange("rules.proposal_ttl_ms_max", r.getProposalTtlMsMax(), PROPOSAL_TTL_MS_MAX_MIN, PROPOSAL_TTL_MS_MAX_MAX);
  }

  private static void validateLimits(RequestLimits l) throws GenesisException {
    checkRange("limits.event_bytes_max", Integer.toUnsignedLong(l.getEventBytesMax()), EVENT_BYTES_MAX_MIN,
        EVENT_BYTES_MAX_MAX);
    checkRange("limits.pending_per_client_max", Integer.toUnsignedLong(l.getPendingPerClientMax()), 1,
        PENDING_PER_CLIENT_MAX_MAX);
    checkRange("limits.batch_events_max", Integer.toUnsignedLong(l.getBatchEventsMax()), 1, BATCH_EVENTS_MAX_MAX);
  }

  /** Zero means "the default"; anything else must lie in [min, max] (unsigned). */
  private static void checkRange(String field, long value, long min, long max) throws GenesisException {
    if (value != 0 && (Long.compareUnsigned(value, min) < 0 || Long.compareUnsigned(value, max) > 0)) {
      throw new GenesisException("field " + field + " is " + Long.toUnsignedString(value) + ", expected 0 (the default) or "
          + min + ".." + max);
    }
  }
}
