package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Check;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One NIP-01 filter. An absent condition is null; a present list must hold a match (an empty list
 * matches nothing, as in nostr-tools). Matching is exactly nostr-tools' {@code matchFilter}, which
 * clients run again on every event a relay sends them.
 *
 * @param ids event ids (64 lowercase hex), or null
 * @param authors pubkeys (64 lowercase hex), or null
 * @param kinds kinds, or null
 * @param tags single-letter tag name to the values one of which a tag of that name must carry as its first value
 * @param since lowest created_at, or null
 * @param until highest created_at, or null
 * @param limit most stored events asked for, or null (the relay's maximum)
 */
public record Filter(Set<String> ids, Set<String> authors, Set<Integer> kinds, Map<Character, Set<String>> tags,
    Long since, Long until, Integer limit) {

  public Filter {
    ids = ids == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(ids));
    authors = authors == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(authors));
    kinds = kinds == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(kinds));
    TreeMap<Character, Set<String>> copy = new TreeMap<>();
    if (tags != null) {
      tags.forEach((name, values) -> copy.put(name, Collections.unmodifiableSet(new LinkedHashSet<>(values))));
    }
    tags = Collections.unmodifiableMap(copy);
  }

  /** A filter the relay refuses; {@link #prefix} is the NIP-01 machine-readable prefix for CLOSED. */
  public static final class FilterException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String prefix;

    FilterException(String prefix, String message) {
      super(message, null, false, false);
      this.prefix = prefix;
    }

    /** "invalid" or "unsupported". */
    public String prefix() {
      return prefix;
    }
  }

  /** Reads one filter object of a REQ. */
  public static Filter fromJson(JsonNode node) throws FilterException {
    if (node == null || !node.isObject()) {
      throw new FilterException("invalid", "filter is not a JSON object");
    }
    Set<String> ids = null;
    Set<String> authors = null;
    Set<Integer> kinds = null;
    Map<Character, Set<String>> tags = new TreeMap<>();
    Long since = null;
    Long until = null;
    Integer limit = null;
    for (Map.Entry<String, JsonNode> field : node.properties()) {
      String name = field.getKey();
      JsonNode value = field.getValue();
      switch (name) {
        case "ids" -> ids = hexList(name, value);
        case "authors" -> authors = hexList(name, value);
        case "kinds" -> kinds = kindList(value);
        case "since" -> since = timestamp(name, value);
        case "until" -> until = timestamp(name, value);
        case "limit" -> limit = limit(value);
        default -> {
          if (name.length() == 2 && name.charAt(0) == '#' && NostrEvent.isIndexableName(name.substring(1))) {
            tags.put(name.charAt(1), tagValues(name, value));
          } else {
            throw new FilterException("unsupported", "filter contains unknown element '" + Check.printable(name)
                + "'");
          }
        }
      }
    }
    return new Filter(ids, authors, kinds, tags, since, until, limit);
  }

  private static JsonNode list(String name, JsonNode value) throws FilterException {
    if (!value.isArray()) {
      throw new FilterException("invalid", "filter " + name + " is not an array");
    }
    if (value.size() > NostrLimits.filterValuesMax) {
      throw new FilterException("invalid", "filter " + name + " has " + value.size() + " values, over "
          + NostrLimits.filterValuesMax);
    }
    return value;
  }

  private static Set<String> hexList(String name, JsonNode value) throws FilterException {
    Set<String> out = new LinkedHashSet<>();
    int i = 0;
    for (JsonNode item : list(name, value)) {
      if (!item.isTextual() || !NostrJson.isLowerHex(item.textValue(), 64)) {
        throw new FilterException("invalid", "filter " + name + "[" + i + "] is not 64 lowercase hex characters");
      }
      out.add(item.textValue());
      i++;
    }
    return out;
  }

  private static Set<Integer> kindList(JsonNode value) throws FilterException {
    Set<Integer> out = new LinkedHashSet<>();
    int i = 0;
    for (JsonNode item : list("kinds", value)) {
      if (!item.isIntegralNumber() || !item.canConvertToInt() || item.intValue() < 0
          || item.intValue() > EventKinds.KIND_MAX) {
        throw new FilterException("invalid", "filter kinds[" + i + "] is not an integer 0.." + EventKinds.KIND_MAX);
      }
      out.add(item.intValue());
      i++;
    }
    return out;
  }

  private static Set<String> tagValues(String name, JsonNode value) throws FilterException {
    boolean hex = name.equals("#e") || name.equals("#p");
    Set<String> out = new LinkedHashSet<>();
    int i = 0;
    for (JsonNode item : list(name, value)) {
      if (!item.isTextual()) {
        throw new FilterException("invalid", "filter " + name + "[" + i + "] is not a string");
      }
      if (hex && !NostrJson.isLowerHex(item.textValue(), 64)) {
        throw new FilterException("invalid", "filter " + name + "[" + i + "] is not 64 lowercase hex characters");
      }
      if (item.textValue().length() > NostrLimits.filterTagValueCharsMax) {
        throw new FilterException("invalid", "filter " + name + "[" + i + "] is over "
            + NostrLimits.filterTagValueCharsMax + " characters");
      }
      out.add(item.textValue());
      i++;
    }
    return out;
  }

  private static Long timestamp(String name, JsonNode value) throws FilterException {
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new FilterException("invalid", "filter " + name + " is not an integer timestamp");
    }
    return value.longValue();
  }

  private static Integer limit(JsonNode value) throws FilterException {
    if (!value.isIntegralNumber()) {
      throw new FilterException("invalid", "filter limit is not an integer");
    }
    if (value.bigIntegerValue().signum() < 0) {
      throw new FilterException("invalid", "filter limit is negative");
    }
    // A limit only guides how many stored events come back: anything above the maximum means the maximum.
    return value.canConvertToInt() ? value.intValue() : Integer.MAX_VALUE;
  }

  /** This filter with its limit clamped to {@code limitMax} (a missing limit becomes {@code limitMax}). */
  public Filter clampLimit(int limitMax) {
    int clamped = limit == null ? limitMax : Math.min(limit, limitMax);
    return new Filter(ids, authors, kinds, tags, since, until, clamped);
  }

  /** Whether {@code event} passes every condition (the limit aside). */
  public boolean matches(NostrEvent event) {
    if (ids != null && !ids.contains(event.id())) {
      return false;
    }
    if (kinds != null && !kinds.contains(event.kind())) {
      return false;
    }
    if (authors != null && !authors.contains(event.pubkey())) {
      return false;
    }
    for (Map.Entry<Character, Set<String>> tag : tags.entrySet()) {
      if (!event.hasTag(String.valueOf(tag.getKey()), tag.getValue())) {
        return false;
      }
    }
    return inTimeRange(event.createdAt());
  }

  /** Whether {@code createdAt} lies within [since, until]. */
  public boolean inTimeRange(long createdAt) {
    return (since == null || createdAt >= since) && (until == null || createdAt <= until);
  }

  /** True when the filter names a kind of {@link EventKinds#RESTRICTED} explicitly. */
  public boolean asksForRestrictedKinds() {
    return kinds != null && kinds.stream().anyMatch(EventKinds::isRestricted);
  }

  /** The filter as a JSON object, with the same conditions. */
  public String toJson() {
    StringBuilder out = new StringBuilder("{");
    if (ids != null) {
      NostrJson.stringArray(out.append("\"ids\":"), ids.stream().toList()).append(',');
    }
    if (authors != null) {
      NostrJson.stringArray(out.append("\"authors\":"), authors.stream().toList()).append(',');
    }
    if (kinds != null) {
      out.append("\"kinds\":[");
      kinds.forEach(kind -> out.append(kind).append(','));
      if (!kinds.isEmpty()) {
        out.setLength(out.length() - 1);
      }
      out.append("],");
    }
    tags.forEach((name, values) -> NostrJson.stringArray(out.append("\"#").append(name).append("\":"),
        values.stream().toList()).append(','));
    if (since != null) {
      out.append("\"since\":").append(since).append(',');
    }
    if (until != null) {
      out.append("\"until\":").append(until).append(',');
    }
    if (limit != null) {
      out.append("\"limit\":").append(limit).append(',');
    }
    if (out.length() > 1) {
      out.setLength(out.length() - 1);
    }
    return out.append('}').toString();
  }
}
