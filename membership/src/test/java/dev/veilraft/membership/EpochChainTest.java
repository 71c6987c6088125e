package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.EpochChain.ChainException;
import dev.veilraft.membership.EpochChain.Refusal;
import dev.veilraft.membership.proto.EpochLink;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.state.RocksDbStateStore;
import dev.veilraft.state.StateTransaction;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The epoch chain walk: a member that missed rotations derives forward from the newest secret it
 * holds, and every forgery a host could make of the chain (wrap, key id, group key, dropped or
 * reordered links, a removed member's missing wrap) is refused with its own reason.
 */
class EpochChainTest {
  private static final String A = "aa000000000000000000000000000001";
  private static final String B = "bb000000000000000000000000000002";
  private static final String C = "cc000000000000000000000000000003";
  private static final Map<String, KemKeyPair> KEMS = new TreeMap<>();
  private static GenesisDocument genesis;
  private static byte[] clusterId;
  /** The links of epochs 1..4: members {A}, {A, B}, {A, B, C}, then {A, B} after C's removal. */
  private static final List<EpochLink> CHAIN = new ArrayList<>();
  /** The proposer's secrets of epochs 1..4 (index 0 is epoch 1). */
  private static final List<EpochSecret> SECRETS = new ArrayList<>();

  @TempDir Path dir;

  @BeforeAll
  static void buildFourEpochs() throws Exception {
    KeyPairGenerator ec = KeyPairGenerator.getInstance("EC");
    ec.initialize(new ECGenParameterSpec("secp256r1"));
    genesis = GenesisDocument.create(Genesis.newBuilder().setClusterName("chain").setJoinWindowMs(60_000)
        .setMembersMax(9).setGovernanceThreshold(1)
        .addOperators(Operator.newBuilder().setName("op1").setNodesMax(9)
            .setPublicKeySpki(ByteString.copyFrom(ec.generateKeyPair().getPublic().getEncoded())))
        .setPolicy(Policy.newBuilder().setName("p").addAllowedMeasurements(ByteString.copyFrom(new byte[48])))
        .build());
    clusterId = genesis.clusterId();
    for (String id : List.of(A, B, C)) {
      KEMS.put(id, KemKeyPair.generate());
    }
    List<List<String>> members = List.of(List.of(A), List.of(A, B), List.of(A, B, C), List.of(A, B));
    EpochSecret previous = null;
    for (int i = 0; i < members.size(); i++) {
      MembershipView view = viewOf(members.get(i)).withEpoch(i, new byte[32], new byte[16], i);
      byte[] fresh = Hashes.sha256(Hashes.utf8("fresh " + (i + 1)));
      KeyEpoch entry = KeyEpochs.propose(view, previous, fresh);
      previous = KeyEpochs.derive(view, previous, i + 1, fresh);
      SECRETS.add(previous);
      CHAIN.add(EpochChain.link(view, entry));
    }
  }

  private static MembershipView viewOf(List<String> ids) {
    MembershipView view = MembershipView.empty().withGenesis(genesis);
    for (String id : ids) {
      view = view.withMember(MemberRecord.newBuilder().setNodeId(id)
          .setKemPublicKey(ByteString.copyFrom(KEMS.get(id).publicKey())).build());
    }
    return view;
  }

  private static EpochKeyring holding(EpochSecret... secrets) {
    EpochKeyring keyring = new EpochKeyring();
    for (EpochSecret s : secrets) {
      keyring.put(s);
    }
    return keyring;
  }

  private static EpochChain.Walk walk(List<EpochLink> chain, long target, EpochKeyring held, String node)
      throws ChainException {
    return EpochChain.walk(chain, target, held, clusterId, node, KEMS.get(node));
  }

  private static void assertRefused(List<EpochLink> chain, long target, EpochKeyring held, String node,
      Refusal refusal) {
    assertThatThrownBy(() -> walk(chain, target, held, node)).isInstanceOf(ChainException.class)
        .hasMessageContaining(refusal.name())
        .satisfies(e -> assertThat(((ChainException) e).refusal()).isEqualTo(refusal));
  }

  private static EpochSecret secret(int epoch) {
    return SECRETS.get(epoch - 1);
  }

  /** CHAIN with link {@code epoch} replaced. */
  private static List<EpochLink> replaced(int epoch, EpochLink link) {
    List<EpochLink> chain = new ArrayList<>(CHAIN);
    chain.set(epoch - 1, link);
    return chain;
  }

  private static EpochLink withWrap(EpochLink link, String node, HpkeWrap wrap) {
    EpochLink.Builder b = link.toBuilder().clearWraps();
    for (HpkeWrap w : link.getWrapsList()) {
      b.addWraps(w.getNodeId().equals(node) ? wrap : w);
    }
    return b.build();
  }

  @Test
  void aMemberThatMissedRotationsDerivesForwardToTheTargetEpoch() throws Exception {
    // Proves B, holding only S_2, derives S_3 and S_4 through the links, equal to the proposer's
    // secrets: the links' hashes reproduce exactly what KeyEpochs.derive put into each secret.
    EpochChain.Walk walk = walk(CHAIN, 4, holding(secret(2)), B);
    assertThat(walk.fromEpoch()).isEqualTo(2);
    assertThat(walk.derived()).extracting(EpochSecret::epoch).containsExactly(3L, 4L);
    assertThat(walk.derived().get(0).keyId()).isEqualTo(secret(3).keyId());
    assertThat(walk.target().secretBytes()).isEqualTo(secret(4).secretBytes());
    // Only the part of the chain after the held secret is needed.
    assertThat(walk(CHAIN.subList(2, 4), 4, holding(secret(2)), B).target().keyId()).isEqualTo(secret(4).keyId());
    // The founder can start from nothing: epoch 1 derives from an all-zero salt.
    assertThat(walk(CHAIN, 4, new EpochKeyring(), A).derived()).hasSize(4);
    // Secrets newer than the target are ignored; the walk starts at or below it.
    assertThat(walk(CHAIN.subList(0, 3), 3, holding(secret(2), secret(4)), B).derived())
        .extracting(EpochSecret::epoch).containsExactly(3L);
  }

  @Test
  void aMemberHoldingTheTargetSecretOnlyChecksItAgainstTheChain() throws Exception {
    // Proves a node that already holds S_target derives nothing, and that its own secret must match the chain.
    EpochChain.Walk walk = walk(CHAIN, 4, holding(secret(4)), B);
    assertThat(walk.derived()).isEmpty();
    assertThat(walk.target()).isSameAs(secret(4));
    assertThat(walk(List.of(), 4, holding(secret(4)), B).target()).isSameAs(secret(4));
    assertRefused(CHAIN.subList(0, 2), 2, holding(EpochSecret.restore(2, Hashes.sha256(Hashes.utf8("not S_2")))), B,
        Refusal.KEY_ID_MISMATCH);
  }

  @Test
  void aForgedWrapIsRefused() throws Exception {
    // Proves a wrap that does not open is WRAP_NOT_OPENABLE, and a well-formed wrap of a fresh value
    // the host chose (B's KEM key is public) derives a secret that misses the key id.
    HpkeWrap mine = CHAIN.get(2).getWrapsList().stream().filter(w -> w.getNodeId().equals(B)).findFirst().orElseThrow();
    byte[] garbled = mine.getCiphertext().toByteArray();
    garbled[0] ^= 1;
    assertRefused(replaced(3, withWrap(CHAIN.get(2), B, mine.toBuilder().setCiphertext(ByteString.copyFrom(garbled))
        .build())), 4, holding(secret(2)), B, Refusal.WRAP_NOT_OPENABLE);

    HpkeWrap hostChosen = EventSealing.wrap(B, KEMS.get(B).publicKey(), KeyEpochs.wrapInfo(clusterId, 3),
        Hashes.sha256(Hashes.utf8("host's fresh value")));
    assertRefused(replaced(3, withWrap(CHAIN.get(2), B, hostChosen)), 4, holding(secret(2)), B,
        Refusal.KEY_ID_MISMATCH);

    HpkeWrap shortFresh = EventSealing.wrap(B, KEMS.get(B).publicKey(), KeyEpochs.wrapInfo(clusterId, 3), new byte[5]);
    assertRefused(replaced(3, withWrap(CHAIN.get(2), B, shortFresh)), 4, holding(secret(2)), B,
        Refusal.WRAP_NOT_OPENABLE);
    // A's wrap moved into B's place does not open with B's key.
    HpkeWrap ofA = CHAIN.get(2).getWraps(0).toBuilder().setNodeId(B).build();
    assertRefused(replaced(3, withWrap(CHAIN.get(2), B, ofA)), 4, holding(secret(2)), B, Refusal.WRAP_NOT_OPENABLE);
  }

  @Test
  void aForgedKeyIdGroupKeyOrHashIsRefused() {
    // Proves the commitments bind the secret: another key id, another group key or another
    // members hash (which changes the derivation) are each refused.
    EpochLink link4 = CHAIN.get(3);
    assertRefused(replaced(4, link4.toBuilder().setKeyId(ByteString.copyFrom(new byte[16])).build()), 4,
        holding(secret(2)), B, Refusal.KEY_ID_MISMATCH);
    assertRefused(replaced(4, link4.toBuilder().setGroupPublicKey(ByteString.copyFrom(new byte[32])).build()), 4,
        holding(secret(2)), B, Refusal.GROUP_KEY_MISMATCH);
    assertRefused(replaced(3, CHAIN.get(2).toBuilder().setMembersHash(ByteString.copyFrom(new byte[32])).build()), 4,
        holding(secret(2)), B, Refusal.KEY_ID_MISMATCH);
    assertRefused(replaced(3, CHAIN.get(2).toBuilder().setPolicyHash(ByteString.copyFrom(new byte[32]))
        .build()), 4, holding(secret(2)), B, Refusal.KEY_ID_MISMATCH);
  }

  @Test
  void aDroppedReorderedOrMisplacedLinkIsRefused() {
    // Proves structural forgeries are refused before any secret is derived, each with its reason.
    List<EpochLink> dropped = new ArrayList<>(CHAIN);
    dropped.remove(2);
    assertRefused(dropped, 4, holding(secret(2)), B, Refusal.GAP);

    List<EpochLink> reordered = new ArrayList<>(CHAIN);
    reordered.set(2, CHAIN.get(3));
    reordered.set(3, CHAIN.get(2));
    assertRefused(reordered, 4, holding(secret(2)), B, Refusal.OUT_OF_ORDER);
    assertRefused(List.of(CHAIN.get(2), CHAIN.get(2), CHAIN.get(3)), 4, holding(secret(2)), B, Refusal.OUT_OF_ORDER);

    assertRefused(CHAIN.subList(0, 3), 4, holding(secret(2)), B, Refusal.GAP);
    assertRefused(CHAIN, 3, holding(secret(2)), B, Refusal.MALFORMED_LINK);

    // The right link data under another epoch number: the wrap info names the epoch, so B's wrap does not open.
    List<EpochLink> relabelled = List.of(CHAIN.get(0), CHAIN.get(1), CHAIN.get(3).toBuilder().setEpoch(3).build());
    assertRefused(relabelled, 3, holding(secret(2)), B, Refusal.WRAP_NOT_OPENABLE);
  }

  @Test
  void malformedLinksAreRefused() {
    // Proves fields of the wrong size and two wraps for one node are refused as malformed.
    assertRefused(replaced(3, CHAIN.get(2).toBuilder().setKeyId(ByteString.copyFrom(new byte[15])).build()), 4,
        holding(secret(2)), B, Refusal.MALFORMED_LINK);
    assertRefused(replaced(3, CHAIN.get(2).toBuilder().setMembersHash(ByteString.EMPTY).build()), 4,
        holding(secret(2)), B, Refusal.MALFORMED_LINK);
    assertRefused(replaced(3, CHAIN.get(2).toBuilder().addWraps(CHAIN.get(2).getWraps(0)).build()), 4,
        holding(secret(2)), B, Refusal.MALFORMED_LINK);
    assertRefused(replaced(1, CHAIN.get(0).toBuilder().setEpoch(0).build()), 4, holding(secret(2)), B,
        Refusal.MALFORMED_LINK);
  }

  @Test
  void aRemovedMemberOrANodeWithoutAnEarlierSecretIsRefused() {
    // Proves C, removed before epoch 4, finds no wrap for it there; and a node whose newest secret
    // lies before the chain's first link cannot start the walk.
    assertRefused(CHAIN, 4, holding(secret(3)), C, Refusal.NOT_IN_EPOCH);
    assertThatThrownBy(() -> walk(CHAIN, 4, holding(secret(3)), C)).hasMessageContaining("epoch 4 holds no wrap for node "
        + C);
    assertRefused(CHAIN.subList(2, 4), 4, holding(secret(1)), A, Refusal.NO_SECRET);
    assertThatThrownBy(() -> walk(CHAIN.subList(2, 4), 4, holding(secret(1)), A))
        .hasMessageContaining("newest secret at or before epoch 4 is epoch 1").hasMessageContaining("starts at epoch 3");
    assertRefused(List.of(), 4, holding(secret(2)), B, Refusal.NO_SECRET);
    // B joined at epoch 2: with nothing held and a chain from epoch 1, its first link has no wrap for it.
    assertRefused(CHAIN, 4, new EpochKeyring(), B, Refusal.NOT_IN_EPOCH);
  }

  @Test
  void recordedLinksReadBackAsAChainAndTheOldestAreDropped() throws Exception {
    // Proves record/read/chainEndingAt round-trip through a real store, the chain stops at a
    // missing link, and recording epoch e deletes link e - linksRetainedMax.
    try (RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("store"), Hashes.sha256(Hashes.utf8("s")))) {
      StateTransaction tx = store.begin();
      List<List<String>> members = List.of(List.of(A), List.of(A, B), List.of(A, B, C), List.of(A, B));
      for (int i = 0; i < 4; i++) {
        KeyEpoch entry = KeyEpoch.newBuilder().setEpoch(i + 1).setKeyId(CHAIN.get(i).getKeyId())
            .setGroupPublicKey(CHAIN.get(i).getGroupPublicKey()).addAllWraps(CHAIN.get(i).getWrapsList()).build();
        MembershipView view = viewOf(members.get(i));
        EpochChain.record(tx, view, entry);
      }
      tx.commit(1);
      assertThat(EpochChain.chainEndingAt(store, 4, 100)).isEqualTo(CHAIN);
      assertThat(EpochChain.chainEndingAt(store, 4, 2)).isEqualTo(CHAIN.subList(2, 4));
      assertThat(EpochChain.chainEndingAt(store, 9, 100)).isEmpty();
      assertThat(EpochChain.read(store, 3)).contains(CHAIN.get(2));

      StateTransaction later = store.begin();
      long far = EpochChain.linksRetainedMax + 2;
      EpochChain.record(later, viewOf(List.of(A)), KeyEpoch.newBuilder().setEpoch(far)
          .setKeyId(ByteString.copyFrom(new byte[16])).setGroupPublicKey(ByteString.copyFrom(new byte[32])).build());
      later.commit(2);
      assertThat(EpochChain.read(store, 2)).isEmpty();
      assertThat(EpochChain.read(store, 1)).isPresent();
      assertThat(EpochChain.read(store, far)).isPresent();
      assertThat(EpochChain.chainEndingAt(store, 4, 100)).isEqualTo(CHAIN.subList(2, 4));
    }
  }
}
