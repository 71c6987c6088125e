package dev.veilraft.consensus;

import static dev.veilraft.consensus.SimulatedNodes.T0;
import static dev.veilraft.consensus.SimulatedNodes.entry;
import static dev.veilraft.consensus.SimulatedNodes.event;
import static dev.veilraft.consensus.SimulatedNodes.get;
import static dev.veilraft.consensus.SimulatedNodes.open;
import static dev.veilraft.consensus.SimulatedNodes.put;
import static dev.veilraft.consensus.SimulatedNodes.seal;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.AdmitNode;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;

/** The deterministic apply path, driven entry by entry without Ratis, over real encrypted RocksDB stores. */
class ReplicaTest {
  static final AppHost APPS = new AppHost(List.of(new KvApp()));
  private static SimulatedNodes sim;
  private static AttestationVerifier verifier;
  private static GenesisDocument genesis;
  private static byte[] clusterId;
  private static Node founder;
  private static Node joiner1;
  private static Node joiner2;

  @TempDir Path dir;
  private final List<Host> hosts = new ArrayList<>();

  @BeforeAll
  static void setUp() throws Exception {
    sim = SimulatedNodes.sharedPerJvm();
    verifier = new AttestationVerifier();
    genesis = sim.genesis(g -> g);
    clusterId = genesis.clusterId();
    founder = sim.node();
    joiner1 = sim.node();
    joiner2 = sim.node();
  }

  @AfterEach
  void closeStores() {
    hosts.forEach(Host::close);
  }

  /** A replica over its own store: what one node runs. */
  private final class Host {
    final Path storeDir;
    final Node node;
    final KemKeyPair kem;
    RocksDbStateStore store;
    Replica replica;

    Host(String name, Node node, KemKeyPair kem, EpochKeyring keyring) throws Exception {
      this.storeDir = dir.resolve(name);
      this.node = node;
      this.kem = kem;
      this.store = RocksDbStateStore.open(storeDir, storageSecret(name));
      this.replica = new Replica(store, clusterId, node.id(), kem, verifier, keyring, APPS);
      hosts.add(this);
    }

    ApplyResult apply(long index, byte[] entry) {
      return replica.apply(index, entry);
    }

    /** Closes the store and opens it again with a fresh, empty keyring, as a restarted node would. */
    void restart() throws Exception {
      store.close();
      store = RocksDbStateStore.open(storeDir, storageSecret(storeDir.getFileName().toString()));
      replica = new Replica(store, clusterId, node.id(), kem, verifier, new EpochKeyring(), APPS);
    }

    MembershipView view() {
      return replica.view();
    }

    void close() {
      store.close();
    }
  }

  private static byte[] storageSecret(String name) {
    return Hashes.sha256(Hashes.utf8("storage secret/" + name));
  }

  private static byte[] fresh(String seed) {
    return Hashes.sha256(Hashes.utf8("fresh/" + seed));
  }

  private Host host(String name, Node node) throws Exception {
    return new Host(name, node, node.kem(), new EpochKeyring());
  }

  private static Proposal initProposal(Node first) {
    return Proposal.newBuilder().setInitCluster(first.init(genesis, "127.0.0.1:7000")).build();
  }

  private static Proposal keyEpoch(Host proposer, String seed) throws Exception {
    MembershipView view = proposer.view();
    EpochSecret previous = view.epoch() == 0 ? null : proposer.replica.keyring().get(view.epoch()).orElseThrow();
    return Proposal.newBuilder().setKeyEpoch(KeyEpochs.propose(view, previous, fresh(seed))).build();
  }

  private static Proposal admit(JoinRequest request) {
    return Proposal.newBuilder().setAdmitNode(AdmitNode.newBuilder().setRequest(request)).build();
  }

  /** Init and epoch 1 on a founder replica; returns the next free index. */
  private static long bootstrap(Host founderHost) throws Exception {
    assertThat(founderHost.apply(1, entry(T0, initProposal(founderHost.node))).getInit().getAccepted()).isTrue();
    assertThat(founderHost.apply(2, entry(T0 + 1, keyEpoch(founderHost, "epoch1"))).getKeyEpoch().getAccepted())
        .isTrue();
    return 3;
  }

  private static KvResponse kv(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    EventResult eventResult = open(result, sealed);
    assertThat(eventResult.getStatus()).as(eventResult.getError()).isEqualTo(EventResult.Status.OK);
    return KvResponse.parseFrom(eventResult.getResponse());
  }

