package dev.veilraft.apps.nostr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Node settings are validated when built, with errors naming the bad value. */
class RelaySettingsTest {
  @Test
  void badSettingsAreRefusedByName() {
    // Proves each kind of bad setting is refused at construction with the setting named.
    RelaySettings.Limits limits = RelaySettings.Limits.DEFAULTS;
    assertThatThrownBy(() -> new RelaySettings("n", "d", "ABC", "", "wss://x.example", limits))
        .hasMessageContaining("relay pubkey must be 64 lowercase hex");
    assertThatThrownBy(() -> new RelaySettings("n", "d", "", "", "https//x", limits))
        .hasMessageContaining("relay URL must be ws:// or wss://");
    assertThatThrownBy(() -> limits.toBuilder().limitMax(NostrLimits.queryLimitMax + 1).build())
        .hasMessageContaining("limitMax must be 1..500, got 501");
    assertThatThrownBy(() -> limits.toBuilder().filtersPerReqMax(0).build())
        .hasMessageContaining("filtersPerReqMax must be 1..16, got 0");
    assertThatThrownBy(() -> limits.toBuilder().outboxMessagesMax(100).build())
        .hasMessageContaining("outboxMessagesMax 100 must hold one REQ's answer: filtersPerReqMax x limitMax + 2 = 5002");
    assertThatThrownBy(() -> limits.toBuilder().outboxCharsMax(1_000_000).build())
        .hasMessageContaining("outboxCharsMax 1000000 must hold one REQ's answer");
    assertThatThrownBy(() -> limits.toBuilder().authPubkeysPerConnectionMax(17).build())
        .hasMessageContaining("authPubkeysPerConnectionMax must be 1..16");
    assertThatThrownBy(() -> limits.toBuilder().connectionsMax(0).build())
        .hasMessageContaining("connectionsMax must be positive, got 0");
    assertThat(new RelaySettings("n", "d", "", "", "ws://127.0.0.1:7777/nostr", limits).relayUrl())
        .isEqualTo("ws://127.0.0.1:7777/nostr");
  }

  @Test
  void theClustersEventLimitBoundsWhatTheRelayAdvertisesAndAccepts() throws Exception {
    // Proves a cluster with 64 KiB events makes the relay advertise (NIP-11) and enforce a message bound
    // that a published event can really pass through consensus with, and a content bound no larger.
    RelaySettings.Limits limits = RelaySettings.Limits.forClusterEventBytes(64 * 1024);
    assertThat(limits.messageBytesMax()).isEqualTo(64 * 1024 - RelaySettings.Limits.CLUSTER_EVENT_OVERHEAD_BYTES);
    com.fasterxml.jackson.databind.JsonNode limitation = NostrJson.read(RelayInformation.document(
        new RelaySettings("n", "d", "", "", "ws://127.0.0.1:7777/nostr", limits))).get("limitation");
    assertThat(limitation.get("max_message_length").intValue()).isEqualTo(limits.messageBytesMax());
    assertThat(limitation.get("max_content_length").intValue()).isEqualTo(limits.messageBytesMax());
    assertThat(RelaySettings.Limits.forClusterEventBytes(16 * 1024 * 1024).messageBytesMax())
        .isEqualTo(RelaySettings.Limits.DEFAULTS.messageBytesMax());
    // The smallest limit genesis accepts (1 KiB) must not stop a node from starting: half is left for events.
    assertThat(RelaySettings.Limits.forClusterEventBytes(1024).messageBytesMax()).isEqualTo(512);
  }
}
