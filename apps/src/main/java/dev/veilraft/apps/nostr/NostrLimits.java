package dev.veilraft.apps.nostr;

/**
 * The relay's replicated bounds: every member applies and queries with the same ones, so they are
 * part of the cluster's code, not node settings. A node's front end may be stricter (its {@link
 * RelaySettings.Limits}) but never looser.
 */
public final class NostrLimits {
  /** Largest event, counted as the UTF-8 bytes of its canonical JSON (all seven fields). */
  public static final int eventBytesMax = 256 * 1024;
  /** Most tags in one event (a follow list of 2,500 contacts fits). */
  public static final int eventTagsMax = 2_500;
  /** Most strings in one tag. */
  public static final int tagElementsMax = 64;
  /** Longest content, in UTF-16 code units as JavaScript counts {@code content.length} (NIP-11 max_content_length). */
  public static final int contentCharsMax = 128 * 1024;
  /** How far past the cluster's time (the leader's time on the entry) an event's created_at may be. */
  public static final long createdAtFutureSecondsMax = 15 * 60;
  /** Most {@code e} and {@code a} references one deletion request (kind 5) may carry. */
  public static final int deletionTargetsMax = 256;
  /** Most filters in one query. */
  public static final int queryFiltersMax = 16;
  /** Most events one filter returns; a larger or missing {@code limit} is clamped to it. */
  public static final int queryLimitMax = 500;
  /** Most values in one filter list (ids, authors, kinds, one tag's values). */
  public static final int filterValuesMax = 1_000;
  /** Longest tag value a filter may ask for, in UTF-16 code units. */
  public static final int filterTagValueCharsMax = 1_024;
  /** Most authenticated pubkeys a query may view restricted events for. */
  public static final int queryViewersMax = 16;
  /** Most bytes of event JSON one query returns; past it the answer says it was cut. */
  public static final int queryResponseBytesMax = 4 * 1024 * 1024;
  /** Most index records one query reads; past it the answer says it was cut. */
  public static final int queryExaminedRecordsMax = 10_000;

  private NostrLimits() {}
}
