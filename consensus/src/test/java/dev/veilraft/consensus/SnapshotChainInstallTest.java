package dev.veilraft.consensus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.SnapshotException.Reason;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.proto.Event;
import dev.veilraft.crypto.proto.EventResult;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.EpochChain;
import dev.veilraft.membership.EpochKeyring;
import dev.veilraft.membership.GenesisDocument;
import dev.veilraft.membership.KeyEpochs;
import dev.veilraft.membership.MembershipStore;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateDirectory;
import dev.veilraft.state.StateStore;
import dev.veilraft.state.StateTransaction;
import dev.veilraft.state.app.AppHost;
import dev.veilraft.state.kv.KvApp;
import dev.veilraft.state.proto.KvRequest;
import dev.veilraft.state.proto.KvResponse;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that missed key rotations installs a later snapshot through the epoch chain in its
 * header, keeps only the secrets it still needs, and refuses every forged chain with its reason
 * while its old state stays in place.
 */
class SnapshotChainInstallTest {
  private static final AppHost APPS = new AppHost(List.of(new KvApp()));
  private static final String A = "aa000000000000000000000000000001";
  private static final String B = "bb000000000000000000000000000002";
  private static final String C = "cc000000000000000000000000000003";
  private static final long SNAPSHOT_INDEX = 8;
  private static final long RECEIVER_INDEX = 4;
  private static final Map<String, KemKeyPair> KEMS = new TreeMap<>();
  private static GenesisDocument genesis;
  private static byte[] clusterId;
  /** Members per epoch: C is removed before epoch 4. */
  private static final List<List<String>> MEMBERS = List.of(List.of(A), List.of(A, B, C), List.of(A, B, C),
      List.of(A, B));
  private static final List<EpochSecret> SECRETS = new ArrayList<>();
  private static final List<KeyEpoch> ENTRIES = new ArrayList<>();

  @TempDir Path dir;
  private final List<StateStore> open = new ArrayList<>();

