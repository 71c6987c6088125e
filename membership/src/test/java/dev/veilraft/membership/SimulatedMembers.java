package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.NodeIdentity;
import dev.veilraft.crypto.attestation.AttestationException;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.attestation.SimulatedSnpAttester;
import dev.veilraft.crypto.attestation.SimulatedSnpChip;
import dev.veilraft.crypto.attestation.SimulatedSnpVendor;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.Challenge;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.JoinHello;
import dev.veilraft.membership.proto.JoinRequest;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.OperatorEndorsement;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.function.UnaryOperator;

/**
 * Test fixture: a simulated TEE vendor and chip, a genesis whose policy admits simulated members
 * with {@link #MEASUREMENT} (as the node module's LocalCluster builds it), and nodes that produce
 * real simulated evidence.
 */
final class SimulatedMembers {
  static final byte[] MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft test: approved code"));
  static final byte[] OTHER_MEASUREMENT = Hashes.sha384(Hashes.utf8("veilraft test: altered code"));
  static final long JOIN_WINDOW_MS = 60_000;
  /** Leader time of the founding entry; every certificate in play is valid then. */
  static final long T0 = Instant.parse("2030-01-01T00:00:00Z").toEpochMilli();
  static final Instant CERTS_NOT_BEFORE = Instant.parse("2029-01-01T00:00:00Z");
  /** The one operator of the fixture genesis; it may run every member (nodes_max 9), threshold 1, diversity off. */
  static final String OPERATOR = "test-operator";
  /** Generated once per test JVM: operator keys are never derived from a seed, even in tests. */
  static final OperatorKey OPERATOR_KEY = OperatorKey.generate();

  final SimulatedSnpVendor vendor;
  final SimulatedSnpChip chip;
  private final Path dir;
  /** Chips made so far; seeds of the membership simulation run on several threads. */
  private final java.util.concurrent.atomic.AtomicInteger chips = new java.util.concurrent.atomic.AtomicInteger();

  private SimulatedMembers(SimulatedSnpVendor vendor, SimulatedSnpChip chip, Path dir) {
    this.vendor = vendor;
    this.chip = chip;
    this.dir = dir;
  }

  /** Creates the vendor (RSA-4096 keys, about a second) and one chip under {@code dir}. */
  static SimulatedMembers create(Path dir) throws IOException {
    SimulatedSnpVendor vendor = SimulatedSnpVendor.openOrCreate(dir.resolve("vendor"));
    return new SimulatedMembers(vendor, SimulatedSnpChip.openOrCreate(dir.resolve("chip"), vendor), dir);
  }

  /** The genesis LocalCluster builds: simulated allowed under this vendor's root, {@link #MEASUREMENT} allowed. */
  Genesis.Builder genesisBuilder() {
    Policy policy = Policy.newBuilder().setName("test-policy").setAllowSimulated(true)
        .setSimulatedRootSha256(ByteString.copyFrom(vendor.arkSha256()))
        .addAllowedMeasurements(ByteString.copyFrom(MEASUREMENT)).build();
    return Genesis.newBuilder().setClusterName("test-cluster").setPolicy(policy)
        .setJoinWindowMs(JOIN_WINDOW_MS).setMembersMax(9)
        .addOperators(Operator.newBuilder().setName(OPERATOR).setNodesMax(9)
            .setPublicKeySpki(ByteString.copyFrom(OPERATOR_KEY.publicKeySpki())))
        .setGovernanceThreshold(1)
        // One operator runs every member, as in LocalCluster: the diversity rule is off.
        .setRules(dev.veilraft.membership.proto.MembershipRules.newBuilder()
            .setDiversity(dev.veilraft.membership.proto.DiversityAction.DIVERSITY_OFF))
        .setSimulatedRootCert(ByteString.copyFrom(vendor.arkDer()));
  }

  /** {@link #OPERATOR}'s endorsement of {@code node} in cluster {@code clusterId}. */
  static OperatorEndorsement endorsement(Node node, byte[] clusterId) {
    return Endorsements.sign(OPERATOR_KEY, OPERATOR, clusterId, node.identity().spki());
  }

  GenesisDocument genesis(UnaryOperator<Genesis.Builder> change) {
    try {
      return GenesisDocument.create(change.apply(genesisBuilder()).build());
    } catch (GenesisException e) {
      throw new IllegalStateException("test genesis is invalid: " + e.getMessage(), e);
    }
  }

  /** A node on a chip of its own: the rules refuse two members on one platform instance. */
  Node node() {
    return node(SimulatedSnpAttester.create(newChip(), MEASUREMENT));
  }

