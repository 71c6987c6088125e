package dev.veilraft.crypto.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.proto.SealedResponse;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SessionSealingTest {
  @AfterEach
  void runGcmSivAsConfigured() {
    SessionSealing.javaOnThisThreadForTest(false);
  }

  static final byte[] CLUSTER = Hashes.sha256(Hashes.utf8("cluster"));
  static final EpochSecret EPOCH1 = EpochSecret.derive(null, 1, Hashes.sha256(Hashes.utf8("fresh")),
      Hashes.sha256(Hashes.utf8("members")), Hashes.sha256(Hashes.utf8("policy")));
  static final EpochSecret EPOCH2 = EpochSecret.derive(EPOCH1, 2, Hashes.sha256(Hashes.utf8("fresh2")),
      Hashes.sha256(Hashes.utf8("members2")), Hashes.sha256(Hashes.utf8("policy")));

  private static ClientSession session(EpochSecret epoch) throws CryptoException {
    return ClientSession.start(epoch.groupPublicKey(), CLUSTER, epoch.epoch());
  }

  @Test
  void eventsAndQueriesOfOneSessionRoundTripWithOneDecapsulation() throws Exception {
    // Proves every request of a session opens on a replica, each response opens for the client, and only the first
    // request costs an HPKE decapsulation.
    ClientSession client = session(EPOCH1);
    SessionKeyCache replica = new SessionKeyCache();
    for (int i = 0; i < 3; i++) {
      byte[] plaintext = Hashes.utf8("put k" + i);
      EventSealing.ClientSealed sealed = i == 2 ? client.sealQuery(plaintext) : client.sealEvent(plaintext);
      assertThat(sealed.request().getSessionCounter()).isEqualTo(i + 1);
      EventSealing.Opened opened = i == 2 ? replica.openQuery(EPOCH1, CLUSTER, sealed.request())
          : replica.openEvent(EPOCH1, CLUSTER, sealed.request());
      assertThat(opened.event()).isEqualTo(plaintext);
      assertThat(opened.responseKey()).isEqualTo(sealed.responseKey());
      SealedResponse response = EventSealing.sealResponse(opened.responseKey(), 1, 10 + i, Hashes.utf8("ok" + i));
      assertThat(EventSealing.openResponse(sealed.responseKey(), response)).isEqualTo(Hashes.utf8("ok" + i));
    }
    assertThat(replica.misses()).isEqualTo(1);
    assertThat(replica.hits()).isEqualTo(2);
  }

  @Test
  void tamperingWithAnyFieldMakesTheRequestFailToOpen() throws Exception {
    // Proves the encapsulated key, ciphertext, counter and epoch are all authenticated, as are the cluster id and the
    // kind the replica opens it as.
    ClientSession client = session(EPOCH1);
    client.sealEvent(Hashes.utf8("first"));
    SealedRequest genuine = client.sealEvent(Hashes.utf8("second")).request();
    SessionKeyCache replica = new SessionKeyCache();
    assertThat(replica.openEvent(EPOCH1, CLUSTER, genuine).event()).isEqualTo(Hashes.utf8("second"));

    byte[] flipped = genuine.getCiphertext().toByteArray();
    flipped[0] ^= 1;
    byte[] otherKey = genuine.getEncapsulatedKey().toByteArray();
    otherKey[5] ^= 1;
    java.util.List<UnaryOperator<SealedRequest.Builder>> tampers = java.util.List.of(
        b -> b.setCiphertext(ByteString.copyFrom(flipped)),
        b -> b.setEncapsulatedKey(ByteString.copyFrom(otherKey)),
        b -> b.setEncapsulatedKey(ByteString.copyFrom(new byte[31])),
        b -> b.setSessionCounter(1),
        b -> b.setSessionCounter(3),
        b -> b.setEpoch(2));
    for (UnaryOperator<SealedRequest.Builder> tamper : tampers) {
      SealedRequest altered = tamper.apply(genuine.toBuilder()).build();
      assertThatThrownBy(() -> replica.openEvent(EPOCH1, CLUSTER, altered)).as("%s", altered)
          .isInstanceOf(CryptoException.class);
    }
    assertThatThrownBy(() -> replica.openEvent(EPOCH1, Hashes.sha256(Hashes.utf8("other")), genuine))
        .isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> replica.openQuery(EPOCH1, CLUSTER, genuine)).isInstanceOf(CryptoException.class);
  }

  @Test
  void countersOutsideTheirRangeAreRefusedAndAnExhaustedSessionSealsNothing() throws Exception {
    // Proves counter 0 (the single-shot form) and counters past COUNTER_MAX never open as a session, and the client
    // refuses to seal past the last counter.
    ClientSession client = session(EPOCH1);
    SealedRequest genuine = client.sealEvent(Hashes.utf8("e")).request();
    SessionKeyCache replica = new SessionKeyCache();
    assertThatThrownBy(() -> replica.openEvent(EPOCH1, CLUSTER, genuine.toBuilder().setSessionCounter(0).build()))
        .isInstanceOf(CryptoException.class).hasMessageContaining("outside 1..");
    assertThatThrownBy(() -> replica.openEvent(EPOCH1, CLUSTER,
        genuine.toBuilder().setSessionCounter(SessionSealing.COUNTER_MAX + 1).build()))
        .isInstanceOf(CryptoException.class).hasMessageContaining("outside 1..");

    client.skipToCounterForTest(SessionSealing.COUNTER_MAX - 1);
    SealedRequest last = client.sealEvent(Hashes.utf8("last")).request();
    assertThat(last.getSessionCounter()).isEqualTo(SessionSealing.COUNTER_MAX);
    assertThat(replica.openEvent(EPOCH1, CLUSTER, last).event()).isEqualTo(Hashes.utf8("last"));
    assertThat(client.exhausted()).isTrue();
    assertThatThrownBy(() -> client.sealEvent(Hashes.utf8("one more"))).isInstanceOf(CryptoException.class)
        .hasMessageContaining("session exhausted");
  }

  @Test
  void aReusedCounterRevealsOnlyEqualityAndNeverSharesAResponseKey() throws Exception {
    // Proves that even if a faulty client reused a counter with another plaintext, the ciphertexts differ, each opens
    // to its own plaintext, and their responses get different keys (no response key/nonce pair repeats).
    ClientSession client = session(EPOCH1);
    client.skipToCounterForTest(6);
    EventSealing.ClientSealed a = client.sealEvent(Hashes.utf8("plaintext A"));
    client.skipToCounterForTest(6);
    EventSealing.ClientSealed b = client.sealEvent(Hashes.utf8("plaintext B"));
    client.skipToCounterForTest(6);
    EventSealing.ClientSealed aAgain = client.sealEvent(Hashes.utf8("plaintext A"));

    assertThat(a.request().getSessionCounter()).isEqualTo(b.request().getSessionCounter());
    assertThat(a.request().getCiphertext()).isNotEqualTo(b.request().getCiphertext());
    // GCM-SIV is deterministic: the same plaintext under the same counter is the same ciphertext, nothing more.
    assertThat(aAgain.request()).isEqualTo(a.request());
    assertThat(a.responseKey()).isNotEqualTo(b.responseKey());
    SessionKeyCache replica = new SessionKeyCache();
    assertThat(replica.openEvent(EPOCH1, CLUSTER, a.request()).event()).isEqualTo(Hashes.utf8("plaintext A"));
    assertThat(replica.openEvent(EPOCH1, CLUSTER, b.request()).event()).isEqualTo(Hashes.utf8("plaintext B"));
    assertThat(replica.openEvent(EPOCH1, CLUSTER, b.request()).responseKey()).isEqualTo(b.responseKey());
  }

  @Test
  void aCacheHitAndACacheMissOpenToIdenticalBytes() throws Exception {
    // Proves the cache changes nothing but speed: a cold cache, a warm one and a one-entry cache that keeps evicting
    // give byte-identical results.
    ClientSession one = session(EPOCH1);
    ClientSession two = session(EPOCH1);
    java.util.List<SealedRequest> requests = java.util.List.of(one.sealEvent(Hashes.utf8("1a")).request(),
        two.sealEvent(Hashes.utf8("2a")).request(), one.sealEvent(Hashes.utf8("1b")).request(),
        two.sealEvent(Hashes.utf8("2b")).request());
    SessionKeyCache warm = new SessionKeyCache();
    SessionKeyCache evicting = new SessionKeyCache(1, 1);
    for (SealedRequest request : requests) {
      EventSealing.Opened cold = new SessionKeyCache().openEvent(EPOCH1, CLUSTER, request);
      EventSealing.Opened hitOrMiss = warm.openEvent(EPOCH1, CLUSTER, request);
      EventSealing.Opened evicted = evicting.openEvent(EPOCH1, CLUSTER, request);
      assertThat(hitOrMiss.event()).isEqualTo(cold.event()).isEqualTo(evicted.event());
      assertThat(hitOrMiss.responseKey()).isEqualTo(cold.responseKey()).isEqualTo(evicted.responseKey());
    }
    assertThat(warm.misses()).isEqualTo(2);
    assertThat(warm.hits()).isEqualTo(2);
    assertThat(evicting.size()).isEqualTo(1);
    assertThat(evicting.misses()).isEqualTo(4);
  }

  @Test
  void anOldEpochKeyCannotOpenANewEpochSessionAndOldSessionsAreForgotten() throws Exception {
    // Proves a removed member holding only epoch 1's secret cannot open a session of epoch 2, and erasing epoch 1 drops
    // its cached sessions.
    ClientSession newEpoch = session(EPOCH2);
    SealedRequest request = newEpoch.sealEvent(Hashes.utf8("after the removal")).request();
    SessionKeyCache removedMember = new SessionKeyCache();
    assertThatThrownBy(() -> removedMember.openEvent(EPOCH1, CLUSTER, request)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> removedMember.openEvent(EPOCH1, CLUSTER, request.toBuilder().setEpoch(1).build()))
        .isInstanceOf(CryptoException.class);

    SessionKeyCache member = new SessionKeyCache();
    member.openEvent(EPOCH1, CLUSTER, session(EPOCH1).sealEvent(Hashes.utf8("old")).request());
    member.openEvent(EPOCH2, CLUSTER, request);
    assertThat(member.size()).isEqualTo(2);
    member.forgetEpochsBefore(2);
    assertThat(member.size()).isEqualTo(1);
  }

  @Test
  void onlyAnEstablishedSessionsEventsKeepTheirKeyExpandedAndErasingAnEpochScrubsIt() throws Exception {
    // Proves where the kept AES keys come from and go: a session on probation expands its request key for every
    // message (two expansions: request key and derived key); once established, its events keep the request key and
    // expand only the derived key; forgetting an epoch scrubs every kept key, so the next event expands both again.
    // Sealed first, on this thread: a client keeps its request key expanded from its first request on, so only
    // the first seal expands two keys; then the kept keys are scrubbed, so the replica's count starts clean.
    // The Java implementation's kept keys; natively nothing is kept (NativeGcmSivTest).
    SessionSealing.javaOnThisThreadForTest(true);
    JdkAesBlockCipher aes = SessionSealing.thisThreadsAes();
    ClientSession client = session(EPOCH1);
    java.util.List<SealedRequest> events = new java.util.ArrayList<>();
    for (String text : new String[] {"first", "second", "third", "fourth", "fifth"}) {
      long sealing = aes.expansions();
      events.add(client.sealEvent(Hashes.utf8(text)).request());
      assertThat(aes.expansions() - sealing).as("client sealing " + text).isEqualTo(events.size() == 1 ? 2 : 1);
    }
    SealedRequest query = client.sealQuery(Hashes.utf8("query")).request();
    SessionSealing.forgetKeptKeys();
    SessionKeyCache replica = new SessionKeyCache();
    long[] expected = {2, 2, 2, 1};
    String[] why = {"first event: a miss, on probation", "second event: on probation when it opened",
        "third event: established, its key kept from now on", "fourth event: only the derived key"};
    for (int i = 0; i < expected.length; i++) {
      long before = aes.expansions();
      assertThat(replica.openEvent(EPOCH1, CLUSTER, events.get(i)).event()).isNotEmpty();
      assertThat(aes.expansions() - before).as(why[i]).isEqualTo(expected[i]);
    }
    long before = aes.expansions();
    replica.openQuery(EPOCH1, CLUSTER, query);
    assertThat(aes.expansions() - before).as("a query of the session on this thread uses the key its events keep")
        .isEqualTo(1);

    replica.forgetEpochsBefore(1);
    before = aes.expansions();
    assertThat(replica.openEvent(EPOCH1, CLUSTER, events.get(4)).event()).isEqualTo(Hashes.utf8("fifth"));
    assertThat(aes.expansions() - before).as("after an erasure the kept key is gone").isEqualTo(2);
  }

  @Test
  void aSessionIsForOneClusterEpochAndGroupKey() throws Exception {
    // Proves the SDK's re-keying test: a session matches only the cluster, epoch and group key it was set up for.
    ClientSession client = session(EPOCH1);
    assertThat(client.isFor(CLUSTER, 1, EPOCH1.groupPublicKey())).isTrue();
    assertThat(client.isFor(CLUSTER, 2, EPOCH2.groupPublicKey())).isFalse();
    assertThat(client.isFor(CLUSTER, 1, EPOCH2.groupPublicKey())).isFalse();
    assertThat(client.isFor(Hashes.sha256(Hashes.utf8("other")), 1, EPOCH1.groupPublicKey())).isFalse();
  }

  @Test
  void gcmSivSealsAndOpensExactlyAsBouncyCastlesCipherWithKeptAndScratchKeys() throws Exception {
    // Proves the session's GCM-SIV (AesGcmSiv on the JDK's AES, session keys kept expanded) is the same AES-GCM-SIV
    // as Bouncy Castle's: byte for byte, each opens the other's output, and a flipped bit is refused.
    byte[] key = Hashes.sha256(Hashes.utf8("gcm-siv key"));
    byte[] nonce = java.util.Arrays.copyOf(Hashes.sha256(Hashes.utf8("nonce")), 12);
    for (int size : new int[] {0, 1, 15, 16, 17, 330, 1023, 1024, 1025, 4096, 20_000}) {
      byte[] aad = java.util.Arrays.copyOf(Hashes.sha256(Hashes.utf8("aad " + size)), 40);
      byte[] plaintext = new byte[size];
      new java.util.Random(size).nextBytes(plaintext);
      byte[] sealed = SessionSealing.gcmSiv(true, key, nonce, aad, plaintext);
      assertThat(sealed).as("size " + size).isEqualTo(defaultGcmSiv(true, key, nonce, aad, plaintext));
      assertThat(SessionSealing.gcmSiv(true, key, true, nonce, aad, plaintext)).as("kept key, size " + size)
          .isEqualTo(sealed);
      assertThat(defaultGcmSiv(false, key, nonce, aad, sealed)).as("size " + size).isEqualTo(plaintext);
      assertThat(SessionSealing.gcmSiv(false, key, nonce, aad, sealed)).as("size " + size).isEqualTo(plaintext);
      assertThat(SessionSealing.gcmSiv(false, key, true, nonce, aad, sealed)).as("kept key, size " + size)
          .isEqualTo(plaintext);
      sealed[sealed.length / 2] ^= 1;
      assertThatThrownBy(() -> SessionSealing.gcmSiv(false, key, nonce, aad, sealed)).as("size " + size)
          .isInstanceOf(org.bouncycastle.crypto.InvalidCipherTextException.class);
      assertThatThrownBy(() -> SessionSealing.gcmSiv(false, key, true, nonce, aad, sealed)).as("kept key, size " + size)
          .isInstanceOf(org.bouncycastle.crypto.InvalidCipherTextException.class);
    }
  }

  private static byte[] defaultGcmSiv(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] input)
      throws Exception {
    var cipher = new org.bouncycastle.crypto.modes.GCMSIVBlockCipher();
    cipher.init(encrypt, new org.bouncycastle.crypto.params.AEADParameters(
        new org.bouncycastle.crypto.params.KeyParameter(key), 128, nonce, aad));
    byte[] output = new byte[cipher.getOutputSize(input.length)];
    int written = cipher.processBytes(input, 0, input.length, output, 0);
    cipher.doFinal(output, written);
    return output;
  }
}
