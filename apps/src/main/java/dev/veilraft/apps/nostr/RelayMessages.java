package dev.veilraft.apps.nostr;

/** The relay-to-client messages of NIP-01 and NIP-42, as compact JSON text. */
final class RelayMessages {
  private RelayMessages() {}

  /** {@code ["EVENT",<subscription id>,<event>]} with the event's canonical JSON. */
  static String event(String subscriptionId, String eventJson) {
    StringBuilder out = new StringBuilder(eventJson.length() + subscriptionId.length() + 16).append("[\"EVENT\",");
    return NostrJson.quote(out, subscriptionId).append(',').append(eventJson).append(']').toString();
  }

  /** {@code ["OK",<event id>,<true|false>,<message>]}. */
  static String ok(String eventId, boolean accepted, String message) {
    StringBuilder out = new StringBuilder("[\"OK\",");
    NostrJson.quote(out, eventId).append(',').append(accepted).append(',');
    return NostrJson.quote(out, message).append(']').toString();
  }

  /** {@code ["EOSE",<subscription id>]}. */
  static String eose(String subscriptionId) {
    return NostrJson.quote(new StringBuilder("[\"EOSE\","), subscriptionId).append(']').toString();
  }

  /** {@code ["CLOSED",<subscription id>,<message>]}. */
  static String closed(String subscriptionId, String message) {
    StringBuilder out = NostrJson.quote(new StringBuilder("[\"CLOSED\","), subscriptionId).append(',');
    return NostrJson.quote(out, message).append(']').toString();
  }

  /** {@code ["NOTICE",<message>]}. */
  static String notice(String message) {
    return NostrJson.quote(new StringBuilder("[\"NOTICE\","), message).append(']').toString();
  }

  /** {@code ["AUTH",<challenge>]}. */
  static String auth(String challenge) {
    return NostrJson.quote(new StringBuilder("[\"AUTH\","), challenge).append(']').toString();
  }
}
