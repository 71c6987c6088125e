package dev.veilraft.consensus;

import static dev.veilraft.consensus.SimulatedNodes.T0;
import static dev.veilraft.consensus.SimulatedNodes.entry;
import static dev.veilraft.consensus.SimulatedNodes.put;
import static dev.veilraft.consensus.SimulatedNodes.sealKv;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.veilraft.consensus.SimulatedNodes.Node;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.EventGroup;
import dev.veilraft.consensus.proto.LogEntry;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationVerifier;
import dev.veilraft.crypto.proto.SealedRequest;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.proto.InitCluster;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol gate at the top of apply: entries this build cannot apply faithfully halt the replica, and only those. */
class ProtocolGateTest {
  @TempDir static Path shared;
  private static SimulatedNodes sim;
  private static Node founder;

  @TempDir Path dir;
  private RocksDbStateStore store;
  private Replica replica;

  @BeforeAll
  static void setUp() throws Exception {
    sim = SimulatedNodes.create(shared);
    founder = sim.node();
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  /** A founder replica whose build applies up to {@code buildMax}, with the cluster founded on {@code genesis}. */
  private GenesisDocument found(int genesisVersion, long buildMax) throws Exception {
    GenesisDocument genesis = sim.genesis(g -> g.setProtocolVersion(genesisVersion));
    store = RocksDbStateStore.open(dir.resolve("store"), Hashes.sha256(Hashes.utf8("storage")));
    replica = new Replica(store, null, genesis.clusterId(), founder.id(), founder.kem(), new AttestationVerifier(),
        new EpochKeyring(), new AppHost(List.of(new KvApp())), buildMax);
    InitCluster init = founder.init(genesis, "127.0.0.1:7000");
    init = init.toBuilder().setFounder(init.getFounder().toBuilder().setProtocolVersionMax(genesisVersion)).build();
    ApplyResult founded = replica.apply(1, entry(T0, Proposal.newBuilder().setInitCluster(init).build()));
    assertThat(founded.getInit().getAccepted()).as(founded.getInit().getReason()).isTrue();
    return genesis;
  }

  private Proposal nextEpoch() throws Exception {
    return Proposal.newBuilder().setKeyEpoch(KeyEpochs.propose(replica.view(), null,
        Hashes.sha256(Hashes.utf8("fresh 1")))).build();
  }

  private static UnknownFieldSet unknownField(int number) {
    return UnknownFieldSet.newBuilder().addField(number,
        UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build();
  }

  /** Asserts the replica halted at {@code index} with a message containing {@code parts}, persisting nothing. */
  private void assertHalts(long index, byte[] entry, String... parts) {
    long before = replica.appliedIndex();
    ReplicaHaltedException halted = catchThrowableOfType(() -> replica.apply(index, entry),
        ReplicaHaltedException.class);
    assertThat(halted).as("entry %s must halt the replica", index).isNotNull();
    assertThat(halted.getMessage()).contains(parts);
    assertThat(replica.appliedIndex()).as("nothing of the entry is persisted").isEqualTo(before);
    assertThat(replica.halted()).hasValueSatisfying(reason -> assertThat(reason).contains(parts));
    assertThat(replica.query(new byte[0]).getError().getCode()).as("a halted replica answers no reads")
        .isEqualTo("HALTED");
  }

  @Test
  void anActiveVersionAboveTheBuildHaltsAtTheNextEntry() throws Exception {
    // Proves a build below the genesis version applies the InitCluster (a version-1 rule) and halts at the next entry, naming both versions.
    found(2, 1);
    assertThat(replica.view().protocolVersion()).isEqualTo(2);
    assertHalts(2, entry(T0 + 1, nextEpoch()), "entry 2 needs protocol version 2, this build applies up to 1: "
        + "upgrade this node");
    assertThat(replica.view().epoch()).isZero();
  }

  @Test
  void aBuildThatAppliesTheActiveVersionGoesOn() throws Exception {
    // Proves the same entries apply normally on a build that supports the genesis version.
    found(2, 2);
    ApplyResult epoch = replica.apply(2, entry(T0 + 1, nextEpoch()));
    assertThat(epoch.getKeyEpoch().getAccepted()).as(epoch.getKeyEpoch().getReason()).isTrue();
    assertThat(replica.halted()).isEmpty();
  }

  @Test
  void aBuildRestartedOverStateAboveItsVersionHaltsAtOnce() throws Exception {
    // Proves a node rolled back to an older build over a store at a newer version answers no reads even before the next entry.
    GenesisDocument genesis = found(2, 2);
    store.close();
    store = RocksDbStateStore.open(dir.resolve("store"), Hashes.sha256(Hashes.utf8("storage")));
    replica = new Replica(store, null, genesis.clusterId(), founder.id(), founder.kem(), new AttestationVerifier(),
        new EpochKeyring(), new AppHost(List.of(new KvApp())), 1);
    assertThat(replica.halted()).hasValueSatisfying(reason -> assertThat(reason)
        .contains("its stored state is at protocol version 2, this build applies up to 1: upgrade this node"));
    assertThat(replica.query(new byte[0]).getError().getCode()).isEqualTo("HALTED");
    assertThat(replica.appliedIndex()).isEqualTo(1);
  }

  @Test
  void anUnknownFieldInANestedMessageHalts() throws Exception {
    // Proves an unknown field deep inside the proposal (a KeyEpoch's wrap) halts before anything is written, and names where.
    found(0, 1);
    KeyEpoch epoch = nextEpoch().getKeyEpoch();
    KeyEpoch altered = epoch.toBuilder().setWraps(0, epoch.getWraps(0).toBuilder().setUnknownFields(unknownField(99)))
        .build();
    assertHalts(2, entry(T0 + 1, Proposal.newBuilder().setKeyEpoch(altered).build()),
        "proposal.key_epoch.wraps[0] has unknown field number(s) [99]", "upgrade this node");
  }

  @Test
  void anUnknownOneofCaseHalts() throws Exception {
    // Proves a body case this build does not know (a new Proposal oneof member) halts rather than being refused as MALFORMED_ENTRY.
    found(0, 1);
    Proposal unknownBody = Proposal.newBuilder().setUnknownFields(unknownField(40)).build();
    assertHalts(2, entry(T0 + 1, unknownBody), "proposal has unknown field number(s) [40]");
  }

  @Test
  void anUnknownLogEntryFieldHalts() throws Exception {
    // Proves the leader-made LogEntry is checked too.
    found(0, 1);
    byte[] entry = LogEntry.parseFrom(entry(T0 + 1, nextEpoch())).toBuilder().setUnknownFields(unknownField(7))
        .build().toByteArray();
    assertHalts(2, entry, "log_entry has unknown field number(s) [7]");
  }

  @Test
  void repliedCallIdsAreKnownAndChangeNothingApplied() throws Exception {
    // Proves the leader's replied call ids (LogEntry field 3) are structure this build knows: an entry carrying
    // them applies, with the same answer and applied index as without them, and no halt.
    found(0, 1);
    byte[] plain = entry(T0 + 1, nextEpoch());
    byte[] withIds = LogEntry.parseFrom(plain).toBuilder().addRepliedCallIds(41).addRepliedCallIds(42).build()
        .toByteArray();
    assertThat(replica.apply(2, withIds).getKeyEpoch().getAccepted()).isTrue();
    assertThat(replica.halted()).isEmpty();
    assertThat(replica.appliedIndex()).isEqualTo(2);
  }

  @Test
  void anUnknownEnumValueHalts() throws Exception {
    // Proves an enum number this build does not know (proto3 keeps it as a number) counts as unknown structure.
    found(0, 1);
    Proposal init = Proposal.newBuilder().setInitCluster(InitCluster.newBuilder().setFounder(
        dev.veilraft.membership.proto.MemberRecord.newBuilder().setRoleValue(9))).build();
    assertHalts(2, entry(T0 + 1, init), "proposal.init_cluster.founder.role has unknown enum value 9");
  }

  @Test
  void malformedAndClientBytesStayDeterministicRefusals() throws Exception {
    // Proves bytes that do not parse (an entry, a proposal: each named in the refusal, the same words on every
    // replica), and garbage inside a client's opaque ciphertext, are still refused per entry without a halt.
    found(0, 1);
    assertThat(replica.apply(2, entry(T0 + 1, nextEpoch())).getKeyEpoch().getAccepted()).isTrue();
    byte[] truncated = LogEntry.newBuilder().setLeaderTimeMs(T0 + 2)
        .setProposal(ByteString.copyFrom(new byte[] {0x0A, 0x7F})).build().toByteArray();
    ApplyResult cut = replica.apply(3, truncated);
    assertThat(cut.getError().getCode()).isEqualTo("MALFORMED_ENTRY");
    assertThat(cut.getError().getMessage()).startsWith("proposal is not a Proposal protobuf: ");
    assertThat(replica.apply(4, new byte[] {(byte) 0xFF}).getError().getMessage())
        .startsWith("log entry is not a LogEntry protobuf: ");
    SealedRequest sealed = sealKv(replica.view(), replica.clusterId(), put("k", "v")).request();
    byte[] ciphertext = sealed.getCiphertext().toByteArray();
    ciphertext[ciphertext.length - 1] ^= 1;
    Proposal garbled = Proposal.newBuilder().setClientEvent(sealed.toBuilder()
        .setCiphertext(ByteString.copyFrom(ciphertext))).build();
    assertThat(replica.apply(5, entry(T0 + 3, garbled)).getError().getCode()).isEqualTo("UNDECRYPTABLE_EVENT");
    assertThat(replica.halted()).isEmpty();
    assertThat(replica.appliedIndex()).isEqualTo(5);
  }

  @Test
  void theLeadersCheckNamesUnknownStructureInAProposal() {
    // Proves the check the leader runs before a proposal enters the log finds a client's unknown SealedRequest field and passes known ones.
    SealedRequest withUnknown = SealedRequest.newBuilder().setEpoch(1).setUnknownFields(unknownField(6)).build();
    assertThat(ProtocolGate.unknownStructure(Proposal.newBuilder().setClientEvent(withUnknown).build().toByteArray()))
        .hasValue("proposal.client_event has unknown field number(s) [6]");
    assertThat(ProtocolGate.unknownStructure(Proposal.newBuilder().setClientEvent(
        SealedRequest.newBuilder().setEpoch(1)).build().toByteArray()))
        .isEmpty();
    assertThat(ProtocolGate.unknownStructure(new byte[] {(byte) 0xFF})).as("left to apply's MALFORMED_ENTRY").isEmpty();
  }

  @Test
  void unknownStructureInAnyElementOfARepeatedFieldIsFound() {
    // Proves the check looks into every element of a repeated message field, not only the first: an unknown field in
    // any event of a group is found, and the same group without it passes.
    SealedRequest known = SealedRequest.newBuilder().setEpoch(1).build();
    for (int position = 0; position < 3; position++) {
      EventGroup.Builder group = EventGroup.newBuilder();
      for (int i = 0; i < 3; i++) {
        group.addEvents(i == position ? known.toBuilder().setUnknownFields(unknownField(6)).build() : known);
      }
      assertThat(ProtocolGate.unknownStructure(Proposal.newBuilder().setClientEventGroup(group).build().toByteArray()))
          .hasValue("proposal.client_event_group.events[" + position + "] has unknown field number(s) [6]");
    }
    EventGroup plain = EventGroup.newBuilder().addEvents(known).addEvents(known).addEvents(known).build();
    assertThat(ProtocolGate.unknownStructure(Proposal.newBuilder().setClientEventGroup(plain).build().toByteArray()))
        .isEmpty();
  }
}
