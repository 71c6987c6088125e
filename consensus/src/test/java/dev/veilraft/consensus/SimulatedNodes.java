package dev.veilraft.consensus;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.Challenges;
import dev.veilraft.membership.Endorsements;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.OperatorKey;
import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.MembershipRules;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import dev.veilraft.membership.GenesisException;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.state.proto.KvRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.UnaryOperator;

/**
 * Test fixture: a simulated TEE vendor and chip, a genesis that admits simulated members with
 * {@link #MEASUREMENT} (as the node module's LocalCluster builds it), nodes that produce real
 * simulated evidence, and helpers to build log entries and client events.
 */
public final class SimulatedNodes {
  public static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft test: approved code"));
  public static final long JOIN_WINDOW_MS = 60_000;
  /** Leader time of the founding entry; every certificate in play is valid then. */
  public static final long T0 = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
  static final Instant CERTS_NOT_BEFORE = Instant.parse("2029-01-01T00:00:00Z");

  /** The one operator of test clusters; its key is generated once per test JVM, never derived from a seed. */
  public static final String OPERATOR = "test-operator";
  public static final OperatorKey OPERATOR_KEY = OperatorKey.generate();

  public final SimulatedSnpVendor vendor;
  public final SimulatedSnpChip chip;
  private final Path dir;
  private final java.util.concurrent.atomic.AtomicInteger chips = new java.util.concurrent.atomic.AtomicInteger();

  private SimulatedNodes(SimulatedSnpVendor vendor, SimulatedSnpChip chip, Path dir) {
    this.vendor = vendor;
    this.chip = chip;
    this.dir = dir;
  }

