package dev.veilraft.crypto.seal;

import static dev.veilraft.crypto.seal.SessionSealingTest.CLUSTER;
import static dev.veilraft.crypto.seal.SessionSealingTest.EPOCH1;
import static dev.veilraft.crypto.seal.SessionSealingTest.EPOCH2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How {@link ClientSessions} re-keys: on exhaustion (even when a seal lost the race), epoch change and request. */
class ClientSessionsTest {
  @AfterEach
  void runGcmSivAsConfigured() {
    SessionSealing.javaOnThisThreadForTest(false);
  }

  @Test
  void aSealThatFindsTheSessionExhaustedStartsANewSessionAndSucceeds() throws Exception {
    // Proves the counter exhaustion race: a session checked as usable whose last counter another thread took is
    // replaced, and the seal goes through in the new session instead of failing.
    ClientSessions sessions = new ClientSessions();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("first"));
    ClientSession first = sessions.current();
    // The other thread's seal took the last counter right after our check saw one left.
    first.skipToCounterForTest(SessionSealing.COUNTER_MAX);
    EventSealing.ClientSealed sealed = sessions.seal(first, ClientSessions.Kind.QUERY, Hashes.utf8("loser"),
        EPOCH1.groupPublicKey(), CLUSTER, 1);
    assertThat(sealed.request().getSessionCounter()).isEqualTo(1);
    assertThat(sessions.current()).isNotSameAs(first);
    assertThat(sessions.sessionsStarted()).isEqualTo(2);
    assertThat(new SessionKeyCache().openQuery(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("loser"));
  }

