package dev.veilraft.consensus;

import static dev.veilraft.consensus.SimulatedNodes.T0;
import static dev.veilraft.consensus.SimulatedNodes.entry;
import static dev.veilraft.consensus.SimulatedNodes.get;
import static dev.veilraft.consensus.SimulatedNodes.open;
import static dev.veilraft.consensus.SimulatedNodes.put;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.crypto.seal.ClientSession;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.state.app.App;
import dev.veilraft.state.app.AppContext;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.app.AppState;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client events grouped into one entry ({@link EventGroup}) through the apply path. */
class ReplicaGroupTest {
  /** Answers each request with 16 bytes of the event's deterministic random (and stores them). */
  private static final App RANDOM_APP = new App() {
    @Override
    public String name() {
      return "rand";
    }

    @Override
    public byte[] apply(AppContext context, AppState state, byte[] request) {
      byte[] drawn = context.random().nextBytes(16);
      state.put(request, drawn);
      return drawn;
    }
  };
  /** Answers a request "N" with N deterministic bytes and records that it applied it: small requests, large answers. */
  private static final App BIG_ANSWER_APP = new App() {
    @Override
    public String name() {
      return "big";
    }

    @Override
    public byte[] apply(AppContext context, AppState state, byte[] request) {
      state.put(request, new byte[] {1});
      return new byte[Integer.parseInt(new String(request, java.nio.charset.StandardCharsets.UTF_8).split("/")[0])];
    }
  };
  private static final AppHost APPS = new AppHost(List.of(new KvApp(), RANDOM_APP, BIG_ANSWER_APP));
  private static final long T = T0 + 100;
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

  /** A replica over its own store (all share the founder's identity: each holds the epoch secrets). */
  private Replica replica(String name) throws Exception {
    return replicas.replica(dir, name);
  }

  /** Init and epoch 1, the same bytes for every replica built on them; returns the next index. */
  private static long bootstrap(Replica... replicas) throws Exception {
    byte[] init = entry(T0, Proposal.newBuilder().setInitCluster(founder.init(genesis, "127.0.0.1:7000")).build());
    byte[] epoch = null;
    for (Replica r : replicas) {
      assertThat(r.apply(1, init).getInit().getAccepted()).isTrue();
      if (epoch == null) {
        MembershipView view = r.view();
        epoch = entry(T0 + 1, Proposal.newBuilder().setKeyEpoch(KeyEpochs.propose(view, (EpochSecret) null,
            Hashes.sha256(Hashes.utf8("fresh/epoch1")))).build());
      }
      assertThat(r.apply(2, epoch).getKeyEpoch().getAccepted()).isTrue();
    }
    return 3;
  }

  private static byte[] groupEntry(List<SealedRequest> events) {
    return entry(T, Proposal.newBuilder().setClientEventGroup(EventGroup.newBuilder().addAllEvents(events)).build());
  }

  private static byte[] kvEvent(KvRequest request, byte[] clientId, long sequence) {
    Event.Builder event = Event.newBuilder().setApp("kv").setRequest(request.toByteString());
    if (clientId != null) {
      // Acknowledged 1: the client still waits for every answer, so any of its requests may be retried.
      event.setClientId(ByteString.copyFrom(clientId)).setSequence(sequence).setAcknowledged(1);
    }
    return event.build().toByteArray();
  }

  private static byte[] clientId(String name) {
    return Hashes.sha256(Hashes.utf8("client/" + name));
  }

