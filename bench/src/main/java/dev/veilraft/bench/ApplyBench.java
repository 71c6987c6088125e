package dev.veilraft.bench;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.Answer;
import dev.veilraft.consensus.Replica;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.node.LocalCluster;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.kv.KvRequests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one replica pays to apply a client event: {@link Replica#apply} of a log entry holding an
 * HPKE-sealed kv put, on a real encrypted RocksDB store (open the request with the group key,
 * run the kv app, seal the response, commit the transaction with its state-digest update), alone
 * or as one of a sealed batch of {@value #SMALL_BATCH} puts of {@code size} bytes in one entry, or
 * of {@value #LARGE_BATCH} puts of {@value #LARGE_BATCH_VALUE_BYTES} bytes (whatever {@code size}
 * says: 64 larger values would pass limits.event_bytes_max); batches report the cost per put, as
 * does a node-side group of {@value #GROUP} session-sealed puts in one entry.
 * The founder's replica of a simulated one-member cluster, epoch 1. These events carry no client id,
 * so no exactly-once session record is written; {@code applySealedPutWithSession} applies puts as
 * the SDK sends them (a client id, increasing sequences, each acknowledging the one before), which
 * adds the session bookkeeping. Setup checks that every kind of entry is applied and answered OK,
 * so no number measures a refusal.
 * Run: {@code java -jar bench/target/benchmarks.jar ApplyBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ApplyBench {
  static final int SMALL_BATCH = 8;
  static final int LARGE_BATCH = 64;
  static final int LARGE_BATCH_VALUE_BYTES = 256;
  /** Session-sealed puts per grouped entry (node-side grouping: one EventGroup, each put its own request). */
  static final int GROUP = 16;
  /** Distinct grouped entries applied round-robin. */
  private static final int GROUP_POOL = 128;
  /** Distinct sealed entries applied round-robin (their keys repeat, so the store stays small). */
  private static final int POOL = 512;
  private static final int KEYS = 10_000;

  @Param({"256", "4096"})
  public int size;

  private Path dir;
  private RocksDbStateStore store;
  private Replica replica;
  private final List<byte[]> singles = new ArrayList<>();
  /** The same puts sealed in one client session: the replica's session cache hits after the first. */
  private final List<byte[]> sessionSingles = new ArrayList<>();
  private dev.veilraft.crypto.seal.ClientSession session;
  private final List<byte[]> smallBatches = new ArrayList<>();
  private final List<byte[]> largeBatches = new ArrayList<>();
  private final List<byte[]> sessionGroups = new ArrayList<>();
  private long index;
  private int next;
  private long leaderTime;
  private byte[] clusterId;

  @Setup
  public void setUp() throws Exception {
    dir = Files.createTempDirectory("veilraft-apply-bench");
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    SimulatedSnpChip chip = SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor);
    byte[] measurement = Hashes.sha384(Hashes.utf8("veilraft apply bench"));
    OperatorKey operator = OperatorKey.generate();
    GenesisDocument genesis = LocalCluster.signedGenesis(LocalCluster.simulatedGenesisBuilder("bench", "bench", vendor,
        List.of(measurement)).addOperators(LocalCluster.operator(LocalCluster.LOCAL_OPERATOR, operator, 9))
        .setGovernanceThreshold(1).setRules(MembershipRules.newBuilder().setDiversity(DiversityAction.DIVERSITY_OFF))
        .build(), Map.of(LocalCluster.LOCAL_OPERATOR, operator));
    clusterId = genesis.clusterId();
    NodeIdentity identity = NodeIdentity.generate(Instant.now().minus(1, ChronoUnit.DAYS));
    KemKeyPair kem = KemKeyPair.generate();
    SimulatedSnpAttester attester = SimulatedSnpAttester.create(chip, measurement);
    MemberRecord founder = MemberRecord.newBuilder()
        .setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
        .setKemPublicKey(ByteString.copyFrom(kem.publicKey()))
        .setEvidence(attester.attest(ReportData.bind(clusterId, identity.spki(), kem.publicKey())))
        .setRaftAddress("127.0.0.1:7000").setApiAddress("127.0.0.1:8000")
        .setEndorsement(Endorsements.sign(operator, LocalCluster.LOCAL_OPERATOR, clusterId, identity.spki())).build();
    store = RocksDbStateStore.open(dir.resolve("state"), Hashes.sha256(Hashes.utf8("apply bench storage secret")));
    replica = new Replica(store, clusterId, identity.nodeId(), kem, new AttestationVerifier(), new EpochKeyring(),
        new AppHost(List.of(new KvApp())));
    leaderTime = System.currentTimeMillis();
    InitCluster init = InitCluster.newBuilder().setGenesis(ByteString.copyFrom(genesis.genesisBytes()))
        .addAllGenesisSignatures(genesis.signatures()).setFounder(founder).build();
    require(replica.apply(++index, entry(Proposal.newBuilder().setInitCluster(init).build())).getInit().getAccepted(),
        "InitCluster refused");
    byte[] fresh = new byte[32];
    new Random(1).nextBytes(fresh);
    MembershipView view = replica.view();
    require(replica.apply(++index, entry(Proposal.newBuilder().setKeyEpoch(KeyEpochs.propose(view, null, fresh)).build()))
        .getKeyEpoch().getAccepted(), "KeyEpoch refused");
    view = replica.view();
    byte[] value = new byte[size];
    new Random(size).nextBytes(value);
    byte[] smallValue = java.util.Arrays.copyOf(value, LARGE_BATCH_VALUE_BYTES);
    Random keys = new Random(2);
    session = dev.veilraft.crypto.seal.ClientSession.start(view.groupPublicKey(), clusterId, view.epoch());
    for (int i = 0; i < POOL; i++) {
      int key = keys.nextInt(KEYS);
      singles.add(sealedEntry(view, clusterId, put(key, value)).entry());
      sessionSingles.add(sessionEntry(put(key, value)).entry());
      smallBatches.add(sealedEntry(view, clusterId, batch(keys, SMALL_BATCH, value)).entry());
      largeBatches.add(sealedEntry(view, clusterId, batch(keys, LARGE_BATCH, smallValue)).entry());
    }
    for (int g = 0; g < GROUP_POOL; g++) {
      sessionGroups.add(sessionGroup(keys, value).entry());
    }
    probeGroup(keys, value);
    probe(view, clusterId, put(keys.nextInt(KEYS), value), 0);
    probe(sessionEntry(put(keys.nextInt(KEYS), value)), 0);
    probe(view, clusterId, batch(keys, SMALL_BATCH, value), SMALL_BATCH);
    probe(view, clusterId, batch(keys, LARGE_BATCH, smallValue), LARGE_BATCH);
  }

  private static Event batch(Random keys, int count, byte[] value) {
    Event.Builder batch = Event.newBuilder();
    for (int j = 0; j < count; j++) {
      batch.addBatch(put(keys.nextInt(KEYS), value));
    }
    return batch.build();
  }

  /** Applies one sealed entry and checks that its response opens and every put in it was OK. */
  private void probe(MembershipView view, byte[] clusterId, Event event, int batchSize) throws Exception {
    probe(sealedEntry(view, clusterId, event), batchSize);
  }

  private void probe(Sealed sealed, int batchSize) throws Exception {
    ApplyResult result = replica.apply(++index, sealed.entry());
    require(result.hasSealedResponse(), "a sealed entry was not applied: " + result);
    EventResult opened = EventResult.parseFrom(EventSealing.openResponse(sealed.client().responseKey(),
        result.getSealedResponse()));
    require(opened.getStatus() == EventResult.Status.OK && opened.getBatchResultsCount() == batchSize
        && opened.getBatchResultsList().stream().allMatch(r -> r.getStatus() == EventResult.Status.OK),
        "a sealed entry of " + Math.max(1, batchSize) + " puts was refused: " + opened);
  }

  private record SealedGroup(List<EventSealing.ClientSealed> clients, byte[] entry) {}

  /** {@value #GROUP} session-sealed puts in one EventGroup entry, as a node groups concurrent requests. */
  private SealedGroup sessionGroup(Random keys, byte[] value) throws Exception {
    List<EventSealing.ClientSealed> clients = new ArrayList<>();
    EventGroup.Builder group = EventGroup.newBuilder();
    for (int j = 0; j < GROUP; j++) {
      EventSealing.ClientSealed sealed = session.sealEvent(put(keys.nextInt(KEYS), value).toByteArray());
      clients.add(sealed);
      group.addEvents(sealed.request());
    }
    return new SealedGroup(clients, entry(Proposal.newBuilder().setClientEventGroup(group).build()));
  }

  /** Applies one grouped entry and checks that every put in it was answered OK at its own position. */
  private void probeGroup(Random keys, byte[] value) throws Exception {
    SealedGroup sealed = sessionGroup(keys, value);
    ApplyResult result = replica.apply(++index, sealed.entry());
    require(result.hasGroup() && result.getGroup().getResultsCount() == GROUP, "a grouped entry was not applied: "
        + result);
    for (int j = 0; j < GROUP; j++) {
      EventResult opened = EventResult.parseFrom(EventSealing.openResponse(sealed.clients().get(j).responseKey(),
          result.getGroup().getResults(j).getSealedResponse()));
      require(opened.getStatus() == EventResult.Status.OK, "put " + j + " of a grouped entry was refused: " + opened);
    }
  }

  private static Event put(int key, byte[] value) {
    return Event.newBuilder().setApp(KvApp.NAME)
        .setRequest(KvRequests.put(Hashes.utf8("key-" + key), value).toByteString()).build();
  }

  private record Sealed(EventSealing.ClientSealed client, byte[] entry) {}

  private Sealed sealedEntry(MembershipView view, byte[] clusterId, Event event) throws Exception {
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(view.groupPublicKey(), clusterId, view.epoch(),
        event.toByteArray());
    return new Sealed(sealed, entry(Proposal.newBuilder().setClientEvent(sealed.request()).build()));
  }

  private Sealed sessionEntry(Event event) throws Exception {
    EventSealing.ClientSealed sealed = session.sealEvent(event.toByteArray());
    return new Sealed(sealed, entry(Proposal.newBuilder().setClientEvent(sealed.request()).build()));
  }

  private byte[] entry(Proposal proposal) {
    return LogEntry.newBuilder().setLeaderTimeMs(leaderTime).setProposal(proposal.toByteString()).build().toByteArray();
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  /**
   * Puts of one fresh client per iteration, sealed ahead (sealing is not measured): sequence i
   * acknowledges every sequence before it, as the SDK does with one request in flight.
   */
  @State(Scope.Benchmark)
  public static class SessionPuts {
    /** More than an iteration of one second can apply. */
    static final int POOL = 20_000;
    final List<byte[]> entries = new ArrayList<>(POOL);
    int next;

    @Setup(org.openjdk.jmh.annotations.Level.Iteration)
    public void seal(ApplyBench bench) throws Exception {
      entries.clear();
      next = 0;
      byte[] clientId = new byte[16];
      new java.security.SecureRandom().nextBytes(clientId);
      MembershipView view = bench.replica.view();
      byte[] value = new byte[bench.size];
      Random keys = new Random(3);
      for (int i = 1; i <= POOL; i++) {
        Event event = put(keys.nextInt(KEYS), value).toBuilder().setClientId(ByteString.copyFrom(clientId))
            .setSequence(i).setAcknowledged(i).build();
        entries.add(bench.sealedEntry(view, bench.clusterId, event).entry());
      }
    }
  }

  /**
   * Grouped entries of {@value ApplyBench#GROUP} session-sealed puts of one pipelining client, as
   * the node groups an SDK's requests in flight: a client id, increasing sequences, each
   * acknowledging all but the last {@value #IN_FLIGHT} before it, so in the steady state every
   * event adds one result to the client's session and forgets one (the exactly-once admission).
   */
  @State(Scope.Benchmark)
  public static class ExactlyOnceGroups {
    /** More groups than an iteration of one second applies. */
    static final int POOL = 4_000;
    /** Requests the client keeps unacknowledged. */
    static final int IN_FLIGHT = 64;
    final List<byte[]> entries = new ArrayList<>(POOL);
    final List<List<EventSealing.ClientSealed>> clients = new ArrayList<>(POOL);
    int next;

    /** The next group of this iteration, each applied once (a retry would be answered, not applied). */
    byte[] nextEntry() {
      if (next == entries.size()) {
        throw new IllegalStateException("more than " + POOL + " groups in one iteration: raise ExactlyOnceGroups.POOL");
      }
      return entries.get(next++);
    }

    @Setup(org.openjdk.jmh.annotations.Level.Iteration)
    public void seal(ApplyBench bench) throws Exception {
      entries.clear();
      clients.clear();
      next = 0;
      byte[] clientId = new byte[16];
      new java.security.SecureRandom().nextBytes(clientId);
      byte[] value = new byte[bench.size];
      Random keys = new Random(4);
      long sequence = 0;
      for (int g = 0; g < POOL; g++) {
        EventGroup.Builder group = EventGroup.newBuilder();
        List<EventSealing.ClientSealed> sealed = new ArrayList<>(GROUP);
        for (int j = 0; j < GROUP; j++) {
          sequence++;
          Event event = put(keys.nextInt(KEYS), value).toBuilder().setClientId(ByteString.copyFrom(clientId))
              .setSequence(sequence).setAcknowledged(Math.max(1, sequence - IN_FLIGHT)).build();
          EventSealing.ClientSealed one = bench.session.sealEvent(event.toByteArray());
          sealed.add(one);
          group.addEvents(one.request());
        }
        entries.add(bench.entry(Proposal.newBuilder().setClientEventGroup(group).build()));
        clients.add(sealed);
      }
      // The first group of every iteration is checked: each put admitted and applied, none refused.
      ApplyResult first = bench.replica.apply(++bench.index, entries.get(next));
      for (int j = 0; j < GROUP; j++) {
        EventResult opened = EventResult.parseFrom(EventSealing.openResponse(clients.get(next).get(j).responseKey(),
            first.getGroup().getResults(j).getSealedResponse()));
        require(opened.getStatus() == EventResult.Status.OK, "exactly-once put " + j + " was refused: " + opened);
      }
      next++;
    }
  }

  /**
   * {@link #applySessionGroupOf16PerPut} with exactly-once sessions: a pipelining client's puts,
   * each admitted against its session and recorded, one forgotten per put; per put.
   */
  @Benchmark
  @OperationsPerInvocation(GROUP)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 3, time = 1)
  public ApplyResult applyExactlyOnceGroupOf16PerPut(ExactlyOnceGroups groups) {
    return replica.apply(++index, groups.nextEntry());
  }

  /**
   * {@link #applyExactlyOnceGroupOf16PerPut} as a follower applies it: through {@code
   * Replica.answer}, whose answers nobody reads, so no response key is derived and nothing sealed.
   */
  @Benchmark
  @OperationsPerInvocation(GROUP)
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 3, time = 1)
  public Answer followerApplyExactlyOnceGroupOf16PerPut(ExactlyOnceGroups groups) {
    return replica.answer(++index, groups.nextEntry());
  }

  @Benchmark
  @Warmup(iterations = 2, time = 1)
  @Measurement(iterations = 3, time = 1)
  public ApplyResult applySealedPutWithSession(SessionPuts puts) {
    if (puts.next == puts.entries.size()) {
      throw new IllegalStateException("more than " + SessionPuts.POOL + " puts in one iteration: raise SessionPuts.POOL");
    }
    return replica.apply(++index, puts.entries.get(puts.next++));
  }

  @Benchmark
  public ApplyResult applySealedPut() {
    return replica.apply(++index, singles.get(next++ % POOL));
  }

  /** {@link #applySealedPut} in the session form: AES-GCM-SIV and a cache hit instead of an HPKE open. */
  @Benchmark
  public ApplyResult applySessionSealedPut() {
    return replica.apply(++index, sessionSingles.get(next++ % POOL));
  }

  /**
   * {@link #applySessionSealedPut} with {@value #GROUP} such puts grouped into one entry by the node
   * (each still its own request, answer and nonce), per put: what one transaction and one commit
   * per entry instead of per put saves.
   */
  @Benchmark
  @OperationsPerInvocation(GROUP)
  public ApplyResult applySessionGroupOf16PerPut() {
    return replica.apply(++index, sessionGroups.get(next++ % GROUP_POOL));
  }

  @Benchmark
  @OperationsPerInvocation(SMALL_BATCH)
  public ApplyResult applySealedBatchOf8PerPut() {
    return replica.apply(++index, smallBatches.get(next++ % POOL));
  }

  @Benchmark
  @OperationsPerInvocation(LARGE_BATCH)
  public ApplyResult applySealedBatchOf64x256PerPut() {
    return replica.apply(++index, largeBatches.get(next++ % POOL));
  }

  @TearDown
  public void tearDown() throws Exception {
    store.close();
    try (var files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }
}
