package dev.veilraft.apps.nostr;

/** NIP-42 client authentication: the checks an AUTH event must pass on a connection. */
final class Nip42 {
  private Nip42() {}

  /**
   * What is wrong with {@code event} as an AUTH of a connection whose challenge is {@code challenge},
   * or null when it authenticates its pubkey. The event's id and signature were verified already.
   *
   * @param relayUrl this node's relay URL; the relay tag must name the same host and port
   * @param nowSeconds this node's clock
   * @param windowSeconds how far created_at may be from {@code nowSeconds}, either way
   */
  static String problem(NostrEvent event, String challenge, String relayUrl, long nowSeconds, long windowSeconds) {
    if (event.kind() != EventKinds.CLIENT_AUTH) {
      return "invalid: an AUTH event must be of kind 22242, not " + event.kind();
    }
    if (!challenge.equals(event.firstTagValue("challenge"))) {
      return "invalid: the challenge tag does not match this connection's challenge";
    }
    String relayTag = event.firstTagValue("relay");
    if (relayTag == null || !RelaySettings.authority(relayUrl).equals(RelaySettings.authority(relayTag))) {
      return "invalid: the relay tag must name this relay, " + relayUrl;
    }
    if (Math.abs(event.createdAt() - nowSeconds) > windowSeconds) {
      return "invalid: created_at is more than " + windowSeconds + " s from the relay's time " + nowSeconds;
    }
    return null;
  }
}