  private static KvResponse kv(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    EventResult opened = open(result, sealed);
    assertThat(opened.getStatus()).as(opened.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(opened.getResponse());
  }

  /**
   * Every replicated record the store exports, as "namespace/hex key" to the hex SHA-256 of the value:
   * equal maps, equal state (and a readable difference when they are not).
   */
  private static java.util.Map<String, String> stateDigest(Replica replica) throws Exception {
    java.util.Map<String, String> records = new java.util.TreeMap<>();
    replica.exportRecords((namespace, key, value) ->
        records.put(namespace + "/" + Hashes.hex(key), Hashes.hex(Hashes.sha256(value))));
    return records;
  }

  /** A mixed load: session and single-shot sealing, with and without client ids, reads of earlier writes. */
  private static List<EventSealing.ClientSealed> mixedEvents(MembershipView view) throws Exception {
    ClientSession a = ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    ClientSession b = ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    List<EventSealing.ClientSealed> events = new ArrayList<>();
    events.add(a.sealEvent(kvEvent(put("colour", "blue"), clientId("a"), 1)));
    events.add(sealKv(view, clusterId, put("shape", "round")));
    events.add(b.sealEvent(kvEvent(put("colour", "green"), clientId("b"), 1)));
    events.add(a.sealEvent(kvEvent(get("colour"), clientId("a"), 2)));
    events.add(EventSealing.sealRequest(view.groupPublicKey(), clusterId, view.epoch(),
        kvEvent(put("size", "large"), clientId("c"), 1)));
    events.add(b.sealEvent(kvEvent(get("shape"), null, 0)));
    return events;
  }

  @Test
  void aGroupGivesTheStateAndPerEventAnswersOfTheSameEventsAppliedOneByOneOnEveryReplica() throws Exception {
    // Proves grouping is invisible in the outcome: three replicas applying one grouped entry agree byte for byte,
    // and each event's plaintext answer and the final state digest equal those of the events applied one per entry.
    Replica g1 = replica("g1");
    Replica g2 = replica("g2");
    Replica g3 = replica("g3");
    Replica single = replica("single");
    long index = bootstrap(g1, g2, g3, single);
    List<EventSealing.ClientSealed> events = mixedEvents(g1.view());

    byte[] grouped = groupEntry(events.stream().map(EventSealing.ClientSealed::request).toList());
    ApplyResult r1 = g1.apply(index, grouped);
    assertThat(g2.apply(index, grouped).toByteArray()).isEqualTo(r1.toByteArray());
    assertThat(g3.apply(index, grouped).toByteArray()).isEqualTo(r1.toByteArray());
    assertThat(r1.getGroup().getResultsCount()).isEqualTo(events.size());

    for (int i = 0; i < events.size(); i++) {
      ApplyResult alone = single.apply(index + i, entry(T, SimulatedNodes.event(events.get(i))));
      ApplyResult inGroup = r1.getGroup().getResults(i);
      assertThat(open(inGroup, events.get(i))).as("event %d", i).isEqualTo(open(alone, events.get(i)));
      assertThat(inGroup.getSealedResponse().getLogIndex()).isEqualTo(index);
      assertThat(inGroup.getSealedResponse().getEntryPosition()).isEqualTo(i);
    }
    assertThat(kv(r1.getGroup().getResults(3), events.get(3)).getValue().toStringUtf8()).isEqualTo("green");
    assertThat(stateDigest(g1)).isEqualTo(stateDigest(single)).isEqualTo(stateDigest(g2)).isEqualTo(stateDigest(g3));
  }

  @Test
  void aFollowersAnswersAreSealedOnlyWhenReadAndThenAreTheBytesEveryReplicaSealsAtOnce() throws Exception {
    // Proves answers sealed when read: a replica that applies a grouped entry of session and single-shot events
    // through answer() (as Ratis' state machine does) seals nothing, while its state
    // moves on exactly as a replica's that seals at once; read later, after further entries, its answer is that
    // replica's byte for byte (what a retry-cache reply after a change of leader gets).
    Replica sealsAtOnce = replica("at-once");
    Replica follower = replica("follower");
    long index = bootstrap(sealsAtOnce, follower);
    List<EventSealing.ClientSealed> events = mixedEvents(sealsAtOnce.view());
    byte[] grouped = groupEntry(events.stream().map(EventSealing.ClientSealed::request).toList());

    ApplyResult atOnce = sealsAtOnce.apply(index, grouped);
    Answer later = follower.answer(index, grouped);
    assertThat(later.sealed()).isFalse();
    assertThat(stateDigest(follower)).isEqualTo(stateDigest(sealsAtOnce));
    byte[] next = entry(T, SimulatedNodes.event(sealKv(follower.view(), clusterId, put("after", "1"))));
    assertThat(follower.apply(index + 1, next).toByteArray()).isEqualTo(sealsAtOnce.apply(index + 1, next).toByteArray());
    assertThat(later.sealed()).isFalse();

    assertThat(later.result().toByteArray()).isEqualTo(atOnce.toByteArray());
    assertThat(later.resultOrRefusal().toByteArray()).isEqualTo(atOnce.toByteArray());
    assertThat(later.sealed()).isTrue();
    assertThat(open(later.result().getGroup().getResults(0), events.get(0))).isEqualTo(
        open(atOnce.getGroup().getResults(0), events.get(0)));
  }

  @Test
  void aBadEventInTheMiddleOfAGroupGetsItsOwnErrorAndChangesNothingForItsNeighbours() throws Exception {
    // Proves per-event isolation: a tampered, a wrong-epoch, a wrong-cluster and an oversized event between good ones
    // each get their own EntryError, a replayed event gets its recorded answer, and the good events apply as if alone.
    Replica replica = replica("replica");
    Replica reference = replica("reference");
    long index = bootstrap(replica, reference);
    MembershipView view = replica.view();
    ClientSession session = ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    EventSealing.ClientSealed first = session.sealEvent(kvEvent(put("k", "v1"), clientId("x"), 1));
    EventSealing.ClientSealed second = session.sealEvent(kvEvent(put("k", "v2"), clientId("x"), 2));
    for (Replica r : List.of(replica, reference)) {
      r.apply(index, entry(T, SimulatedNodes.event(first)));
      r.apply(index + 1, entry(T, SimulatedNodes.event(second)));
    }
    index += 2;

    EventSealing.ClientSealed before = sealKv(view, clusterId, put("a", "1"));
    EventSealing.ClientSealed after = session.sealEvent(kvEvent(put("b", "2"), clientId("y"), 1));
    SealedRequest genuine = sealKv(view, clusterId, put("evil", "1")).request();
    byte[] flipped = genuine.getCiphertext().toByteArray();
    flipped[flipped.length - 1] ^= 1;
    SealedRequest tampered = genuine.toBuilder().setCiphertext(ByteString.copyFrom(flipped)).build();
    SealedRequest wrongEpoch = sealKv(view, clusterId, put("evil", "2")).request().toBuilder().setEpoch(7).build();
    SealedRequest wrongCluster = sealKv(view, clusterId, put("evil", "3")).request().toBuilder()
        .setClusterId(ByteString.copyFrom(Hashes.sha256(Hashes.utf8("another cluster")))).build();
    SealedRequest oversized = genuine.toBuilder().setCiphertext(ByteString.copyFrom(
        new byte[Limits.sealedRequestBytesMax(genesis.eventBytesMax()) + 1])).build();
    // A retry of `first`, sealed again (a new counter): exactly-once must answer it without applying it again.
    EventSealing.ClientSealed retry = session.sealEvent(kvEvent(put("k", "v1"), clientId("x"), 1));

    List<SealedRequest> group = List.of(before.request(), tampered, wrongEpoch, retry.request(), wrongCluster,
        oversized, after.request());
    ApplyResult result = replica.apply(index, groupEntry(group));
    List<ApplyResult> results = result.getGroup().getResultsList();
    assertThat(kv(results.get(0), before).getFound()).isFalse();
    assertThat(results.get(1).getError().getCode()).isEqualTo("UNDECRYPTABLE_EVENT");
    assertThat(results.get(2).getError().getCode()).isEqualTo("UNKNOWN_EPOCH");
    assertThat(kv(results.get(3), retry).getFound()).as("the recorded answer of the first apply").isFalse();
    assertThat(results.get(4).getError().getCode()).isEqualTo("WRONG_CLUSTER");
    assertThat(results.get(5).getError().getCode()).isEqualTo("EVENT_TOO_LARGE");
    assertThat(kv(results.get(6), after).getFound()).isFalse();

    // The same good events without the bad ones, one per entry, reach the same state: k stays v2.
    reference.apply(index, entry(T, SimulatedNodes.event(before)));
    reference.apply(index + 1, entry(T, SimulatedNodes.event(retry)));
    reference.apply(index + 2, entry(T, SimulatedNodes.event(after)));
    assertThat(stateDigest(replica)).isEqualTo(stateDigest(reference));
    EventSealing.ClientSealed read = sealKv(view, clusterId, get("k"));
    assertThat(kv(replica.apply(index + 1, entry(T, SimulatedNodes.event(read))), read).getValue().toStringUtf8())
        .isEqualTo("v2");
  }

  @Test
  void theSameEventTwiceInOneGroupIsAppliedOnceAndItsAnswersNeverShareANonce() throws Exception {
    // Proves a duplicate within one group is applied once (exactly-once sees the first copy's record in the same
    // transaction) and that identical requests at two positions of one entry get distinct (key, nonce) pairs: two
    // copies of a request without a client id apply twice with different answers, and their ciphertexts do not
    // reveal the XOR of those answers.
    Replica replica = replica("replica");
    long index = bootstrap(replica);
    MembershipView view = replica.view();
    ClientSession session = ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    EventSealing.ClientSealed once = session.sealEvent(kvEvent(put("k", "v1"), clientId("x"), 1));
    EventSealing.ClientSealed noId = sealKv(view, clusterId, put("n", "same"));

    ApplyResult result = replica.apply(index, groupEntry(List.of(once.request(), once.request(), noId.request(),
        noId.request())));
    List<ApplyResult> results = result.getGroup().getResultsList();
    assertThat(open(results.get(1), once)).isEqualTo(open(results.get(0), once));
    assertThat(kv(results.get(0), once).getFound()).isFalse();
    assertThat(results.get(1).getSealedResponse().getCiphertext())
        .isNotEqualTo(results.get(0).getSealedResponse().getCiphertext());

    KvResponse firstCopy = kv(results.get(2), noId);
    KvResponse secondCopy = kv(results.get(3), noId);
    assertThat(firstCopy.getFound()).isFalse();
    assertThat(secondCopy.getFound()).as("the second copy of a request without client id applies again").isTrue();
    byte[] p1 = EventSealing.openResponse(noId.responseKey(), results.get(2).getSealedResponse());
    byte[] p2 = EventSealing.openResponse(noId.responseKey(), results.get(3).getSealedResponse());
    int n = Math.min(p1.length, p2.length);
    assertThat(xor(results.get(2).getSealedResponse().getCiphertext().toByteArray(),
        results.get(3).getSealedResponse().getCiphertext().toByteArray(), n))
        .as("one (key, nonce) pair for two answers would leak their XOR").isNotEqualTo(xor(p1, p2, n));

    EventSealing.ClientSealed read = sealKv(view, clusterId, get("k"));
    assertThat(kv(replica.apply(index + 1, entry(T, SimulatedNodes.event(read))), read).getValue().toStringUtf8())
        .isEqualTo("v1");
  }

  @Test
  void aRetryOfAnEventAppliedInAnEarlierGroupGetsTheSameAnswerAndIsNotAppliedAgain() throws Exception {
    // Proves exactly-once across groups: a put retried (sealed again) in a later group, after the key was changed,
    // gets the first answer and leaves the later value in place.
    Replica replica = replica("replica");
    long index = bootstrap(replica);
    MembershipView view = replica.view();
    ClientSession session = ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    EventSealing.ClientSealed put1 = session.sealEvent(kvEvent(put("k", "v1"), clientId("x"), 1));
    EventSealing.ClientSealed filler = sealKv(view, clusterId, put("other", "o"));
    ApplyResult firstGroup = replica.apply(index, groupEntry(List.of(filler.request(), put1.request())));
    EventSealing.ClientSealed put2 = session.sealEvent(kvEvent(put("k", "v2"), clientId("y"), 1));
    replica.apply(index + 1, groupEntry(List.of(put2.request(), filler.request())));

    EventSealing.ClientSealed retry = session.sealEvent(kvEvent(put("k", "v1"), clientId("x"), 1));
    EventSealing.ClientSealed read = session.sealEvent(kvEvent(get("k"), null, 0));
    ApplyResult later = replica.apply(index + 2, groupEntry(List.of(retry.request(), read.request())));

    assertThat(open(later.getGroup().getResults(0), retry)).isEqualTo(open(firstGroup.getGroup().getResults(1), put1));
    assertThat(kv(later.getGroup().getResults(1), read).getValue().toStringUtf8()).isEqualTo("v2");
  }

  @Test
  void everyEventOfAGroupDrawsItsOwnRandomAndEveryReplicaTheSame() throws Exception {
    // Proves the deterministic random is unique per (index, position) and identical across replicas: the events
    // of a group and an ungrouped entry at the next index all draw different bytes, the same on two replicas.
    Replica a = replica("a");
    Replica b = replica("b");
    long index = bootstrap(a, b);
    MembershipView view = a.view();
    List<EventSealing.ClientSealed> events = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      events.add(SimulatedNodes.seal(view, clusterId, "rand", Hashes.utf8("draw/" + i)));
    }
    byte[] grouped = groupEntry(events.stream().map(EventSealing.ClientSealed::request).toList());
    ApplyResult ra = a.apply(index, grouped);
    assertThat(b.apply(index, grouped).toByteArray()).isEqualTo(ra.toByteArray());
    EventSealing.ClientSealed alone = SimulatedNodes.seal(view, clusterId, "rand", Hashes.utf8("draw/alone"));
    ApplyResult single = a.apply(index + 1, entry(T, SimulatedNodes.event(alone)));

    Set<ByteString> drawn = new HashSet<>();
    for (int i = 0; i < events.size(); i++) {
      drawn.add(open(ra.getGroup().getResults(i), events.get(i)).getResponse());
    }
    drawn.add(open(single, alone).getResponse());
    assertThat(drawn).hasSize(events.size() + 1);
  }

