package dev.veilraft.crypto.seal;

import static dev.veilraft.crypto.seal.SessionSealingTest.CLUSTER;
import static dev.veilraft.crypto.seal.SessionSealingTest.EPOCH1;
import static dev.veilraft.crypto.seal.SessionSealingTest.EPOCH2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.SealedRequest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** How {@link SessionKeyCache} keeps established sessions against garbage, one-shot sessions and erased epochs. */
class SessionKeyCacheTest {
  private static ClientSession session(dev.veilraft.crypto.EpochSecret epoch) throws CryptoException {
    return ClientSession.start(epoch.groupPublicKey(), CLUSTER, epoch.epoch());
  }

  @Test
  void garbageSessionQueriesNeverEnterTheCacheNorEvictAnHonestSession() throws Exception {
    // Proves the reviewer's flush: after SESSIONS_MAX queries with random encapsulated keys, counter 1 and junk
    // ciphertexts (all refused), the honest session's next request is still a cache hit and nothing else was stored.
    SessionKeyCache cache = new SessionKeyCache();
    ClientSession honest = session(EPOCH1);
    cache.openQuery(EPOCH1, CLUSTER, honest.sealQuery(Hashes.utf8("q1")).request());
    cache.openQuery(EPOCH1, CLUSTER, honest.sealQuery(Hashes.utf8("q2")).request());
    assertThat(cache.establishedSize()).isEqualTo(1);

    Random random = new Random(14);
    SealedRequest template = honest.sealQuery(Hashes.utf8("template")).request();
    for (int i = 0; i < SessionKeyCache.SESSIONS_MAX; i++) {
      byte[] encapsulatedKey = new byte[32];
      byte[] junk = new byte[48];
      random.nextBytes(encapsulatedKey);
      random.nextBytes(junk);
      SealedRequest garbage = template.toBuilder().setEncapsulatedKey(ByteString.copyFrom(encapsulatedKey))
          .setSessionCounter(1).setCiphertext(ByteString.copyFrom(junk)).build();
      assertThatThrownBy(() -> cache.openQuery(EPOCH1, CLUSTER, garbage)).isInstanceOf(CryptoException.class);
    }
    assertThat(cache.size()).isEqualTo(1);
    long misses = cache.misses();
    assertThat(cache.openQuery(EPOCH1, CLUSTER, honest.sealQuery(Hashes.utf8("q3")).request()).event())
        .isEqualTo(Hashes.utf8("q3"));
    assertThat(cache.misses()).as("the honest session's keys were still remembered").isEqualTo(misses);
  }

  @Test
  void oneShotSessionsChurnOnlyTheProbationAreaAndAReplayDoesNotPromote() throws Exception {
    // Proves valid sessions used once (which anyone with the group key can make) never displace an established
    // session, and that the same request opened twice (a replay) does not establish its session.
    SessionKeyCache cache = new SessionKeyCache(2, 2);
    ClientSession honest = session(EPOCH1);
    cache.openEvent(EPOCH1, CLUSTER, honest.sealEvent(Hashes.utf8("e1")).request());
    cache.openEvent(EPOCH1, CLUSTER, honest.sealEvent(Hashes.utf8("e2")).request());
    SealedRequest replayed = session(EPOCH1).sealEvent(Hashes.utf8("replayed")).request();
    cache.openEvent(EPOCH1, CLUSTER, replayed);
    cache.openEvent(EPOCH1, CLUSTER, replayed);
    assertThat(cache.establishedSize()).isEqualTo(1);
    for (int i = 0; i < 10; i++) {
      cache.openEvent(EPOCH1, CLUSTER, session(EPOCH1).sealEvent(Hashes.utf8("once " + i)).request());
    }
    assertThat(cache.establishedSize()).isEqualTo(1);
    assertThat(cache.size()).isEqualTo(3);
    long misses = cache.misses();
    cache.openEvent(EPOCH1, CLUSTER, honest.sealEvent(Hashes.utf8("e3")).request());
    assertThat(cache.misses()).isEqualTo(misses);
  }

  @Test
  void keysOfAForgottenEpochAreNeverStoredAgain() throws Exception {
    // Proves the erasure race is closed: a thread still holding epoch 1's secret after forgetEpochsBefore(2) can open
    // (the caller erases the secret itself) but the cache refuses to keep that session's keys.
    SessionKeyCache cache = new SessionKeyCache();
    ClientSession old = session(EPOCH1);
    cache.openEvent(EPOCH1, CLUSTER, old.sealEvent(Hashes.utf8("before")).request());
    cache.forgetEpochsBefore(2);
    assertThat(cache.size()).isZero();
    cache.openEvent(EPOCH1, CLUSTER, old.sealEvent(Hashes.utf8("late 1")).request());
    cache.openEvent(EPOCH1, CLUSTER, old.sealEvent(Hashes.utf8("late 2")).request());
    assertThat(cache.size()).isZero();
    cache.openEvent(EPOCH2, CLUSTER, session(EPOCH2).sealEvent(Hashes.utf8("new")).request());
    assertThat(cache.size()).isEqualTo(1);
  }

  @Test
  void anAnswerNotSealedBeforeItsEpochIsErasedIsRefusedAndTheSessionsKeysAreZeroed() throws Exception {
    // Proves the erasure reaches a session's keys outside the cache: a response key derived before the erasure stays
    // usable (its answer may be sealed), one asked for afterwards (an unsealed answer in Ratis' retry cache) is
    // refused, and the session's adopted keys are zeroed, not just dropped from the maps.
    SessionKeyCache cache = new SessionKeyCache();
    ClientSession client = session(EPOCH1);
    EventSealing.Opened derivedBefore = cache.openEvent(EPOCH1, CLUSTER, client.sealEvent(Hashes.utf8("a")).request());
    EventSealing.Opened notYet = cache.openEvent(EPOCH1, CLUSTER, client.sealEvent(Hashes.utf8("b")).request());
    byte[] key = derivedBefore.responseKey();
    EpochSessions epoch1 = cache.epochSessions(1);
    assertThat(epoch1.held()).as("the one computed session: its request key and response secret").isEqualTo(2);
    EventSealing.Opened other = cache.openEvent(EPOCH2, CLUSTER, session(EPOCH2).sealEvent(Hashes.utf8("c")).request());

    cache.forgetEpochsBefore(2);
    assertThat(epoch1.isErased()).isTrue();
    assertThat(epoch1.held()).isZero();
    assertThat(cache.epochSessions(1)).isNull();
    assertThat(derivedBefore.responseKey()).isEqualTo(key);
    assertThatThrownBy(notYet::responseKey).isInstanceOf(EpochSecretsErasedException.class)
        .hasMessageContaining("epoch 1");
    assertThat(other.responseKey()).hasSize(32);
    assertThat(cache.epochSessions(2).isErased()).isFalse();

    // A thread that held epoch 1's secret across the erasure opens a new session: its keys are zeroed at once.
    EventSealing.Opened late = cache.openEvent(EPOCH1, CLUSTER, session(EPOCH1).sealEvent(Hashes.utf8("d")).request());
    assertThat(late.event()).isEqualTo(Hashes.utf8("d"));
    assertThatThrownBy(late::responseKey).isInstanceOf(EpochSecretsErasedException.class);
  }
}
