package dev.veilraft.consensus;

import static dev.veilraft.consensus.SimulatedNodes.T0;
import static dev.veilraft.consensus.SimulatedNodes.entry;
import static dev.veilraft.consensus.SimulatedNodes.event;
import static dev.veilraft.consensus.SimulatedNodes.get;
import static dev.veilraft.consensus.SimulatedNodes.open;
import static dev.veilraft.consensus.SimulatedNodes.put;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.SealedResponse;
import dev.veilraft.crypto.seal.ClientSession;
import dev.veilraft.crypto.seal.QueryResponseSealing;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session-form requests ({@link ClientSession}) through the apply path, next to the single-shot form. */
class ReplicaSessionTest {
  private static final AppHost APPS = new AppHost(List.of(new KvApp()));
  /** Writes applied while a query thread races them (bounded: the test must stay cheap). */
  private static final int RACE_WRITES = 1500;
  /** Same-index, different-answer collisions checked before the race stops early. */
  private static final int COLLISIONS_WANTED = 20;
  private static FounderReplicas replicas;
  private static GenesisDocument genesis;
  private static byte[] clusterId;
  private static Node founder;

  @TempDir Path dir;

  @BeforeAll
  static void setUp() throws Exception {
    replicas = new FounderReplicas(APPS);
    genesis = replicas.genesis;
    clusterId = replicas.clusterId;
    founder = replicas.founder;
  }

  @AfterEach
  void closeStores() {
    replicas.closeStores();
  }

  /** A founder replica over its own store (several may share the founder's identity and KEM key). */
  private Replica replica(String name) throws Exception {
    return replicas.replica(dir, name);
  }

  private static Proposal keyEpoch(Replica proposer, String seed) throws Exception {
    MembershipView view = proposer.view();
    EpochSecret previous = view.epoch() == 0 ? null : proposer.keyring().get(view.epoch()).orElseThrow();
    return Proposal.newBuilder().setKeyEpoch(KeyEpochs.propose(view, previous,
        Hashes.sha256(Hashes.utf8("fresh/" + seed)))).build();
  }

  /** The first entries of every log here: init and epoch 1. */
  private static List<byte[]> bootstrapLog(Replica founderReplica) throws Exception {
    List<byte[]> log = new ArrayList<>();
    log.add(entry(T0, Proposal.newBuilder().setInitCluster(founder.init(genesis, "127.0.0.1:7000")).build()));
    assertThat(founderReplica.apply(1, log.get(0)).getInit().getAccepted()).isTrue();
    log.add(entry(T0 + 1, keyEpoch(founderReplica, "epoch1")));
    assertThat(founderReplica.apply(2, log.get(1)).getKeyEpoch().getAccepted()).isTrue();
    return log;
  }

  private static ClientSession session(MembershipView view) throws Exception {
    return ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
  }

  private static byte[] kvEvent(KvRequest request, byte[] clientId, long sequence) {
    Event.Builder event = Event.newBuilder().setApp("kv").setRequest(request.toByteString());
    if (clientId != null) {
      event.setClientId(ByteString.copyFrom(clientId)).setSequence(sequence).setAcknowledged(sequence);
    }
    return event.build().toByteArray();
  }