  @Test
  void onceAGroupsAnswersPassTheBoundTheRestAreNotAppliedAndCanBeSentAgain() throws Exception {
    // Proves the answer bound: small requests asking for 3 MiB answers each, eight in one entry; after the answers
    // pass GROUP_ANSWER_BYTES_MAX the rest get GROUP_ANSWERS_FULL on every replica alike and change no state, and
    // the same sealed requests sent again in a later entry apply.
    Replica r1 = replica("r1");
    Replica r2 = replica("r2");
    Replica unread = replica("unread");
    long index = bootstrap(r1, r2, unread);
    MembershipView view = r1.view();
    int answer = 3 << 20;
    List<EventSealing.ClientSealed> events = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      events.add(SimulatedNodes.seal(view, clusterId, "big", Hashes.utf8(answer + "/" + i)));
    }
    byte[] grouped = groupEntry(events.stream().map(EventSealing.ClientSealed::request).toList());
    ApplyResult result = r1.apply(index, grouped);
    assertThat(r2.apply(index, grouped).toByteArray()).isEqualTo(result.toByteArray());
    // A replica that never seals (a follower) counts the same answer bytes: the same events refused, the same state.
    Answer neverRead = unread.answer(index, grouped);
    assertThat(stateDigest(unread)).isEqualTo(stateDigest(r1));
    int applied = Limits.GROUP_ANSWER_BYTES_MAX / answer + 1;
    // The count in the refusal is the sum of the sealed answers' sizes, as it always was.
    long sealedBytes = 0;
    for (int i = 0; i < applied; i++) {
      sealedBytes += result.getGroup().getResults(i).getSerializedSize();
    }
    assertThat(result.getGroup().getResults(applied).getError().getMessage())
        .contains("answers before it in this entry are " + sealedBytes + " bytes");
    assertThat(neverRead.sealed()).isFalse();
    assertThat(neverRead.result().toByteArray()).isEqualTo(result.toByteArray());
    for (int i = 0; i < events.size(); i++) {
      ApplyResult one = result.getGroup().getResults(i);
      if (i < applied) {
        assertThat(open(one, events.get(i)).getResponse().size()).as("event %d", i).isEqualTo(answer);
      } else {
        assertThat(one.getError().getCode()).as("event %d", i).isEqualTo("GROUP_ANSWERS_FULL");
        assertThat(one.getError().getMessage()).contains("not applied", "send it again");
      }
    }
    assertThat(applied).isLessThan(events.size());
    assertThat(result.getSerializedSize()).isLessThan(Limits.GROUP_ANSWER_BYTES_MAX + 2 * answer);
    java.util.Map<String, String> before = stateDigest(r1);
    assertThat(before).isEqualTo(stateDigest(r2));