  /** Creates the vendor (RSA-4096 keys, about a second) and one chip under {@code dir}. */
  public static SimulatedNodes create(Path dir) throws IOException {
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    return new SimulatedNodes(vendor, SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor), dir);
  }

  /** Guarded by SimulatedNodes.class. */
  private static SimulatedNodes perJvm;

  /**
   * One vendor and chip for every test class of this JVM that asks (surefire runs a module's classes
   * in one JVM), so the RSA-4096 vendor keys, which take seconds on a loaded machine, are made once.
   * They live in a temporary directory removed when the JVM exits. For tests that only need a
   * cluster to exist, not a vendor of their own.
   */
  public static synchronized SimulatedNodes sharedPerJvm() throws IOException {
    if (perJvm == null) {
      Path dir = java.nio.file.Files.createTempDirectory("veilraft-simulated-nodes");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try (var paths = java.nio.file.Files.walk(dir)) {
          paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
          // A temporary directory left behind is harmless.
        }
      }));
      perJvm = create(dir);
    }
    return perJvm;
  }

  /** A further chip of this vendor: every node runs on its own (the rules refuse two members on one chip). */
  public SimulatedSnpChip newChip() {
    try {
      return SimulatedSnpChip.openOrCreate(dir.resolve("chip-" + chips.incrementAndGet()), vendor);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  public GenesisDocument genesis(UnaryOperator<Genesis.Builder> change) {
    Policy policy = Policy.newBuilder().setName("test-policy").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)).build();
    Genesis.Builder genesis = Genesis.newBuilder().setClusterName("test-cluster").setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(9)
        .addOperators(Operator.newBuilder().setName(OPERATOR).setNodesMax(9)
            .setPublicKeySpki(ByteString.copyFrom(OPERATOR_KEY.publicKeySpki())))
        .setGovernanceThreshold(1)
        // One operator runs every member: the diversity rule is off.
        .setRules(MembershipRules.newBuilder().setDiversity(DiversityAction.DIVERSITY_OFF))
        .setSimulatedRootCert(ByteString.copyFrom(vendor.arkDer()));
    try {
      return GenesisDocument.create(change.apply(genesis).build()).sign(OPERATOR, OPERATOR_KEY);
    } catch (GenesisException e) {
      throw new IllegalStateException("test genesis is invalid: " + e.getMessage(), e);
    }
  }

  public Node node() {
    return node(CERTS_NOT_BEFORE);
  }

  /** A node whose identity certificate starts at {@code notBefore} (TLS tests pass the real time). */
  public Node node(Instant notBefore) {
    return new Node(NodeIdentity.generate(notBefore), KemKeyPair.generate(),
        SimulatedSnpAttester.create(newChip(), MEASUREMENT));
  }

  /** A node: identity key, KEM key and a simulated TEE. */
  public record Node(NodeIdentity identity, KemKeyPair kem, SimulatedSnpAttester attester) {
    public String id() {
      return identity.nodeId();
    }

    public Evidence evidence(byte[] nonce) {
      try {
        return attester.attest(ReportData.bind(nonce, identity.spki(), kem.publicKey()));
      } catch (AttestationException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The founder's InitCluster entry: evidence bound to the cluster id. */
    public InitCluster init(GenesisDocument genesis, String raftAddress) {
      MemberRecord founder = MemberRecord.newBuilder()
          .setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
          .setKemPublicKey(ByteString.copyFrom(kem.publicKey()))
          .setEvidence(evidence(genesis.clusterId()))
          .setRaftAddress(raftAddress).setApiAddress("127.0.0.1:8000")
          .setEndorsement(endorsement(genesis.clusterId())).build();
      return InitCluster.newBuilder().setGenesis(ByteString.copyFrom(genesis.genesisBytes()))
          .addAllGenesisSignatures(genesis.signatures()).setFounder(founder).build();
    }

    /** {@link #OPERATOR}'s endorsement of this node. */
    public OperatorEndorsement endorsement(byte[] clusterId) {
      return Endorsements.sign(OPERATOR_KEY, OPERATOR, clusterId, identity.spki());
    }

    /** Joins through {@code member}: hello, the member's challenge, and evidence bound to the member's nonce. */
    public JoinRequest joinThrough(Node member, byte[] clusterId, String seed, long issuedAtMs) {
      byte[] joinerNonce = Hashes.sha256(Hashes.utf8("joiner nonce/" + seed));
      byte[] memberNonce = Hashes.sha256(Hashes.utf8("member nonce/" + seed));
      JoinHello hello = JoinHello.newBuilder().setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
          .setKemPublicKey(ByteString.copyFrom(kem.publicKey())).setNonce(ByteString.copyFrom(joinerNonce))
          .setClusterId(ByteString.copyFrom(clusterId)).build();
      Challenge challenge = Challenges.create(member.identity(), member.kem().publicKey(), member.evidence(joinerNonce),
          clusterId, memberNonce, issuedAtMs, hello, identity.spki());
      return JoinRequest.newBuilder().setHello(hello).setChallenge(challenge).setEvidence(evidence(memberNonce))
          .setEndorsement(endorsement(clusterId))
          .setRaftAddress("127.0.0.1:7001").setApiAddress("127.0.0.1:8001").build();
    }
  }

  public static byte[] entry(long leaderTimeMs, Proposal proposal) {
    return LogEntry.newBuilder().setLeaderTimeMs(leaderTimeMs).setProposal(proposal.toByteString()).build().toByteArray();
  }

  public static Proposal event(EventSealing.ClientSealed sealed) {
    return Proposal.newBuilder().setClientEvent(sealed.request()).build();
  }

  /** A client sealing an event for {@code app} to the view's current group key. */
  public static EventSealing.ClientSealed seal(MembershipView view, byte[] clusterId, String app, byte[] request)
      throws CryptoException {
    Event event = Event.newBuilder().setApp(app).setRequest(ByteString.copyFrom(request)).build();
    return EventSealing.sealRequest(view.groupPublicKey(), clusterId, view.epoch(), event.toByteArray());
  }

  public static EventSealing.ClientSealed sealKv(MembershipView view, byte[] clusterId, KvRequest request)
      throws CryptoException {
    return seal(view, clusterId, "kv", request.toByteArray());
  }

  /** The client opening the sealed response to its own request. */
  public static EventResult open(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    if (!result.hasSealedResponse()) {
      throw new AssertionError("expected a sealed response, got " + result);
    }
    return EventResult.parseFrom(EventSealing.openResponse(sealed.responseKey(), result.getSealedResponse()));
  }

  /** The client opening the sealed answer to its own query (AES-GCM-SIV, unlike an event's). */
  public static EventResult openQuery(ApplyResult result, EventSealing.ClientSealed sealed) throws Exception {
    if (!result.hasSealedResponse()) {
      throw new AssertionError("expected a sealed response, got " + result);
    }
    return EventResult.parseFrom(dev.veilraft.crypto.seal.QueryResponseSealing.open(sealed.responseKey(),
        result.getSealedResponse()));
  }

  public static KvRequest put(String key, String value) {
    return KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder().setKey(utf8(key)).setValue(utf8(value))).build();
  }

  public static KvRequest get(String key) {
    return KvRequest.newBuilder().setGet(KvRequest.Get.newBuilder().setKey(utf8(key))).build();
  }

  public static ByteString utf8(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