  private static KvResponse kv(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    EventResult opened = open(result, sealed);
    assertThat(opened.getStatus()).as(opened.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(opened.getResponse());
  }

  @Test
  void sessionAndSingleShotRequestsInterleaveAndReplicasWithDifferentCachesAgreeByteForByte() throws Exception {
    // Proves session requests apply and answer next to single-shot ones, and a replica whose session cache was lost
    // midway (misses) produces exactly the bytes of one that kept it (hits).
    Replica warm = replica("warm");
    List<byte[]> log = bootstrapLog(warm);
    ClientSession a = session(warm.view());
    ClientSession b = session(warm.view());
    List<EventSealing.ClientSealed> sealed = List.of(
        a.sealEvent(kvEvent(put("colour", "blue"), null, 0)),
        sealKv(warm.view(), clusterId, put("shape", "round")),
        b.sealEvent(kvEvent(put("size", "large"), null, 0)),
        a.sealEvent(kvEvent(get("colour"), null, 0)),
        b.sealEvent(kvEvent(get("shape"), null, 0)),
        a.sealEvent(kvEvent(get("size"), null, 0)));
    List<ApplyResult> warmResults = new ArrayList<>();
    for (int i = 0; i < sealed.size(); i++) {
      log.add(entry(T0 + 2 + i, event(sealed.get(i))));
      warmResults.add(warm.apply(log.size(), log.get(log.size() - 1)));
    }
    assertThat(kv(warmResults.get(3), sealed.get(3)).getValue().toStringUtf8()).isEqualTo("blue");
    assertThat(kv(warmResults.get(4), sealed.get(4)).getValue().toStringUtf8()).isEqualTo("round");
    assertThat(kv(warmResults.get(5), sealed.get(5)).getValue().toStringUtf8()).isEqualTo("large");
    assertThat(warm.sessionKeys().misses()).isEqualTo(2);
    assertThat(warm.sessionKeys().hits()).isEqualTo(3);

    // The same log on a replica that loses its cache (a restart) after the first session request.
    Replica cold = replica("cold");
    List<ApplyResult> coldResults = new ArrayList<>();
    for (int i = 0; i < log.size(); i++) {
      if (i == 3) {
        cold = replicas.restarted(cold);
      }
      ApplyResult result = cold.apply(i + 1, log.get(i));
      if (i >= 2) {
        coldResults.add(result);
      }
    }
    assertThat(cold.sessionKeys().misses()).isEqualTo(2);
    assertThat(cold.sessionKeys().hits()).isEqualTo(2);
    for (int i = 0; i < warmResults.size(); i++) {
      assertThat(coldResults.get(i).toByteArray()).as("entry %d", i + 3).isEqualTo(warmResults.get(i).toByteArray());
    }
  }

  @Test
  void aSessionRequestCommittedTwiceIsAppliedOnceAndItsResponsesNeverShareANonce() throws Exception {
    // Proves a session request replayed into the log is applied once (exactly-once), and both answers open for the
    // client under distinct log indices and ciphertexts.
    Replica replica = replica("replica");
    long index = bootstrapLog(replica).size() + 1;
    ClientSession client = session(replica.view());
    byte[] clientId = Hashes.sha256(Hashes.utf8("client")).clone();
    EventSealing.ClientSealed once = client.sealEvent(kvEvent(put("k", "v1"), clientId, 1));
    ApplyResult first = replica.apply(index, entry(T0 + 10, event(once)));
    ApplyResult again = replica.apply(index + 1, entry(T0 + 11, event(once)));
    EventSealing.ClientSealed later = client.sealEvent(kvEvent(put("k", "v2"), clientId, 2));
    replica.apply(index + 2, entry(T0 + 12, event(later)));
    EventSealing.ClientSealed read = client.sealEvent(kvEvent(get("k"), null, 0));

    assertThat(kv(first, once).getFound()).isFalse();
    assertThat(open(again, once)).isEqualTo(open(first, once));
    assertThat(again.getSealedResponse().getCiphertext()).isNotEqualTo(first.getSealedResponse().getCiphertext());
    assertThat(kv(replica.apply(index + 3, entry(T0 + 13, event(read))), read).getValue().toStringUtf8())
        .isEqualTo("v2");
  }

  @Test
  void aSessionOfAReplacedEpochGetsTheSameRefusalAsASingleShotRequest() throws Exception {
    // Proves that after a key rotation an old-epoch session request is refused with UNKNOWN_EPOCH, exactly as an old-
    // epoch single-shot request, and a new session of the new epoch applies.
    Replica replica = replica("replica");
    long index = bootstrapLog(replica).size() + 1;
    MembershipView epoch1 = replica.view();
    ClientSession old = session(epoch1);
    EventSealing.ClientSealed write = old.sealEvent(kvEvent(put("k", "v"), null, 0));
    assertThat(kv(replica.apply(index, entry(T0 + 10, event(write))), write).getFound()).isFalse();
    assertThat(replica.apply(index + 1, entry(T0 + 11, keyEpoch(replica, "epoch2"))).getKeyEpoch().getAccepted())
        .isTrue();

    ApplyResult oldSession = replica.apply(index + 2, entry(T0 + 12, event(old.sealEvent(kvEvent(get("k"), null, 0)))));
    ApplyResult oldSingleShot = replica.apply(index + 3, entry(T0 + 13, event(sealKv(epoch1, clusterId, get("k")))));
    assertThat(oldSession.getError().getCode()).isEqualTo("UNKNOWN_EPOCH");
    assertThat(oldSession.getError()).isEqualTo(oldSingleShot.getError());

    ClientSession rekeyed = session(replica.view());
    EventSealing.ClientSealed read = rekeyed.sealEvent(kvEvent(get("k"), null, 0));
    assertThat(kv(replica.apply(index + 4, entry(T0 + 14, event(read))), read).getValue().toStringUtf8())
        .isEqualTo("v");
  }

  @Test
  void anAnswerStillUnsealedWhenItsEpochsSecretsAreErasedIsRefusedNotSealed() throws Exception {
    // Proves erasure reaches answers kept for Ratis' retry cache: a follower's unsealed answers to session events of
    // epoch 1, read after the rotation to epoch 2 and the erasure of epoch 1's secrets, are refused with EPOCH_ERASED
    // (their session's response secret is gone) instead of sealed, alone and inside a group, whose other answers
    // stay sealed; the refusal is kept, and an answer read before the erasure and a single-shot answer (its own key,
    // computed when it was opened) still open for their clients.
    Replica replica = replica("replica");
    long index = bootstrapLog(replica).size() + 1;
    ClientSession client = session(replica.view());
    EventSealing.ClientSealed readBefore = client.sealEvent(kvEvent(put("a", "1"), null, 0));
    EventSealing.ClientSealed readAfter = client.sealEvent(kvEvent(put("b", "2"), null, 0));
    EventSealing.ClientSealed grouped = client.sealEvent(kvEvent(put("c", "3"), null, 0));
    EventSealing.ClientSealed singleShot = sealKv(replica.view(), clusterId, put("d", "4"));
    Answer before = replica.answer(index, entry(T0 + 10, event(readBefore)));
    Answer after = replica.answer(index + 1, entry(T0 + 11, event(readAfter)));
    Answer group = replica.answer(index + 2, entry(T0 + 12, Proposal.newBuilder().setClientEventGroup(
        EventGroup.newBuilder().addEvents(grouped.request()).addEvents(singleShot.request())).build()));
    ApplyResult sealedBefore = before.resultOrRefusal();
    assertThat(replica.apply(index + 3, entry(T0 + 13, keyEpoch(replica, "epoch2"))).getKeyEpoch().getAccepted())
        .isTrue();

    assertThat(replica.eraseSecretsBefore(2)).isNotEmpty();
    ApplyResult refused = after.resultOrRefusal();
    assertThat(refused.getError().getCode()).isEqualTo("EPOCH_ERASED");
    assertThat(refused.getError().getMessage()).contains("epoch 1").contains("its effect stands");
    assertThat(after.result()).isSameAs(refused);
    ApplyResult groupResult = group.resultOrRefusal();
    assertThat(groupResult.getGroup().getResults(0).getError().getCode()).isEqualTo("EPOCH_ERASED");
    assertThat(kv(groupResult.getGroup().getResults(1), singleShot).getFound()).isFalse();
    assertThat(kv(sealedBefore, readBefore).getFound()).isFalse();
    EventSealing.ClientSealed read = session(replica.view()).sealEvent(kvEvent(get("c"), null, 0));
    assertThat(kv(replica.apply(index + 4, entry(T0 + 14, event(read))), read).getValue().toStringUtf8())
        .isEqualTo("3");
  }

  @Test
  void alteredOrOutOfRangeSessionRequestsGetADeterministicRefusalAndTheReplicaGoesOn() throws Exception {
    // Proves a session request with a flipped ciphertext bit, a foreign encapsulated key or a counter outside 1..2^32-1
    // is refused with UNDECRYPTABLE_EVENT, and the session's next request still applies.
    Replica replica = replica("replica");
    long index = bootstrapLog(replica).size() + 1;
    ClientSession client = session(replica.view());
    dev.veilraft.crypto.proto.SealedRequest genuine = client.sealEvent(kvEvent(put("k", "v"), null, 0)).request();
    byte[] flipped = genuine.getCiphertext().toByteArray();
    flipped[flipped.length - 1] ^= 1;
    List<dev.veilraft.crypto.proto.SealedRequest> bad = List.of(
        genuine.toBuilder().setCiphertext(ByteString.copyFrom(flipped)).build(),
        genuine.toBuilder().setEncapsulatedKey(session(replica.view()).sealEvent(new byte[0]).request()
            .getEncapsulatedKey()).build(),
        genuine.toBuilder().setSessionCounter(1L << 32).build(),
        genuine.toBuilder().setSessionCounter(-1L).build());
    for (dev.veilraft.crypto.proto.SealedRequest request : bad) {
      ApplyResult result = replica.apply(index++, entry(T0 + index,
          Proposal.newBuilder().setClientEvent(request).build()));
      assertThat(result.getError().getCode()).as("%s", request).isEqualTo("UNDECRYPTABLE_EVENT");
    }
    EventSealing.ClientSealed next = client.sealEvent(kvEvent(get("k"), null, 0));
    assertThat(kv(replica.apply(index, entry(T0 + index, event(next))), next).getFound()).isFalse();
  }

  @Test
  void aQueryAnsweredTwiceUnderOneResponseKeyAndNonceNeverRevealsTheXorOfTheAnswers() throws Exception {
    // Proves query answers are sealed with AES-GCM-SIV: while apply races the query (so one log index can label two
    // different answers to the same sealed query), a (key, nonce) collision never yields XOR-of-plaintexts, and
    // the answer does not open as the AES-GCM of event responses.
    Replica replica = replica("replica");
    long index = bootstrapLog(replica).size() + 1;
    replica.apply(index, entry(T0 + 3, event(sealKv(replica.view(), clusterId, put("k", "v0")))));
    EventSealing.ClientSealed sealedQuery = session(replica.view()).sealQuery(kvEvent(get("k"), null, 0));
    byte[] query = sealedQuery.request().toByteArray();
    ClientSession writer = session(replica.view());
    List<EventSealing.ClientSealed> writes = new ArrayList<>();
    for (int i = 0; i < RACE_WRITES; i++) {
      writes.add(writer.sealEvent(kvEvent(put("k", "v" + (i % 10)), null, 0)));
    }
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    Thread applier = new Thread(() -> {
      for (int i = 0; i < writes.size() && !stop.get(); i++) {
        replica.apply(index + 1 + i, entry(T0 + 10 + i, event(writes.get(i))));
      }
      stop.set(true);
    });
    java.util.Map<Long, SealedResponse> seen = new java.util.HashMap<>();
    int collisions = 0;
    applier.start();
    try {
      while (!stop.get() && collisions < COLLISIONS_WANTED) {
        SealedResponse r = replica.query(query).getSealedResponse();
        SealedResponse before = seen.putIfAbsent(r.getLogIndex(), r);
        if (before != null && !before.getCiphertext().equals(r.getCiphertext())) {
          collisions++;
          byte[] p1 = QueryResponseSealing.open(sealedQuery.responseKey(), before);
          byte[] p2 = QueryResponseSealing.open(sealedQuery.responseKey(), r);
          assertThat(p1).isNotEqualTo(p2);
          assertThat(xor(before.getCiphertext().toByteArray(), r.getCiphertext().toByteArray(), p1.length))
              .as("XOR of the ciphertexts under one (key, nonce) is the XOR of the answers: keystream reuse")
              .isNotEqualTo(xor(p1, p2, p1.length));
        }
      }
    } finally {
      stop.set(true);
      applier.join();
    }
    SealedResponse last = replica.query(query).getSealedResponse();
    assertThat(KvResponse.parseFrom(EventResult.parseFrom(QueryResponseSealing.open(sealedQuery.responseKey(), last))
        .getResponse()).getFound()).isTrue();
    assertThatThrownBy(() -> EventSealing.openResponse(sealedQuery.responseKey(), last))
        .as("a query answer must not be AES-GCM").isInstanceOf(dev.veilraft.crypto.CryptoException.class);
  }

  private static byte[] xor(byte[] a, byte[] b, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = (byte) (a[i] ^ b[i]);
    }
    return out;
  }
}