  private static void assertError(ApplyResult result, String code) {
    assertThat(result.hasError()).as("%s", result).isTrue();
    assertThat(result.getError().getCode()).as(result.getError().getMessage()).isEqualTo(code);
  }

  @Test
  void bootstrapThenASealedClientEventRoundTrips() throws Exception {
    // After init and epoch 1 a client event sealed to the group key is applied and its sealed response opens for the client.
    Host f = host("founder", founder);
    ApplyResult init = f.apply(1, entry(T0, initProposal(founder)));
    assertThat(init.getInit().getAccepted()).as(init.getInit().getReason()).isTrue();
    assertThat(f.view().memberIds()).containsExactly(founder.id());
    ApplyResult epoch = f.apply(2, entry(T0 + 1, keyEpoch(f, "epoch1")));
    assertThat(epoch.getKeyEpoch().getAccepted()).as(epoch.getKeyEpoch().getReason()).isTrue();
    assertThat(f.view().epoch()).isEqualTo(1);
    assertThat(f.replica.keyring().get(1)).isPresent();
    assertThat(f.replica.appliedIndex()).isEqualTo(2);

    EventSealing.ClientSealed putKey = sealKv(f.view(), clusterId, put("colour", "blue"));
    ApplyResult putResult = f.apply(3, entry(T0 + 2, event(putKey)));
    assertThat(putResult.getSealedResponse().getLogIndex()).isEqualTo(3);
    assertThat(putResult.getSealedResponse().getEpoch()).isEqualTo(1);
    assertThat(kv(putResult, putKey).getFound()).isFalse();

    EventSealing.ClientSealed getKey = sealKv(f.view(), clusterId, get("colour"));
    KvResponse got = kv(f.apply(4, entry(T0 + 3, event(getKey))), getKey);
    assertThat(got.getFound()).isTrue();
    assertThat(got.getValue().toStringUtf8()).isEqualTo("blue");

    // Another client's response key does not open this response.
    EventSealing.ClientSealed other = sealKv(f.view(), clusterId, get("colour"));
    ApplyResult otherResult = f.apply(5, entry(T0 + 4, event(other)));
    assertThatThrownBy(() -> EventSealing.openResponse(getKey.responseKey(), otherResult.getSealedResponse()))
        .isInstanceOf(dev.veilraft.crypto.CryptoException.class);
  }

  @Test
  void eventsBeforeInitAreRefused() throws Exception {
    // Before the genesis and a key epoch exist, a client event is refused with NOT_INITIALIZED.
    Host f = host("founder", founder);
    SealedRequest request = SealedRequest.newBuilder().setClusterId(ByteString.copyFrom(clusterId)).setEpoch(1).build();
    assertError(f.apply(1, entry(T0, Proposal.newBuilder().setClientEvent(request).build())), "NOT_INITIALIZED");
    assertThat(f.apply(2, entry(T0, initProposal(founder))).getInit().getAccepted()).isTrue();
  }

  @Test
  void initIsRefusedTwiceAndForAnotherCluster() throws Exception {
    // A second InitCluster is refused, and a genesis that does not hash to this replica's cluster is never applied.
    Host f = host("founder", founder);
    GenesisDocument other = sim.genesis(g -> g.setClusterName("another"));
    Proposal foreign = Proposal.newBuilder().setInitCluster(founder.init(other, "127.0.0.1:7000")).build();
    ApplyResult refused = f.apply(1, entry(T0, foreign));
    assertThat(refused.getInit().getAccepted()).isFalse();
    assertThat(refused.getInit().getReason()).contains("not to this group's cluster");
    assertThat(f.view().initialized()).isFalse();
    assertThat(f.apply(2, entry(T0, initProposal(founder))).getInit().getAccepted()).isTrue();
    ApplyResult again = f.apply(3, entry(T0, initProposal(joiner1)));
    assertThat(again.getInit().getAccepted()).isFalse();
    assertThat(again.getInit().getReason()).contains("already initialized");
    assertThat(f.view().memberIds()).containsExactly(founder.id());
  }

