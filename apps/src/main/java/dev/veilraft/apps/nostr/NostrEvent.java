package dev.veilraft.apps.nostr;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.secp256k1.Schnorr;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * One NIP-01 event, checked for shape and bounds (not yet for its id and signature: see {@link
 * #verify}). Hex fields are kept as the lowercase strings of the wire.
 *
 * @param id 64 lowercase hex: SHA-256 of {@link #idPreimage}
 * @param pubkey 64 lowercase hex: the author's BIP-340 x-only public key
 * @param createdAt unix seconds, 0..{@link #createdAtMax}
 * @param kind 0..65535
 * @param tags each a non-empty list of strings
 * @param content any string
 * @param sig 128 lowercase hex: BIP-340 signature of the id bytes
 */
public record NostrEvent(String id, String pubkey, long createdAt, int kind, List<List<String>> tags, String content,
    String sig) {
  /**
   * Largest created_at: JavaScript's largest exact integer, so the number a client hashes is the
   * number it wrote.
   */
  public static final long createdAtMax = (1L << 53) - 1;
  private static final List<String> FIELDS = List.of("id", "pubkey", "created_at", "kind", "tags", "content", "sig");

  public NostrEvent {
    List<List<String>> copy = new ArrayList<>(tags.size());
    for (List<String> tag : tags) {
      copy.add(List.copyOf(tag));
    }
    tags = Collections.unmodifiableList(copy);
  }

  /** An event that fails NIP-01's shape or the relay's bounds; {@link #id} is set when the event had a well-formed one. */
  public static final class InvalidEventException extends Exception {
    private static final long serialVersionUID = 1L;
    private final String id;

    InvalidEventException(String id, String message) {
      super(message, null, false, false);
      this.id = id;
    }

    /** The event's id when it was 64 lowercase hex characters, else null. */
    public String id() {
      return id;
    }
  }

  /** Reads an event object of the wire. Fields other than the seven of NIP-01 are ignored (and dropped). */
  public static NostrEvent fromJson(JsonNode node) throws InvalidEventException {
    if (node == null || !node.isObject()) {
      throw new InvalidEventException(null, "event is not a JSON object");
    }
    JsonNode idNode = node.get("id");
    String id = idNode != null && idNode.isTextual() && NostrJson.isLowerHex(idNode.textValue(), 64)
        ? idNode.textValue() : null;
    for (String field : FIELDS) {
      if (!node.has(field)) {
        throw new InvalidEventException(id, "event has no '" + field + "' field");
      }
    }
    if (id == null) {
      throw new InvalidEventException(null, "event id is not 64 lowercase hex characters");
    }
    String pubkey = hexField(node, "pubkey", 64, id);
    String sig = hexField(node, "sig", 128, id);
    long createdAt = integerField(node, "created_at", 0, createdAtMax, id);
    int kind = (int) integerField(node, "kind", 0, EventKinds.KIND_MAX, id);
    JsonNode contentNode = node.get("content");
    if (!contentNode.isTextual()) {
      throw new InvalidEventException(id, "event content is not a string");
    }
    String content = contentNode.textValue();
    if (content.length() > NostrLimits.contentCharsMax) {
      throw new InvalidEventException(id, "content is " + content.length() + " characters, over max_content_length "
          + NostrLimits.contentCharsMax);
    }
    NostrEvent event = new NostrEvent(id, pubkey, createdAt, kind, tags(node.get("tags"), id), content, sig);
    int bytes = event.toJson().getBytes(StandardCharsets.UTF_8).length;
    if (bytes > NostrLimits.eventBytesMax) {
      throw new InvalidEventException(id, "event is " + bytes + " bytes of JSON, over the relay's "
          + NostrLimits.eventBytesMax);
    }
    return event;
  }

  private static String hexField(JsonNode node, String field, int chars, String id) throws InvalidEventException {
    JsonNode value = node.get(field);
    if (!value.isTextual() || !NostrJson.isLowerHex(value.textValue(), chars)) {
      throw new InvalidEventException(id, "event " + field + " is not " + chars + " lowercase hex characters");
    }
    return value.textValue();
  }

  private static long integerField(JsonNode node, String field, long min, long max, String id)
      throws InvalidEventException {
    JsonNode value = node.get(field);
    if (!value.isIntegralNumber()) {
      throw new InvalidEventException(id, "event " + field + " is not an integer");
    }
    if (!value.canConvertToLong() || value.longValue() < min || value.longValue() > max) {
      throw new InvalidEventException(id, "event " + field + " " + value.asText() + " is outside " + min + ".." + max);
    }
    return value.longValue();
  }

  private static List<List<String>> tags(JsonNode node, String id) throws InvalidEventException {
    if (!node.isArray()) {
      throw new InvalidEventException(id, "event tags is not an array");
    }
    if (node.size() > NostrLimits.eventTagsMax) {
      throw new InvalidEventException(id, "event has " + node.size() + " tags, over max_event_tags "
          + NostrLimits.eventTagsMax);
    }
    List<List<String>> tags = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode tag = node.get(i);
      if (!tag.isArray() || tag.isEmpty()) {
        throw new InvalidEventException(id, "tag " + i + " is not a non-empty array of strings");
      }
      if (tag.size() > NostrLimits.tagElementsMax) {
        throw new InvalidEventException(id, "tag " + i + " has " + tag.size() + " strings, over "
            + NostrLimits.tagElementsMax);
      }
      List<String> values = new ArrayList<>(tag.size());
      for (JsonNode value : tag) {
        if (!value.isTextual()) {
          throw new InvalidEventException(id, "tag " + i + " holds a " + value.getNodeType().name().toLowerCase()
              + ", not a string");
        }
        values.add(value.textValue());
      }
      tags.add(values);
    }
    return tags;
  }

  /** The NIP-01 serialization {@code [0,pubkey,created_at,kind,tags,content]} as UTF-8, whose SHA-256 is the id. */
  public byte[] idPreimage() {
    StringBuilder out = new StringBuilder(128 + content.length());
    out.append("[0,\"").append(pubkey).append("\",").append(createdAt).append(',').append(kind).append(',');
    appendTags(out);
    out.append(',');
    NostrJson.quote(out, content);
    return out.append(']').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The id this event's fields hash to. */
  public String computeId() {
    return NostrJson.hex(Hashes.sha256(idPreimage()));
  }

  /**
   * Checks the id and the BIP-340 signature.
   *
   * @return null when both hold, else what is wrong
   */
  public String verify() {
    if (!computeId().equals(id)) {
      return "event id does not match the hash of its serialized fields";
    }
    if (!Schnorr.verify(NostrJson.unhex(pubkey), NostrJson.unhex(id), NostrJson.unhex(sig))) {
      return "signature does not verify for the event's pubkey";
    }
    return null;
  }

  /**
   * The event's canonical JSON: the seven fields in NIP-01's order, no whitespace, strings
   * escaped as {@link NostrJson#quote}. {@code id} comes first, so the id sits at characters 7..70.
   */
  public String toJson() {
    StringBuilder out = new StringBuilder(300 + content.length());
    out.append("{\"id\":\"").append(id).append("\",\"pubkey\":\"").append(pubkey).append("\",\"created_at\":")
        .append(createdAt).append(",\"kind\":").append(kind).append(",\"tags\":");
    appendTags(out);
    out.append(",\"content\":");
    NostrJson.quote(out, content);
    return out.append(",\"sig\":\"").append(sig).append("\"}").toString();
  }

  private void appendTags(StringBuilder out) {
    out.append('[');
    for (int i = 0; i < tags.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      NostrJson.stringArray(out, tags.get(i));
    }
    out.append(']');
  }

  public EventKinds.Retention retention() {
    return EventKinds.retention(kind);
  }

  /** The first value of the first tag named {@code name}, or null. */
  public String firstTagValue(String name) {
    for (List<String> tag : tags) {
      if (tag.size() >= 2 && tag.get(0).equals(name)) {
        return tag.get(1);
      }
    }
    return null;
  }

  /** The {@code d} tag value that addresses an addressable event: the first {@code d} tag's value, or "". */
  public String dTag() {
    String d = firstTagValue("d");
    return d == null ? "" : d;
  }

  /**
   * True when some tag is named {@code name} and its first value is in {@code values}, as NIP-01
   * tag filters (and nostr-tools' {@code matchFilter}) test.
   */
  public boolean hasTag(String name, Collection<String> values) {
    for (List<String> tag : tags) {
      if (tag.size() >= 2 && tag.get(0).equals(name) && values.contains(tag.get(1))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a NIP-42 authenticated client holding {@code viewers} may see this event: anyone for
   * unrestricted kinds; for {@link EventKinds#RESTRICTED} kinds only the author or a pubkey tagged {@code p}.
   */
  public boolean visibleTo(Collection<String> viewers) {
    if (!EventKinds.isRestricted(kind)) {
      return true;
    }
    return viewers.contains(pubkey) || hasTag("p", viewers);
  }

  /** Single-letter tags and their first values, in event order without repeats: what the relay indexes. */
  public List<Map.Entry<Character, String>> indexedTags() {
    LinkedHashSet<Map.Entry<Character, String>> out = new LinkedHashSet<>();
    for (List<String> tag : tags) {
      if (tag.size() >= 2 && isIndexableName(tag.get(0))) {
        out.add(Map.entry(tag.get(0).charAt(0), tag.get(1)));
      }
    }
    return new ArrayList<>(out);
  }

  /** True for a NIP-01 indexable tag name: one letter a-z or A-Z. */
  public static boolean isIndexableName(String name) {
    if (name.length() != 1) {
      return false;
    }
    char c = name.charAt(0);
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  @Override
  public String toString() {
    return "NostrEvent{id=" + id + ", kind=" + kind + ", created_at=" + createdAt + "}";
  }
}