  @BeforeAll
  static void fourEpochs() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    genesis = GenesisDocument.create(Genesis.newBuilder().setClusterName("chain-install").setJoinWindowMs(60_000)
        .setMembersMax(9).setGovernanceThreshold(1)
        .addOperators(Operator.newBuilder().setName("op1").setNodesMax(9)
            .setPublicKeySpki(ByteString.copyFrom(ec.generateKeyPair().getPublic().getEncoded())))
        .setPolicy(Policy.newBuilder().setName("p").addAllowedMeasurements(ByteString.copyFrom(new byte[48])))
        .build());
    clusterId = genesis.clusterId();
    for (String id : List.of(A, B, C)) {
      KEMS.put(id, KemKeyPair.generate());
    }
    EpochSecret previous = null;
    for (int e = 1; e <= MEMBERS.size(); e++) {
      MembershipView view = viewAt(e - 1, MEMBERS.get(e - 1));
      byte[] fresh = Hashes.sha256(Hashes.utf8("fresh " + e));
      ENTRIES.add(KeyEpochs.propose(view, previous, fresh));
      previous = KeyEpochs.derive(view, previous, e, fresh);
      SECRETS.add(previous);
    }
  }

  private final List<Replica> replicas = new ArrayList<>();

  @AfterEach
  void close() {
    open.forEach(StateStore::close);
    replicas.forEach(r -> r.store().close());
  }

  /** A view with {@code members} at {@code epoch} (0: before the first). */
  private static MembershipView viewAt(long epoch, List<String> members) {
    MembershipView view = MembershipView.empty().withGenesis(genesis);
    for (String id : members) {
      view = view.withMember(MemberRecord.newBuilder().setNodeId(id)
          .setKemPublicKey(ByteString.copyFrom(KEMS.get(id).publicKey())).build());
    }
    if (epoch == 0) {
      return view;
    }
    EpochSecret s = secret(epoch);
    return view.withEpoch(epoch, s.groupPublicKey(), s.keyId(), epoch);
  }

  private static EpochSecret secret(long epoch) {
    return SECRETS.get((int) epoch - 1);
  }

  private static byte[] storageSecret(String name) {
    return Hashes.sha256(Hashes.utf8("storage " + name));
  }

  /**
   * Writes the state a member of epoch {@code epoch} has at {@code index}: the view, the chain
   * links of epochs 1..epoch (as applyKeyEpoch records them), a kv record, and {@code held} as
   * this node's secrets.
   */
  private static void writeState(StateStore store, long epoch, long index, List<EpochSecret> held) throws Exception {
    StateTransaction tx = store.begin();
    for (int e = 1; e <= epoch; e++) {
      EpochChain.record(tx, viewAt(e - 1, MEMBERS.get(e - 1)), ENTRIES.get(e - 1));
    }
    MembershipStore.save(tx, viewAt(epoch, MEMBERS.get((int) epoch - 1)), true);
    tx.put("app/kv", Hashes.utf8("written-in-epoch-" + epoch), Hashes.utf8("value"));
    for (EpochSecret s : held) {
      tx.put(Replica.SECRETS_NAMESPACE, Hashes.u64(s.epoch()), s.secretBytes());
    }
    tx.commit(index);
  }

  /** The leader's snapshot of epoch 4 at index 8, with the chain of epochs 1..4 in its header. */
  private Path leaderSnapshot() throws Exception {
    RocksDbStateStore leader = RocksDbStateStore.open(dir.resolve("leader"), storageSecret("leader"));
    open.add(leader);
    writeState(leader, 4, SNAPSHOT_INDEX, List.of(secret(4)));
    List<EpochLink> chain = EpochChain.chainEndingAt(leader, 4, SnapshotFile.chainLinksMax);
    assertThat(chain).extracting(EpochLink::getEpoch).containsExactly(1L, 2L, 3L, 4L);
    Path file = dir.resolve("snapshot.3_8");
    try (SnapshotFile.Writer writer = SnapshotFile.create(file, clusterId, secret(4), 3, SNAPSHOT_INDEX, chain)) {
      leader.exportRecords(writer);
      writer.finish();
    }
    return file;
  }

  /** A replica of {@code node} that stopped at index 4 in epoch 2, holding {@code held}. */
  private Replica receiver(String name, String node, List<EpochSecret> held) throws Exception {
    StateDirectory directory = new StateDirectory(dir.resolve(name + "/state"), storageSecret(name));
    RocksDbStateStore store = directory.open();
    writeState(store, 2, RECEIVER_INDEX, held);
    EpochKeyring keyring = new EpochKeyring();
    held.forEach(keyring::put);
    Replica replica = new Replica(store, directory, clusterId, node, KEMS.get(node), null, keyring, APPS);
    replicas.add(replica);
    return replica;
  }

  private static long[] nodeSecretEpochs(StateStore store) throws Exception {
    return store.scan(Replica.SECRETS_NAMESPACE, null, null, 100).stream()
        .mapToLong(r -> ByteBuffer.wrap(r.key()).getLong()).toArray();
  }

  @Test
  void aMemberThatMissedRotationsInstallsThroughTheChainAndAppliesTheNextEvent() throws Exception {
    // Proves B, down since epoch 2, derives S_3 and S_4 from the header chain, installs the epoch-4
    // snapshot, keeps the intermediate secrets it was asked to keep (in the keyring and its new
    // store), erases them later, and opens the next client event sealed to epoch 4.
    Path file = leaderSnapshot();
    Replica b = receiver("b", B, List.of(secret(2)));
    List<Long> heard = new ArrayList<>();
    b.keyring().addRetentionListener(heard::add);

    SnapshotFile.Stats stats = b.installSnapshotFile(SNAPSHOT_INDEX, file, 2);
    assertThat(stats.header().chain()).hasSize(4);
    assertThat(b.appliedIndex()).isEqualTo(SNAPSHOT_INDEX);
    assertThat(b.view().epoch()).isEqualTo(4);
    assertThat(b.store().get("app/kv", Hashes.utf8("written-in-epoch-4"))).isPresent();
    assertThat(b.keyring().all()).extracting(EpochSecret::epoch).containsExactly(2L, 3L, 4L);
    assertThat(b.keyring().get(4).orElseThrow().keyId()).isEqualTo(secret(4).keyId());
    assertThat(nodeSecretEpochs(b.store())).containsExactly(2, 3, 4);
    assertThat(heard).containsExactly(2L);

    assertThat(b.eraseSecretsBefore(4)).containsExactly(2L, 3L);
    assertThat(b.keyring().all()).extracting(EpochSecret::epoch).containsExactly(4L);
    assertThat(nodeSecretEpochs(b.store())).containsExactly(4);
    assertThat(heard).containsExactly(2L, 4L);
    assertThatThrownBy(() -> b.eraseSecretsBefore(5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("current epoch");

    KvRequest put = KvRequest.newBuilder().setPut(KvRequest.Put.newBuilder()
        .setKey(ByteString.copyFromUtf8("after")).setValue(ByteString.copyFromUtf8("install"))).build();
    Event event = Event.newBuilder().setApp(KvApp.NAME).setRequest(put.toByteString()).build();
    EventSealing.ClientSealed sealed = EventSealing.sealRequest(secret(4).groupPublicKey(), clusterId, 4,
        event.toByteArray());
    ApplyResult result = b.apply(SNAPSHOT_INDEX + 1, SimulatedNodes.entry(1_000,
        Proposal.newBuilder().setClientEvent(sealed.request()).build()));
    assertThat(result.hasSealedResponse()).as("%s", result).isTrue();
    EventResult opened = EventResult.parseFrom(EventSealing.openResponse(sealed.responseKey(),
        result.getSealedResponse()));
    assertThat(opened.getStatus()).as(opened.getError()).isEqualTo(EventResult.Status.OK);
    KvResponse.parseFrom(opened.getResponse());
  }

  @Test
  void installKeepsOnlySecretsFromTheRetentionEpochAndAMemberAtTheEpochNeedsNoWalk() throws Exception {
    // Proves a receiver asked to keep secrets from the snapshot's epoch never writes older ones to
    // its new store, and one that already holds S_4 installs without deriving anything.
    Path file = leaderSnapshot();
    Replica b = receiver("b", B, List.of(secret(2)));
    b.installSnapshotFile(SNAPSHOT_INDEX, file, 4);
    assertThat(b.keyring().all()).extracting(EpochSecret::epoch).containsExactly(4L);
    assertThat(nodeSecretEpochs(b.store())).containsExactly(4);

    Replica a = receiver("a", A, List.of(secret(2), secret(4)));
    assertThat(a.installSnapshotFile(SNAPSHOT_INDEX, file, 4)).isNotNull();
    assertThat(nodeSecretEpochs(a.store())).containsExactly(4);
    assertThat(a.installSnapshotFile(SNAPSHOT_INDEX, file, 4)).as("not ahead: ignored").isNull();
    assertThatThrownBy(() -> receiver("x", B, List.of(secret(2))).installSnapshotFile(SNAPSHOT_INDEX, file, 5))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..4");
  }

  /** {@code file} with its header chain replaced by {@code chain}. */
  private Path withChain(Path file, List<EpochLink> chain, String name) throws Exception {
    byte[] good = Files.readAllBytes(file);
    int header = SnapshotFileTest.headerBytes(good);
    ByteArrayOutputStream links = new ByteArrayOutputStream();
    for (EpochLink link : chain) {
      links.writeBytes(ByteBuffer.allocate(4).putInt(link.getSerializedSize()).array());
      links.writeBytes(link.toByteArray());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] fixed = Arrays.copyOf(good, SnapshotFile.HEADER_FIXED_BYTES);
    ByteBuffer.wrap(fixed).putInt(SnapshotFile.HEADER_FIXED_BYTES - 4, links.size());
    out.writeBytes(fixed);
    out.writeBytes(links.toByteArray());
    out.write(good, header, good.length - header);
    Path forged = dir.resolve(name);
    Files.write(forged, out.toByteArray());
    return forged;
  }

  private void assertRefused(Replica replica, Path file, Reason reason) {
    List<Long> held = replica.keyring().all().stream().map(EpochSecret::epoch).toList();
    assertThatThrownBy(() -> replica.installSnapshotFile(SNAPSHOT_INDEX, file, 1))
        .isInstanceOf(SnapshotException.class).hasMessageContaining(reason.name()).hasMessageContaining(file.toString())
        .satisfies(e -> assertThat(((SnapshotException) e).reason()).isEqualTo(reason));
    assertThat(replica.appliedIndex()).isEqualTo(RECEIVER_INDEX);
    assertThat(replica.view().epoch()).isEqualTo(2);
    assertThat(replica.keyring().all()).as("nothing derived from a refused chain is kept")
        .extracting(EpochSecret::epoch).containsExactlyElementsOf(held);
  }

  @Test
  void everyForgedChainIsRefusedWithItsReasonAndTheOldStateStays() throws Exception {
    // Proves a forged wrap, a forged key id, a dropped link, reordered links, a removed member's
    // missing wrap and a chain that starts after the node's newest secret are each refused with a
    // specific reason before anything is imported.
    Path file = leaderSnapshot();
    Header chain = new Header(SnapshotFile.readHeader(file).chain());
    Replica b = receiver("b", B, List.of(secret(2)));

    EpochLink link3 = chain.links.get(2);
    HpkeWrap.Builder garbled = link3.getWrapsList().stream().filter(w -> w.getNodeId().equals(B)).findFirst()
        .orElseThrow().toBuilder();
    byte[] ciphertext = garbled.getCiphertext().toByteArray();
    ciphertext[3] ^= 1;
    garbled.setCiphertext(ByteString.copyFrom(ciphertext));
    EpochLink.Builder forgedWrap = link3.toBuilder().clearWraps();
    link3.getWrapsList().forEach(w -> forgedWrap.addWraps(w.getNodeId().equals(B) ? garbled.build() : w));
    assertRefused(b, withChain(file, chain.with(2, forgedWrap.build()), "forged-wrap"), Reason.WRAP_NOT_OPENABLE);

    EpochLink forgedKeyId = chain.links.get(3).toBuilder().setKeyId(ByteString.copyFrom(new byte[16])).build();
    assertRefused(b, withChain(file, chain.with(3, forgedKeyId), "forged-key-id"), Reason.KEY_ID_MISMATCH);

    List<EpochLink> dropped = new ArrayList<>(chain.links);
    dropped.remove(2);
    assertRefused(b, withChain(file, dropped, "dropped"), Reason.CHAIN_GAP);

    List<EpochLink> reordered = new ArrayList<>(chain.links);
    reordered.set(2, chain.links.get(3));
    reordered.set(3, chain.links.get(2));
    assertRefused(b, withChain(file, reordered, "reordered"), Reason.CHAIN_OUT_OF_ORDER);

    assertRefused(b, withChain(file, chain.links.subList(3, 4), "starts-late"), Reason.NO_EPOCH_SECRET);

    Replica c = receiver("c", C, List.of(secret(2), secret(3)));
    assertRefused(c, file, Reason.NOT_IN_EPOCH);
    assertThatThrownBy(() -> c.installSnapshotFile(SNAPSHOT_INDEX, file, 1))
        .hasMessageContaining("epoch 4 holds no wrap for node " + C);

    Replica stranger = receiver("s", B, List.of());
    assertRefused(stranger, file, Reason.NOT_IN_EPOCH);
    assertRefused(stranger, withChain(file, List.of(), "no-chain"), Reason.NO_EPOCH_SECRET);

    // The untouched file still installs on the same receiver afterwards.
    assertThat(b.installSnapshotFile(SNAPSHOT_INDEX, file, 1)).isNotNull();
    assertThat(b.view().epoch()).isEqualTo(4);
  }

  /** The links of a header, with one replaced. */
  private record Header(List<EpochLink> links) {
    List<EpochLink> with(int position, EpochLink link) {
      List<EpochLink> copy = new ArrayList<>(links);
      copy.set(position, link);
      return copy;
    }
  }
}