  @Test
  void replicasFedTheSameLogProduceIdenticalResults() throws Exception {
    // A founder and two admitted joiners (whose keyrings got the epoch history) apply the whole log byte-identically.
    Host f = host("founder", founder);
    List<byte[]> log = new ArrayList<>();
    List<ApplyResult> founderResults = new ArrayList<>();
    long[] time = {T0};
    Function<Proposal, ApplyResult> append = proposal -> {
      byte[] bytes = entry(time[0]++, proposal);
      log.add(bytes);
      ApplyResult result = f.apply(log.size(), bytes);
      founderResults.add(result);
      return result;
    };

    append.apply(initProposal(founder));
    append.apply(keyEpoch(f, "e1"));
    EventSealing.ClientSealed first = sealKv(f.view(), clusterId, put("k1", "v1"));
    append.apply(event(first));
    EpochSecret s1 = f.replica.keyring().get(1).orElseThrow();
    assertThat(append.apply(admit(joiner1.joinThrough(founder, clusterId, "j1", time[0]))).getAdmit().getAdmitted())
        .isTrue();
    assertThat(append.apply(keyEpoch(f, "e2")).getKeyEpoch().getAccepted()).isTrue();
    EpochSecret s2 = f.replica.keyring().get(2).orElseThrow();
    EventSealing.ClientSealed second = sealKv(f.view(), clusterId, put("k2", "v2"));
    append.apply(event(second));
    // joiner2 is challenged by joiner1, an admitted member.
    assertThat(append.apply(admit(joiner2.joinThrough(joiner1, clusterId, "j2", time[0]))).getAdmit().getAdmitted())
        .isTrue();
    append.apply(admit(joiner2.joinThrough(joiner1, clusterId, "j2", time[0]))); // replayed: refused
    assertThat(append.apply(keyEpoch(f, "e3")).getKeyEpoch().getAccepted()).isTrue();
    EventSealing.ClientSealed third = sealKv(f.view(), clusterId, get("k1"));
    append.apply(event(third));
    append.apply(Proposal.getDefaultInstance()); // malformed: no body
    EventSealing.ClientSealed fourth = seal(f.view(), clusterId, "nostr", new byte[] {1});
    append.apply(event(fourth));
    SealedRequest garbled = sealKv(f.view(), clusterId, put("k3", "v3")).request().toBuilder()
        .setEncapsulatedKey(ByteString.copyFrom(new byte[32])).build();
    append.apply(Proposal.newBuilder().setClientEvent(garbled).build());
    EventSealing.ClientSealed fifth = sealKv(f.view(), clusterId, put("k1", "v1b"));
    append.apply(event(fifth));

    assertThat(f.view().memberIds()).containsExactlyInAnyOrder(founder.id(), joiner1.id(), joiner2.id());
    assertThat(f.view().epoch()).isEqualTo(3);
    assertThat(founderResults.get(7).getAdmit().getReasonCode()).isEqualTo("NONCE_REUSED");
    assertThat(kv(founderResults.get(9), third).getValue().toStringUtf8()).isEqualTo("v1");
    assertError(founderResults.get(10), "MALFORMED_ENTRY");
    assertError(founderResults.get(12), "UNDECRYPTABLE_EVENT");

    // Join histories: each joiner receives the secrets of the epochs before its admission.
    EpochKeyring history1 = new EpochKeyring();
    history1.put(EpochSecret.restore(1, s1.secretBytes()));
    EpochKeyring history2 = new EpochKeyring();
    history2.put(EpochSecret.restore(1, s1.secretBytes()));
    history2.put(EpochSecret.restore(2, s2.secretBytes()));
    Host j1 = new Host("joiner1", joiner1, joiner1.kem(), history1);
    Host j2 = new Host("joiner2", joiner2, joiner2.kem(), history2);
    for (Host joinerHost : List.of(j1, j2)) {
      for (int i = 0; i < log.size(); i++) {
        ApplyResult result = joinerHost.apply(i + 1, log.get(i));
        assertThat(result.toByteArray()).as("%s at index %d", joinerHost.storeDir.getFileName(), i + 1)
            .isEqualTo(founderResults.get(i).toByteArray());
      }
      assertThat(joinerHost.view().toSnapshot()).isEqualTo(f.view().toSnapshot());
      assertThat(joinerHost.replica.appliedIndex()).isEqualTo(log.size());
      for (long e = 1; e <= 3; e++) {
        assertThat(joinerHost.replica.keyring().get(e).orElseThrow().secretBytes())
            .isEqualTo(f.replica.keyring().get(e).orElseThrow().secretBytes());
      }
    }
  }