    byte[] again = groupEntry(events.subList(applied, events.size()).stream()
        .map(EventSealing.ClientSealed::request).toList());
    ApplyResult second = r1.apply(index + 1, again);
    for (int i = applied; i < events.size(); i++) {
      assertThat(open(second.getGroup().getResults(i - applied), events.get(i)).getResponse().size()).isEqualTo(answer);
    }
    assertThat(stateDigest(r1)).hasSize(before.size() + events.size() - applied);
  }

  @Test
  void emptyOversizedAndMalformedGroupsAreRefusedAsAWholeAndTheReplicaGoesOn() throws Exception {
    // Proves a group's shape is checked before any event: empty (EMPTY_GROUP), too many events or bytes
    // (GROUP_TOO_LARGE), unparseable (MALFORMED_ENTRY) each get one EntryError that writes nothing, the same on two
    // replicas; a group smuggled in as an event is refused for that event alone (groups cannot nest).
    Replica a = replica("a");
    Replica b = replica("b");
    long index = bootstrap(a, b);
    MembershipView view = a.view();
    java.util.Map<String, String> digestBefore = stateDigest(a);
    SealedRequest small = sealKv(view, clusterId, put("k", "v")).request();
    List<SealedRequest> tooMany = new ArrayList<>();
    for (int i = 0; i <= Limits.GROUP_EVENTS_MAX; i++) {
      tooMany.add(small);
    }
    SealedRequest big = small.toBuilder().setCiphertext(ByteString.copyFrom(new byte[genesis.eventBytesMax()])).build();
    List<SealedRequest> tooBig = new ArrayList<>();
    for (int i = 0; i <= Limits.GROUP_BYTES_MAX / genesis.eventBytesMax(); i++) {
      tooBig.add(big);
    }
    byte[] garbage = LogEntry.newBuilder().setLeaderTimeMs(T).setProposal(ByteString.copyFrom(new byte[] {
        (byte) 0x52, 0x05, 0x0a, 0x7f, 0x01, 0x02, 0x03})).build().toByteArray();

    record Case(String code, byte[] entry) {}
    List<Case> cases = List.of(new Case("EMPTY_GROUP", groupEntry(List.of())),
        new Case("GROUP_TOO_LARGE", groupEntry(tooMany)),
        new Case("GROUP_TOO_LARGE", groupEntry(tooBig)),
        new Case("MALFORMED_ENTRY", garbage));
    for (Case c : cases) {
      ApplyResult ra = a.apply(index, c.entry());
      assertThat(ra.getError().getCode()).as(ra.getError().getMessage()).isEqualTo(c.code());
      assertThat(b.apply(index, c.entry()).toByteArray()).isEqualTo(ra.toByteArray());
      index++;
    }
    // Every entry records its leader time (here T, after bootstrap's T0 + 1); nothing else may change.
    String leaderTime = "membership/" + Hashes.hex(Hashes.utf8("leader-time"));
    digestBefore.remove(leaderTime);
    java.util.Map<String, String> digestAfter = stateDigest(a);
    digestAfter.remove(leaderTime);
    assertThat(digestAfter).isEqualTo(digestBefore);

    // An EventGroup's bytes where a sealed request belongs: that event alone is refused, its neighbour applies.
    SealedRequest nested = SealedRequest.parseFrom(EventGroup.newBuilder().addEvents(small).build().toByteArray());
    EventSealing.ClientSealed good = sealKv(view, clusterId, put("g", "1"));
    ApplyResult mixed = a.apply(index, groupEntry(List.of(nested, good.request())));
    assertThat(mixed.getGroup().getResults(0).hasError()).isTrue();
    assertThat(kv(mixed.getGroup().getResults(1), good).getFound()).isFalse();
  }

  private static byte[] xor(byte[] a, byte[] b, int length) {
    byte[] out = new byte[length];
    for (int i = 0; i < length; i++) {
      out[i] = (byte) (a[i] ^ b[i]);
    }
    return out;
  }
}
