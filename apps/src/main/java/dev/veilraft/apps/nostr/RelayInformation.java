package dev.veilraft.apps.nostr;

import java.nio.charset.StandardCharsets;

/** The NIP-11 relay information document. */
final class RelayInformation {
  /** The NIPs this relay implements. */
  static final int[] SUPPORTED_NIPS = {1, 9, 11, 42};
  static final String SOFTWARE = "https://github.com/veilraft/veilraft";

  private RelayInformation() {}

  static byte[] document(RelaySettings settings) {
    RelaySettings.Limits limits = settings.limits();
    StringBuilder out = new StringBuilder("{\"name\":");
    NostrJson.quote(out, settings.name()).append(",\"description\":");
    NostrJson.quote(out, settings.description());
    if (!settings.pubkey().isEmpty()) {
      NostrJson.quote(out.append(",\"pubkey\":"), settings.pubkey());
    }
    if (!settings.contact().isEmpty()) {
      NostrJson.quote(out.append(",\"contact\":"), settings.contact());
    }
    out.append(",\"supported_nips\":[");
    for (int i = 0; i < SUPPORTED_NIPS.length; i++) {
      out.append(i == 0 ? "" : ",").append(SUPPORTED_NIPS[i]);
    }
    out.append("],\"software\":");
    NostrJson.quote(out, SOFTWARE).append(",\"version\":");
    NostrJson.quote(out, version());
    out.append(",\"limitation\":{")
        .append("\"max_message_length\":").append(limits.messageBytesMax())
        .append(",\"max_subscriptions\":").append(limits.subscriptionsPerConnectionMax())
        .append(",\"max_filters\":").append(limits.filtersPerReqMax())
        .append(",\"max_limit\":").append(limits.limitMax())
        .append(",\"default_limit\":").append(limits.limitMax())
        .append(",\"max_subid_length\":").append(limits.subscriptionIdCharsMax())
        .append(",\"max_event_tags\":").append(NostrLimits.eventTagsMax)
        .append(",\"max_content_length\":").append(Math.min(NostrLimits.contentCharsMax, limits.messageBytesMax()))
        .append(",\"min_pow_difficulty\":0")
        .append(",\"auth_required\":false")
        .append(",\"payment_required\":false")
        .append(",\"restricted_writes\":false")
        .append(",\"created_at_upper_limit\":").append(NostrLimits.createdAtFutureSecondsMax)
        .append("}}");
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String version() {
    String version = RelayInformation.class.getPackage().getImplementationVersion();
    return version == null ? "development" : version;
  }
}