  @Test
  void malformedEntriesGetDeterministicErrorsAndTheReplicaGoesOn() throws Exception {
    // Garbage entries, proposals and sealed requests get MALFORMED_ENTRY or UNDECRYPTABLE_EVENT; later entries still apply.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    MembershipView view = f.view();
    SealedRequest genuine = sealKv(view, clusterId, put("a", "b")).request();
    byte[] garbageCiphertext = genuine.getCiphertext().toByteArray();
    garbageCiphertext[0] ^= 1;
    byte[][] malformedEntries = {
        {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF},
        LogEntry.newBuilder().setLeaderTimeMs(T0 + 5).setProposal(ByteString.copyFrom(new byte[] {0x0A, 0x7F})).build()
            .toByteArray(),
        entry(T0 + 5, Proposal.getDefaultInstance()),
        new byte[0],
    };
    for (byte[] malformed : malformedEntries) {
      assertError(f.apply(index++, malformed), "MALFORMED_ENTRY");
    }
    SealedRequest[] undecryptable = {
        genuine.toBuilder().setCiphertext(ByteString.copyFrom(garbageCiphertext)).build(),
        genuine.toBuilder().setEncapsulatedKey(ByteString.copyFrom(new byte[3])).build(),
        genuine.toBuilder().setEncapsulatedKey(ByteString.copyFrom(new byte[32])).build(),
        genuine.toBuilder().clearCiphertext().build(),
    };
    for (SealedRequest request : undecryptable) {
      assertError(f.apply(index++, entry(T0 + 6, Proposal.newBuilder().setClientEvent(request).build())),
          "UNDECRYPTABLE_EVENT");
    }
    // Sealed garbage that opens but is not an Event reaches the client as a sealed REJECTED result.
    EventSealing.ClientSealed notAnEvent = EventSealing.sealRequest(view.groupPublicKey(), clusterId, 1,
        new byte[] {(byte) 0xFF, 0x00});
    EventResult rejected = open(f.apply(index++, entry(T0 + 7, event(notAnEvent))), notAnEvent);
    assertThat(rejected.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(rejected.getError()).contains("not an Event");
    EventSealing.ClientSealed badKv = seal(view, clusterId, "kv", new byte[] {(byte) 0xFF});
    assertThat(open(f.apply(index++, entry(T0 + 7, event(badKv))), badKv).getStatus())
        .isEqualTo(EventResult.Status.REJECTED);

    assertThat(f.replica.appliedIndex()).isEqualTo(index - 1);
    EventSealing.ClientSealed later = sealKv(view, clusterId, put("after", "garbage"));
    kv(f.apply(index, entry(T0 + 8, event(later))), later);
    EventSealing.ClientSealed check = sealKv(view, clusterId, get("after"));
    assertThat(kv(f.apply(index + 1, entry(T0 + 9, event(check))), check).getValue().toStringUtf8()).isEqualTo("garbage");

  }

  @Test
  void requestForAnotherEpochIsRefusedNamingBothEpochs() throws Exception {
    // A request sealed to epoch 7 while the cluster is at epoch 1 is UNKNOWN_EPOCH, naming both epochs.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(f.view().groupPublicKey(), clusterId, 7,
        new byte[] {1});
    ApplyResult result = f.apply(index, entry(T0 + 5, event(sealed)));
    assertError(result, "UNKNOWN_EPOCH");
    assertThat(result.getError().getMessage()).contains("epoch 7").contains("current epoch is 1");
  }

  @Test
  void requestForAnotherClusterIsRefused() throws Exception {
    // A request sealed to another cluster id is WRONG_CLUSTER.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    byte[] otherCluster = Hashes.sha256(Hashes.utf8("another cluster"));
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(f.view().groupPublicKey(), otherCluster, 1,
        new byte[] {1});
    assertError(f.apply(index, entry(T0 + 5, event(sealed))), "WRONG_CLUSTER");
  }