  /** A further simulated chip of this vendor (its own chip id). */
  SimulatedSnpChip newChip() {
    try {
      return SimulatedSnpChip.openOrCreate(dir.resolve("chip-" + chips.incrementAndGet()), vendor);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Pre-made chips and node keys, shared by every cast of this vendor (see {@link #pooledChip}). */
  private final java.util.List<SimulatedSnpChip> chipPool = new java.util.ArrayList<>();
  private final java.util.List<Keys> keyPool = new java.util.ArrayList<>();

  /** A node's identity and KEM keys. */
  record Keys(NodeIdentity identity, KemKeyPair kem) {}

  /**
   * The {@code index}-th chip of a pool: distinct indexes are distinct chips. A cast (one scenario
   * file, one seed of the membership simulation) takes chips 0, 1, 2, ..., so its nodes' chips
   * differ as fresh ones would, while later casts reuse them instead of paying an RSA-4096
   * signature (the vendor's VCEK certificate) per chip. Casts never share state through a chip.
   */
  synchronized SimulatedSnpChip pooledChip(int index) {
    while (chipPool.size() <= index) {
      chipPool.add(newChip());
    }
    return chipPool.get(index);
  }

  /** The {@code index}-th identity and KEM key pair of a pool, reused across casts as {@link #pooledChip} is. */
  synchronized Keys pooledKeys(int index) {
    while (keyPool.size() <= index) {
      keyPool.add(new Keys(NodeIdentity.generate(CERTS_NOT_BEFORE), KemKeyPair.generate()));
    }
    return keyPool.get(index);
  }

  Node node(SimulatedSnpAttester attester) {
    return new Node(NodeIdentity.generate(CERTS_NOT_BEFORE), KemKeyPair.generate(), attester);
  }

  /** A node: identity key, KEM key and a simulated TEE. */
  record Node(NodeIdentity identity, KemKeyPair kem, SimulatedSnpAttester attester) {
    String id() {
      return identity.nodeId();
    }

    /** Evidence bound to {@code nonce} and this node's own keys. */
    Evidence evidence(byte[] nonce) {
      return evidenceBoundTo(nonce, identity.spki(), kem.publicKey());
    }

    Evidence evidenceBoundTo(byte[] nonce, byte[] spki, byte[] kemPublicKey) {
      try {
        return attester.attest(ReportData.bind(nonce, spki, kemPublicKey));
      } catch (AttestationException e) {
        throw new IllegalStateException(e);
      }
    }

    JoinHello hello(byte[] clusterId, byte[] nonce) {
      return JoinHello.newBuilder().setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
          .setKemPublicKey(ByteString.copyFrom(kem.publicKey())).setNonce(ByteString.copyFrom(nonce))
          .setClusterId(ByteString.copyFrom(clusterId)).build();
    }

    /** Member side of join step 2: a challenge answering {@code hello}. */
    Challenge challenge(byte[] clusterId, byte[] memberNonce, long issuedAtMs, JoinHello hello, byte[] joinerSpki) {
      return Challenges.create(identity, kem.publicKey(), evidence(hello.getNonce().toByteArray()), clusterId,
          memberNonce, issuedAtMs, hello, joinerSpki);
    }

    /** The founder's InitCluster entry: evidence bound to the cluster id, endorsed by {@link #OPERATOR}. */
    InitCluster init(GenesisDocument genesis) {
      MemberRecord founder = MemberRecord.newBuilder()
          .setIdentityCert(ByteString.copyFrom(identity.certificateDer()))
          .setKemPublicKey(ByteString.copyFrom(kem.publicKey()))
          .setEvidence(evidence(genesis.clusterId()))
          .setRaftAddress("127.0.0.1:7000").setApiAddress("127.0.0.1:8000")
          .setEndorsement(endorsement(this, genesis.clusterId())).build();
      GenesisDocument signed = genesis;
      if (genesis.signatures().isEmpty()) {
        try {
          signed = genesis.sign(OPERATOR, OPERATOR_KEY);
        } catch (GenesisException e) {
          throw new IllegalStateException("cannot sign the test genesis: " + e.getMessage(), e);
        }
      }
      return InitCluster.newBuilder().setGenesis(ByteString.copyFrom(genesis.genesisBytes()))
          .addAllGenesisSignatures(signed.signatures()).setFounder(founder).build();
    }
  }

  /** A complete, valid join request from {@code joiner} through {@code member}, endorsed by {@link #OPERATOR}. */
  static JoinRequest joinRequest(Node joiner, Node member, byte[] clusterId, byte[] joinerNonce, byte[] memberNonce,
      long issuedAtMs) {
    JoinHello hello = joiner.hello(clusterId, joinerNonce);
    Challenge challenge = member.challenge(clusterId, memberNonce, issuedAtMs, hello, joiner.identity().spki());
    return JoinRequest.newBuilder().setHello(hello).setChallenge(challenge)
        .setEvidence(joiner.evidence(memberNonce))
        .setRaftAddress("127.0.0.1:7001").setApiAddress("localhost:8001")
        .setEndorsement(endorsement(joiner, clusterId)).build();
  }

  /** 32 bytes that differ for every {@code seed}: nonces without randomness, so failures replay. */
  static byte[] nonce(String seed) {
    return Hashes.sha256(Hashes.utf8("nonce/" + seed));
  }
}