  @Test
  void aSealThatFindsItsSessionRetiredIsSealedInTheNextSessionAndAnIdleRetiredSessionIsZeroedAtOnce()
      throws Exception {
    // Proves the re-key race: a session checked as usable that another thread retired (its keys erased) refuses
    // the seal rather than sealing under zeroed keys, and ClientSessions seals it in a new session instead.
    ClientSessions sessions = new ClientSessions();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("first"));
    ClientSession first = sessions.current();
    sessions.startNewSession();
    assertThat(first.keysZeroed()).as("no seal ran in it: zeroed at retirement").isTrue();
    assertThatThrownBy(() -> first.sealEvent(Hashes.utf8("late"))).isInstanceOf(SessionExhaustedException.class)
        .hasMessageContaining("session retired");
    EventSealing.ClientSealed sealed = sessions.seal(first, ClientSessions.Kind.EVENT, Hashes.utf8("late"),
        EPOCH1.groupPublicKey(), CLUSTER, 1);
    assertThat(sessions.current()).isNotSameAs(first);
    assertThat(sessions.sessionsStarted()).isEqualTo(2);
    assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("late"));
  }

  @Test
  void aNewEpochOrARequestStartsANewSessionAndAnOldEpochSessionIsDropped() throws Exception {
    // Proves re-keying on a new epoch and on startNewSession, and that retainOnly drops another epoch's session.
    ClientSessions sessions = new ClientSessions();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("a"));
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("b"));
    assertThat(sessions.sessionsStarted()).isEqualTo(1);
    sessions.startNewSession();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("c"));
    assertThat(sessions.sessionsStarted()).isEqualTo(2);
    sessions.retainOnly(1);
    assertThat(sessions.current()).isNotNull();
    sessions.retainOnly(2);
    assertThat(sessions.current()).isNull();
    sessions.seal(EPOCH2.groupPublicKey(), CLUSTER, 2, ClientSessions.Kind.EVENT, Hashes.utf8("d"));
    assertThat(sessions.current().epoch()).isEqualTo(2);
    assertThat(sessions.sessionsStarted()).isEqualTo(3);
  }

  @Test
  void aDroppedSessionsKeptRequestKeyIsScrubbedAndNotKeptAgain() throws Exception {
    // Proves a client keeps its request key expanded only while the session is current: startNewSession and
    // retainOnly of another epoch scrub exactly that key (the next seal expands the new session's key and the
    // derived key), a seal still running in a dropped session does not keep its key again, and the session's
    // raw keys are zeroed when that seal is done.
    // The Java implementation's kept keys; natively nothing is kept (NativeGcmSivTest).
    SessionSealing.javaOnThisThreadForTest(true);
    JdkAesBlockCipher aes = SessionSealing.thisThreadsAes();
    ClientSessions sessions = new ClientSessions();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("a"));
    long before = aes.expansions();
    sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("b"));
    assertThat(aes.expansions() - before).as("the current session's key is kept").isEqualTo(1);
    for (Runnable drop : new Runnable[] {sessions::startNewSession, () -> sessions.retainOnly(2)}) {
      sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("c"));
      ClientSession dropped = sessions.current();
      int kept = aes.keptCount();
      assertThat(dropped.enter()).as("a seal racing the drop has entered").isTrue();
      drop.run();
      assertThat(aes.keptCount()).as("the dropped session's key is scrubbed, no other").isEqualTo(kept - 1);
      before = aes.expansions();
      EventSealing.ClientSealed racing = dropped.sealEntered(SessionSealing.Kind.EVENT, Hashes.utf8("racing the drop"));
      assertThat(aes.keptCount()).as("a seal in the dropped session keeps nothing").isEqualTo(kept - 1);
      assertThat(aes.expansions() - before).as("so it expands the request key and the derived key").isEqualTo(2);
      assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, racing.request()).event())
          .as("and seals under the session's real key").isEqualTo(Hashes.utf8("racing the drop"));
      assertThat(dropped.keysZeroed()).as("keys stay while that seal runs").isFalse();
      dropped.exit();
      assertThat(dropped.keysZeroed()).as("the last seal out zeroes the raw keys").isTrue();
      before = aes.expansions();
      sessions.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT, Hashes.utf8("d"));
      assertThat(aes.expansions() - before).as("the next session's first seal expands both").isEqualTo(2);
    }
  }

  @Test
  void aSealRetriesInFreshSessionsUpToTheAttemptLimitAndOnlyThenTellsTheCaller() throws Exception {
    // Proves the multi-retry path: when every session a seal tries was retired meanwhile (as if other threads re-keyed
    // this client each time), the seal goes on in a new session per attempt, succeeds in the last allowed one, and
    // reaches the caller as exhausted only when all SEAL_ATTEMPTS_MAX attempts failed.
    int[] started = new int[1];
    ClientSessions lastChance = new ClientSessions((groupPublicKey, clusterId, epoch) -> {
      ClientSession s = ClientSession.start(groupPublicKey, clusterId, epoch);
      if (++started[0] < ClientSessions.SEAL_ATTEMPTS_MAX) {
        s.retire();
      }
      return s;
    });
    EventSealing.ClientSealed sealed = lastChance.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.EVENT,
        Hashes.utf8("eighth"));
    assertThat(started[0]).isEqualTo(ClientSessions.SEAL_ATTEMPTS_MAX);
    assertThat(lastChance.sessionsStarted()).isEqualTo(ClientSessions.SEAL_ATTEMPTS_MAX);
    assertThat(new SessionKeyCache().openEvent(EPOCH1, CLUSTER, sealed.request()).event())
        .isEqualTo(Hashes.utf8("eighth"));

    started[0] = 0;
    ClientSessions never = new ClientSessions((groupPublicKey, clusterId, epoch) -> {
      ClientSession s = ClientSession.start(groupPublicKey, clusterId, epoch);
      started[0]++;
      s.retire();
      return s;
    });
    assertThatThrownBy(() -> never.seal(EPOCH1.groupPublicKey(), CLUSTER, 1, ClientSessions.Kind.QUERY,
        Hashes.utf8("never"))).isInstanceOf(SessionExhaustedException.class).hasMessageContaining("session retired");
    assertThat(started[0]).as("one session per attempt, none after the last").isEqualTo(ClientSessions.SEAL_ATTEMPTS_MAX);
  }
}