  @Test
  void oversizedEventsAreRefusedByTheGenesisLimit() throws Exception {
    // A ciphertext over limits.event_bytes_max plus sealing overhead is EVENT_TOO_LARGE; an event over
    // limits.event_bytes_max that still fits is REJECTED inside its sealed result, naming the limit.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    int eventMax = genesis.eventBytesMax();
    int sealedMax = Limits.sealedRequestBytesMax(eventMax);
    SealedRequest huge = sealKv(f.view(), clusterId, put("x", "y")).request().toBuilder()
        .setCiphertext(ByteString.copyFrom(new byte[sealedMax + 1])).build();
    ApplyResult result = f.apply(index++, entry(T0 + 5, Proposal.newBuilder().setClientEvent(huge).build()));
    assertError(result, "EVENT_TOO_LARGE");
    assertThat(result.getError().getMessage()).contains(String.valueOf(sealedMax), "limits.event_bytes_max");

    EventSealing.ClientSealed big = seal(f.view(), clusterId, "kv", new byte[eventMax + 1]);
    assertThat(big.request().getCiphertext().size()).isLessThanOrEqualTo(sealedMax);
    EventResult rejected = open(f.apply(index, entry(T0 + 6, event(big))), big);
    assertThat(rejected.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(rejected.getError()).contains("EVENT_TOO_LARGE", String.valueOf(eventMax));
  }

  @Test
  void batchAppliesEachEventInOrderWithItsOwnResultWithinTheLimit() throws Exception {
    // A batch is applied in order, each event with its own result; over limits.batch_events_max it is
    // refused whole; nested batches and batches that also carry a request are refused.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    Event.Builder batch = Event.newBuilder();
    batch.addBatch(kvEvent(put("a", "1"))).addBatch(kvEvent(get("a"))).addBatch(Event.newBuilder().setApp("nope"))
        .addBatch(Event.newBuilder().addBatch(kvEvent(get("a"))));
    EventSealing.ClientSealed sealed = sealEvent(f.view(), batch.build());
    EventResult results = open(f.apply(index++, entry(T0 + 5, event(sealed))), sealed);
    assertThat(results.getStatus()).isEqualTo(EventResult.Status.OK);
    assertThat(results.getBatchResultsList()).extracting(EventResult::getStatus).containsExactly(
        EventResult.Status.OK, EventResult.Status.OK, EventResult.Status.REJECTED, EventResult.Status.REJECTED);
    assertThat(KvResponse.parseFrom(results.getBatchResults(1).getResponse()).getValue().toStringUtf8())
        .isEqualTo("1");
    assertThat(results.getBatchResults(3).getError()).contains("MALFORMED_BATCH");

    Event.Builder tooMany = Event.newBuilder();
    for (int i = 0; i <= genesis.batchEventsMax(); i++) {
      tooMany.addBatch(kvEvent(put("k" + i, "v")));
    }
    EventSealing.ClientSealed over = sealEvent(f.view(), tooMany.build());
    EventResult refused = open(f.apply(index++, entry(T0 + 6, event(over))), over);
    assertThat(refused.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(refused.getError()).contains("BATCH_TOO_LARGE", String.valueOf(genesis.batchEventsMax()));

    EventSealing.ClientSealed mixed = sealEvent(f.view(), Event.newBuilder().setApp("kv")
        .addBatch(kvEvent(get("a"))).build());
    assertThat(open(f.apply(index, entry(T0 + 7, event(mixed))), mixed).getError()).contains("MALFORMED_BATCH");
  }

  @Test
  void appListenersHearEverySuccessfulEventOnceCommittedInLogOrder() throws Exception {
    // Listeners hear each OK event of an entry (batch items included) with its request and response, after the
    // commit and in order; refused events and other entries are not told, and a throwing listener does not stop apply.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    List<AppEventListener.Committed> heard = new ArrayList<>();
    f.replica.addAppEventListener(event -> {
      assertThat(f.replica.appliedIndex()).isEqualTo(event.index());
      heard.add(event);
    });
    f.replica.addAppEventListener(event -> {
      throw new IllegalStateException("a broken listener");
    });
    EventSealing.ClientSealed single = sealEvent(f.view(), kvEvent(put("a", "1")).build());
    long first = index++;
    assertThat(open(f.apply(first, entry(T0 + 5, event(single))), single).getStatus()).isEqualTo(EventResult.Status.OK);
    Event.Builder batch = Event.newBuilder().addBatch(kvEvent(get("a"))).addBatch(Event.newBuilder().setApp("nope"))
        .addBatch(kvEvent(put("b", "2")));
    EventSealing.ClientSealed sealed = sealEvent(f.view(), batch.build());
    long second = index++;
    open(f.apply(second, entry(T0 + 6, event(sealed))), sealed);
    assertThat(heard).extracting(AppEventListener.Committed::index).containsExactly(first, second, second);
    assertThat(heard).extracting(AppEventListener.Committed::app).containsOnly("kv");
    assertThat(KvRequest.parseFrom(heard.get(2).request()).getPut().getKey().toStringUtf8()).isEqualTo("b");
    assertThat(KvResponse.parseFrom(heard.get(1).response()).getValue().toStringUtf8()).isEqualTo("1");
  }

  private static Event.Builder kvEvent(KvRequest request) {
    return Event.newBuilder().setApp("kv").setRequest(request.toByteString());
  }

  private static EventSealing.ClientSealed sealEvent(MembershipView view, Event event) throws Exception {
    return EventSealing.sealRequest(view.groupPublicKey(), clusterId, view.epoch(), event.toByteArray());
  }

  @Test
  void unknownAppIsRejectedInsideTheSealedResult() throws Exception {
    // An event for an app this cluster does not run gets a sealed REJECTED result naming the app (printable).
    Host f = host("founder", founder);
    long index = bootstrap(f);
    EventSealing.ClientSealed sealed = seal(f.view(), clusterId, "nostr", put("k", "v").toByteArray());
    EventResult result = open(f.apply(index++, entry(T0 + 5, event(sealed))), sealed);
    assertThat(result.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(result.getError()).contains("unknown app 'nostr'").contains("kv");

    EventSealing.ClientSealed control = seal(f.view(), clusterId, "evil\n\u001b[2J", new byte[0]);
    EventResult escaped = open(f.apply(index++, entry(T0 + 6, event(control))), control);
    assertThat(escaped.getStatus()).isEqualTo(EventResult.Status.REJECTED);
    assertThat(escaped.getError()).contains("unknown app").doesNotContain("\n").doesNotContain("\u001b");

    // Nothing was written for it.
    EventSealing.ClientSealed check = sealKv(f.view(), clusterId, get("k"));
    assertThat(kv(f.apply(index, entry(T0 + 7, event(check))), check).getFound()).isFalse();
  }

  @Test
  void restartResumesFromTheStoreAndSkipsAppliedEntries() throws Exception {
    // After closing and reopening the store a new Replica has the same view, applied index and epoch secrets; old indexes are skipped.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    byte[] firstPut = entry(T0 + 5, event(sealKv(f.view(), clusterId, put("k", "original"))));
    f.apply(index++, firstPut);
    long applied = f.replica.appliedIndex();
    var before = f.view().toSnapshot();

    f.restart();
    assertThat(f.replica.appliedIndex()).isEqualTo(applied);
    assertThat(f.view().toSnapshot()).isEqualTo(before);
    assertThat(f.view().lastLeaderTimeMs()).isEqualTo(T0 + 5);
    assertThat(f.replica.keyring().get(1)).isPresent();

    byte[] overwrite = entry(T0 + 6, event(sealKv(f.view(), clusterId, put("k", "overwritten"))));
    assertError(f.apply(3, overwrite), "ALREADY_APPLIED");
    assertError(f.apply(1, entry(T0, initProposal(founder))), "ALREADY_APPLIED");
    assertThat(f.replica.appliedIndex()).isEqualTo(applied);
    assertThat(f.view().toSnapshot()).isEqualTo(before);

    EventSealing.ClientSealed check = sealKv(f.view(), clusterId, get("k"));
    assertThat(kv(f.apply(index, entry(T0 + 7, event(check))), check).getValue().toStringUtf8()).isEqualTo("original");
  }

  @Test
  void leaderTimeIsMonotonicAlongTheLog() throws Exception {
    // An entry stamped earlier than its predecessor does not move the replicated leader time back.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    f.apply(index++, entry(T0 + 100_000, Proposal.getDefaultInstance()));
    f.apply(index++, entry(T0 + 50, Proposal.getDefaultInstance()));
    assertThat(f.view().lastLeaderTimeMs()).isEqualTo(T0 + 100_000);
    f.restart();
    assertThat(f.view().lastLeaderTimeMs()).isEqualTo(T0 + 100_000);
  }

  @Test
  void staleKeyEpochIsRefused() throws Exception {
    // A rotation proposed before an admission names the old members and is refused once the admission applied.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    Proposal stale = keyEpoch(f, "stale");
    assertThat(f.apply(index++, entry(T0 + 5, admit(joiner1.joinThrough(founder, clusterId, "s", T0 + 5))))
        .getAdmit().getAdmitted()).isTrue();
    ApplyResult result = f.apply(index, entry(T0 + 6, stale));
    assertThat(result.getKeyEpoch().getAccepted()).isFalse();
    assertThat(result.getKeyEpoch().getReason()).contains("stale rotation");
    assertThat(f.view().epoch()).isEqualTo(1);
    assertThat(f.replica.keyring().get(2)).isEmpty();
  }

  @Test
  void replicaThatCannotOpenItsWrapHaltsAndStaysHalted() throws Exception {
    // A member whose KEM key does not open its wrap halts instead of diverging, and applies nothing after that.
    Host f = new Host("founder", founder, KemKeyPair.generate(), new EpochKeyring());
    assertThat(f.apply(1, entry(T0, initProposal(founder))).getInit().getAccepted()).isTrue();
    Proposal epoch1 = keyEpoch(f, "unopenable");
    assertThatThrownBy(() -> f.apply(2, entry(T0 + 1, epoch1)))
        .isInstanceOf(ReplicaHaltedException.class).hasMessageContaining("wrap of epoch 1");
    assertThat(f.replica.appliedIndex()).isEqualTo(1);
    assertThat(f.view().epoch()).isZero();

    // The next entry must not be applied on state that lacks entry 2: that would diverge from the healthy replicas.
    assertThatThrownBy(() -> f.apply(3, entry(T0 + 2, Proposal.getDefaultInstance())))
        .isInstanceOf(ReplicaHaltedException.class);
    assertThat(f.replica.appliedIndex()).isEqualTo(1);
  }

  @Test
  void corruptedWrapHaltsTheMemberItIsFor() throws Exception {
    // A wrap that does not open (altered ciphertext) halts its member; the replica's state is left at the previous entry.
    Host f = host("founder", founder);
    assertThat(f.apply(1, entry(T0, initProposal(founder))).getInit().getAccepted()).isTrue();
    KeyEpoch entry = keyEpoch(f, "corrupt").getKeyEpoch();
    HpkeWrap wrap = entry.getWraps(0);
    byte[] ciphertext = wrap.getCiphertext().toByteArray();
    ciphertext[0] ^= 1;
    KeyEpoch corrupted = entry.toBuilder().setWraps(0, wrap.toBuilder().setCiphertext(ByteString.copyFrom(ciphertext)))
        .build();
    assertThatThrownBy(() -> f.apply(2, entry(T0 + 1, Proposal.newBuilder().setKeyEpoch(corrupted).build())))
        .isInstanceOf(ReplicaHaltedException.class);
    assertThat(f.replica.appliedIndex()).isEqualTo(1);
  }

  @Test
  void theLogAndTheStoreHoldNoPlaintext() throws Exception {
    // Client event proposals carry only ciphertext, and the plaintext key and value appear in no file of the store.
    Host f = host("founder", founder);
    long index = bootstrap(f);
    String key = "plaintext-key-7f3a9c";
    String value = "plaintext-value-91bc4e-confidential";
    List<byte[]> entries = new ArrayList<>();
    entries.add(entry(T0 + 5, event(sealKv(f.view(), clusterId, put(key, value)))));
    entries.add(entry(T0 + 6, event(sealKv(f.view(), clusterId, get(key)))));
    List<ApplyResult> results = new ArrayList<>();
    for (byte[] bytes : entries) {
      assertThat(contains(bytes, Hashes.utf8(key))).isFalse();
      assertThat(contains(bytes, Hashes.utf8(value))).isFalse();
      results.add(f.apply(index++, bytes));
    }
    for (ApplyResult result : results) {
      assertThat(contains(result.toByteArray(), Hashes.utf8(value))).isFalse();
    }
    f.close();
    try (Stream<Path> files = Files.walk(f.storeDir)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        byte[] content = Files.readAllBytes(file);
        assertThat(contains(content, Hashes.utf8(key))).as("%s holds the key", file).isFalse();
        assertThat(contains(content, Hashes.utf8(value))).as("%s holds the value", file).isFalse();
      }
    }
  }

  private static boolean contains(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
