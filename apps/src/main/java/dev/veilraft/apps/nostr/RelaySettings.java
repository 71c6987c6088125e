package dev.veilraft.apps.nostr;

import dev.veilraft.crypto.Check;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * One node's settings for its relay front end: what NIP-11 says about it, the URL clients reach
 * it at (the NIP-42 {@code relay} tag must name it), and the node-local limits. They may differ
 * between nodes; the replicated rules are {@link NostrLimits}.
 *
 * @param name the relay's name (NIP-11)
 * @param description a plain-text description (NIP-11)
 * @param pubkey the operator's contact pubkey, 64 lowercase hex, or "" for none (NIP-11)
 * @param contact another contact URI such as {@code mailto:…}, or "" (NIP-11)
 * @param relayUrl this node's WebSocket URL, {@code wss://host[:port]/path} (or {@code ws://} in tests)
 * @param limits the front end's bounds
 */
public record RelaySettings(String name, String description, String pubkey, String contact, String relayUrl,
    Limits limits) {

  public RelaySettings {
    Check.argument(name != null && description != null && contact != null && limits != null,
        "relay settings need name, description, contact (may be empty) and limits");
    Check.argument(pubkey != null && (pubkey.isEmpty() || NostrJson.isLowerHex(pubkey, 64)),
        "relay pubkey must be 64 lowercase hex characters or empty, got '" + Check.printable(String.valueOf(pubkey))
            + "'");
    Check.argument(relayUrl != null && authority(relayUrl) != null, "relay URL must be ws:// or wss:// with a host, got '"
        + Check.printable(String.valueOf(relayUrl)) + "'");
  }

  /**
   * The host and port a relay URL names, lowercase, with the scheme's default port filled in
   * ({@code ws}/{@code http} 80, {@code wss}/{@code https} 443); null when it is not such a URL.
   * Two URLs name the same relay for NIP-42 when their authorities are equal.
   */
  public static String authority(String url) {
    try {
      URI uri = new URI(url.trim());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
      int defaultPort = switch (scheme) {
        case "ws", "http" -> 80;
        case "wss", "https" -> 443;
        default -> -1;
      };
      if (defaultPort < 0 || uri.getHost() == null) {
        return null;
      }
      return uri.getHost().toLowerCase() + ":" + (uri.getPort() < 0 ? defaultPort : uri.getPort());
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /**
   * The front end's bounds. Those NIP-11 publishes are named after its fields.
   *
   * @param messageBytesMax largest client message, UTF-8 bytes (NIP-11 max_message_length); set the
   *     transport's frame limit above it so an oversized message gets a NOTICE, not a dropped connection
   * @param subscriptionsPerConnectionMax open subscriptions per connection (max_subscriptions)
   * @param filtersPerReqMax filters in one REQ (max_filters), at most {@link NostrLimits#queryFiltersMax}
   * @param limitMax each filter's limit is clamped to it (max_limit), at most {@link NostrLimits#queryLimitMax}
   * @param subscriptionIdCharsMax longest subscription id (max_subid_length)
   * @param connectionsMax open connections to this node's relay
   * @param outboxMessagesMax messages queued to one connection; past it the client is a slow consumer and is closed
   * @param outboxCharsMax characters queued to one connection; past it likewise
   * @param publishesInFlightPerConnectionMax EVENTs of one connection committing at once
   * @param queriesInFlightPerConnectionMax REQs of one connection loading stored events at once
   * @param liveBufferPerSubscriptionMax live events held for a subscription while its stored events load
   * @param fanoutQueueMax committed events waiting to be matched against subscriptions
   * @param authPubkeysPerConnectionMax pubkeys one connection may authenticate (NIP-42), at most
   *     {@link NostrLimits#queryViewersMax}
   * @param authWindowSeconds how far an AUTH event's created_at may be from this node's clock
   * @param senderThreads threads writing to clients
   */
  public record Limits(int messageBytesMax, int subscriptionsPerConnectionMax, int filtersPerReqMax, int limitMax,
      int subscriptionIdCharsMax, int connectionsMax, int outboxMessagesMax, long outboxCharsMax,
      int publishesInFlightPerConnectionMax, int queriesInFlightPerConnectionMax, int liveBufferPerSubscriptionMax,
      int fanoutQueueMax, int authPubkeysPerConnectionMax, long authWindowSeconds, int senderThreads) {

    /** Defaults sized for a small node: 512 connections of at most 8 MiB queued each. */
    public static final Limits DEFAULTS = new Limits(NostrLimits.eventBytesMax + 16 * 1024, 32, 10,
        NostrLimits.queryLimitMax, 64, 512, 20_000, 8L * 1024 * 1024, 32, 4, 1_000, 8_192, 8, 600, 4);

    /**
     * A published event enters the log as one byte plus its JSON inside the cluster's event (app
     * name, client id, sequence numbers, member tag): this many bytes cover all but the JSON.
     */
    public static final int CLUSTER_EVENT_OVERHEAD_BYTES = 512;

    /**
     * The defaults, with the largest message cut to what the cluster's {@code limits.event_bytes_max}
     * lets through, so NIP-11 advertises what a publish can really carry and a larger one gets a
     * NOTICE at once instead of a refusal from consensus.
     */
    public static Limits forClusterEventBytes(int clusterEventBytesMax) {
      Check.argument(clusterEventBytesMax > 0, "the cluster's event_bytes_max must be positive, got "
          + clusterEventBytesMax);
      // The smallest event limit genesis allows (1 KiB) still leaves half for the event: the envelope
      // is far below the overhead reserved for it.
      int fits = Math.max(clusterEventBytesMax / 2, clusterEventBytesMax - CLUSTER_EVENT_OVERHEAD_BYTES);
      return DEFAULTS.toBuilder().messageBytesMax(Math.min(DEFAULTS.messageBytesMax(), fits)).build();
    }

    public Limits {
      positive("messageBytesMax", messageBytesMax);
      positive("subscriptionsPerConnectionMax", subscriptionsPerConnectionMax);
      Check.argument(filtersPerReqMax >= 1 && filtersPerReqMax <= NostrLimits.queryFiltersMax,
          "filtersPerReqMax must be 1.." + NostrLimits.queryFiltersMax + ", got " + filtersPerReqMax);
      Check.argument(limitMax >= 1 && limitMax <= NostrLimits.queryLimitMax,
          "limitMax must be 1.." + NostrLimits.queryLimitMax + ", got " + limitMax);
      Check.argument(subscriptionIdCharsMax >= 1 && subscriptionIdCharsMax <= 256,
          "subscriptionIdCharsMax must be 1..256, got " + subscriptionIdCharsMax);
      positive("connectionsMax", connectionsMax);
      positive("outboxMessagesMax", outboxMessagesMax);
      // One REQ's stored answer is queued at once: the outbox must hold the largest, or a client
      // that reads fine would be closed as slow.
      Check.argument(outboxMessagesMax >= (long) filtersPerReqMax * limitMax + 2, "outboxMessagesMax "
          + outboxMessagesMax + " must hold one REQ's answer: filtersPerReqMax x limitMax + 2 = "
          + ((long) filtersPerReqMax * limitMax + 2));
      Check.argument(outboxCharsMax >= 2L * NostrLimits.queryResponseBytesMax, "outboxCharsMax " + outboxCharsMax
          + " must hold one REQ's answer: at least 2 x queryResponseBytesMax = " + 2L * NostrLimits.queryResponseBytesMax);
      positive("publishesInFlightPerConnectionMax", publishesInFlightPerConnectionMax);
      positive("queriesInFlightPerConnectionMax", queriesInFlightPerConnectionMax);
      positive("liveBufferPerSubscriptionMax", liveBufferPerSubscriptionMax);
      positive("fanoutQueueMax", fanoutQueueMax);
      Check.argument(authPubkeysPerConnectionMax >= 1 && authPubkeysPerConnectionMax <= NostrLimits.queryViewersMax,
          "authPubkeysPerConnectionMax must be 1.." + NostrLimits.queryViewersMax + ", got "
              + authPubkeysPerConnectionMax);
      Check.argument(authWindowSeconds >= 1, "authWindowSeconds must be positive, got " + authWindowSeconds);
      Check.argument(senderThreads >= 1 && senderThreads <= 64, "senderThreads must be 1..64, got " + senderThreads);
    }

    /** A builder starting from these limits, to change a few. */
    public Builder toBuilder() {
      return new Builder(this);
    }

    /** Changes some limits of a {@link Limits}; {@link #build} validates them. */
    public static final class Builder {
      private int messageBytesMax;
      private int subscriptionsPerConnectionMax;
      private int filtersPerReqMax;
      private int limitMax;
      private int subscriptionIdCharsMax;
      private int connectionsMax;
      private int outboxMessagesMax;
      private long outboxCharsMax;
      private int publishesInFlightPerConnectionMax;
      private int queriesInFlightPerConnectionMax;
      private int liveBufferPerSubscriptionMax;
      private int fanoutQueueMax;
      private int authPubkeysPerConnectionMax;
      private long authWindowSeconds;
      private int senderThreads;

      private Builder(Limits from) {
        messageBytesMax = from.messageBytesMax;
        subscriptionsPerConnectionMax = from.subscriptionsPerConnectionMax;
        filtersPerReqMax = from.filtersPerReqMax;
        limitMax = from.limitMax;
        subscriptionIdCharsMax = from.subscriptionIdCharsMax;
        connectionsMax = from.connectionsMax;
        outboxMessagesMax = from.outboxMessagesMax;
        outboxCharsMax = from.outboxCharsMax;
        publishesInFlightPerConnectionMax = from.publishesInFlightPerConnectionMax;
        queriesInFlightPerConnectionMax = from.queriesInFlightPerConnectionMax;
        liveBufferPerSubscriptionMax = from.liveBufferPerSubscriptionMax;
        fanoutQueueMax = from.fanoutQueueMax;
        authPubkeysPerConnectionMax = from.authPubkeysPerConnectionMax;
        authWindowSeconds = from.authWindowSeconds;
        senderThreads = from.senderThreads;
      }

      public Builder messageBytesMax(int value) {
        messageBytesMax = value;
        return this;
      }

      public Builder subscriptionsPerConnectionMax(int value) {
        subscriptionsPerConnectionMax = value;
        return this;
      }

      public Builder filtersPerReqMax(int value) {
        filtersPerReqMax = value;
        return this;
      }

      public Builder limitMax(int value) {
        limitMax = value;
        return this;
      }

      public Builder subscriptionIdCharsMax(int value) {
        subscriptionIdCharsMax = value;
        return this;
      }

      public Builder connectionsMax(int value) {
        connectionsMax = value;
        return this;
      }

      public Builder outboxMessagesMax(int value) {
        outboxMessagesMax = value;
        return this;
      }

      public Builder outboxCharsMax(long value) {
        outboxCharsMax = value;
        return this;
      }

      public Builder publishesInFlightPerConnectionMax(int value) {
        publishesInFlightPerConnectionMax = value;
        return this;
      }

      public Builder queriesInFlightPerConnectionMax(int value) {
        queriesInFlightPerConnectionMax = value;
        return this;
      }

      public Builder liveBufferPerSubscriptionMax(int value) {
        liveBufferPerSubscriptionMax = value;
        return this;
      }

      public Builder fanoutQueueMax(int value) {
        fanoutQueueMax = value;
        return this;
      }

      public Builder authPubkeysPerConnectionMax(int value) {
        authPubkeysPerConnectionMax = value;
        return this;
      }

      public Builder authWindowSeconds(long value) {
        authWindowSeconds = value;
        return this;
      }

      public Builder senderThreads(int value) {
        senderThreads = value;
        return this;
      }

      public Limits build() {
        return new Limits(messageBytesMax, subscriptionsPerConnectionMax, filtersPerReqMax, limitMax, subscriptionIdCharsMax, connectionsMax, outboxMessagesMax, outboxCharsMax, publishesInFlightPerConnectionMax, queriesInFlightPerConnectionMax, liveBufferPerSubscriptionMax, fanoutQueueMax, authPubkeysPerConnectionMax, authWindowSeconds, senderThreads);
      }
    }

    private static void positive(String name, long value) {
      Check.argument(value >= 1, name + " must be positive, got " + value);
    }
  }
}
