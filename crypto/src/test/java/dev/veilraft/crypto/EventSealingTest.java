package dev.veilraft.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedResponse;
import org.junit.jupiter.api.Test;

class EventSealingTest {
  static final byte[] CLUSTER = Hashes.sha256(Hashes.utf8("cluster"));
  static final EpochSecret EPOCH = EpochSecret.derive(null, 1, Hashes.sha256(Hashes.utf8("fresh")),
      Hashes.sha256(Hashes.utf8("members")), Hashes.sha256(Hashes.utf8("policy")));

  @Test
  void requestAndResponseRoundTrip() throws Exception {
    // Proves a client's sealed request opens on a replica and the replica's response opens for that client.
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(EPOCH.groupPublicKey(), CLUSTER, 1,
        Hashes.utf8("put k v"));
    EventSealing.Opened opened = EventSealing.openRequest(EPOCH, CLUSTER, sealed.request());
    SealedResponse response = EventSealing.sealResponse(opened.responseKey(), 1, 42, Hashes.utf8("ok"));

    assertThat(opened.event()).isEqualTo(Hashes.utf8("put k v"));
    assertThat(opened.responseKey()).isEqualTo(sealed.responseKey());
    assertThat(EventSealing.openResponse(sealed.responseKey(), response)).isEqualTo(Hashes.utf8("ok"));
  }

  @Test
  void responsesAreDeterministicPerLogIndex() throws Exception {
    // Proves every replica seals the same response bytes at one index (apply is deterministic).
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(EPOCH.groupPublicKey(), CLUSTER, 1, Hashes.utf8("e"));
    byte[] key = EventSealing.openRequest(EPOCH, CLUSTER, sealed.request()).responseKey();

    assertThat(EventSealing.sealResponse(key, 1, 7, Hashes.utf8("r")))
        .isEqualTo(EventSealing.sealResponse(key, 1, 7, Hashes.utf8("r")));
  }

  @Test
  void aResponseForAnotherIndexDoesNotOpen() throws Exception {
    // Proves a response moved to another log index (or epoch) fails to authenticate.
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(EPOCH.groupPublicKey(), CLUSTER, 1, Hashes.utf8("e"));
    SealedResponse response = EventSealing.sealResponse(sealed.responseKey(), 1, 42, Hashes.utf8("ok"));

    assertThatThrownBy(() -> EventSealing.openResponse(sealed.responseKey(), response.toBuilder().setLogIndex(43).build()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.openResponse(sealed.responseKey(), response.toBuilder().setEpoch(2).build()))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void anAnswerAtAPositionOfAGroupedEntryOpensOnlyThereAndPositionZeroIsTheIndexOnlyFormat() throws Exception {
    // Proves the entry position is part of the answer's nonce: one request answered at two positions of one entry
    // gives two ciphertexts, an answer moved to another position (or one whose position is out of range) does not
    // open, and position 0 is byte for byte the answer format of an ungrouped entry.
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(EPOCH.groupPublicKey(), CLUSTER, 1, Hashes.utf8("e"));
    SealedResponse at3 = EventSealing.sealResponse(sealed.responseKey(), 1, 42, 3, Hashes.utf8("ok"));
    SealedResponse at4 = EventSealing.sealResponse(sealed.responseKey(), 1, 42, 4, Hashes.utf8("ok"));

    assertThat(at3.getEntryPosition()).isEqualTo(3);
    assertThat(EventSealing.openResponse(sealed.responseKey(), at3)).isEqualTo(Hashes.utf8("ok"));
    assertThat(at3.getCiphertext()).isNotEqualTo(at4.getCiphertext());
    assertThatThrownBy(() -> EventSealing.openResponse(sealed.responseKey(), at3.toBuilder().setEntryPosition(4).build()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.openResponse(sealed.responseKey(),
        at3.toBuilder().setEntryPosition(1L << 40).build())).isInstanceOf(CryptoException.class);
    // uint64 positions of 2^63 and above are negative longs: refused, never wrapped to position 3 or thrown unchecked.
    for (long wrapped : new long[] {Long.MIN_VALUE + 3, -1L}) {
      assertThatThrownBy(() -> EventSealing.openResponse(sealed.responseKey(),
          at3.toBuilder().setEntryPosition(wrapped).build())).isInstanceOf(CryptoException.class)
          .hasMessageContaining(Long.toUnsignedString(wrapped));
    }
    assertThat(EventSealing.sealResponse(sealed.responseKey(), 1, 42, 0, Hashes.utf8("ok")))
        .isEqualTo(EventSealing.sealResponse(sealed.responseKey(), 1, 42, Hashes.utf8("ok")));
    assertThat(DeterministicCipher.nonceForEntryPosition(42, 0)).isEqualTo(Hashes.concat(new byte[4], Hashes.u64(42)));
  }

  @Test
  void aRequestForAnotherClusterOrEpochDoesNotOpen() throws Exception {
    // Proves the HPKE info binds requests to their cluster id and epoch.
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(EPOCH.groupPublicKey(), CLUSTER, 1, Hashes.utf8("e"));
    EpochSecret next = EpochSecret.derive(EPOCH, 2, Hashes.sha256(Hashes.utf8("f2")), new byte[32], new byte[32]);

    assertThatThrownBy(() -> EventSealing.openRequest(EPOCH, Hashes.sha256(Hashes.utf8("other")), sealed.request()))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.openRequest(next, CLUSTER, sealed.request()))
        .isInstanceOf(CryptoException.class);
  }

  @Test
  void wrappedSecretsOpenOnlyForTheirNode() throws Exception {
    // Proves a secret wrapped to one node's KEM key unwraps there and nowhere else.
    KemKeyPair node = KemKeyPair.generate();
    byte[] info = Hashes.utf8("epoch 1");
    HpkeWrap wrap = EventSealing.wrap("node-a", node.publicKey(), info, EPOCH.secretBytes());

    assertThat(EventSealing.unwrap(node, info, wrap)).isEqualTo(EPOCH.secretBytes());
    assertThatThrownBy(() -> EventSealing.unwrap(KemKeyPair.generate(), info, wrap)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.unwrap(node, info, wrap.toBuilder().setNodeId("node-b").build()))
        .isInstanceOf(CryptoException.class);
  }
}
