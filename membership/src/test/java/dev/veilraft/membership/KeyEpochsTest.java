package dev.veilraft.membership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.KemKeyPair;
import dev.veilraft.crypto.proto.HpkeWrap;
import dev.veilraft.crypto.proto.Policy;
import dev.veilraft.membership.proto.Genesis;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.membership.proto.MemberRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Key epochs: proposal, the replicated check, and every member deriving the same S_e. */
class KeyEpochsTest {
  private static GenesisDocument genesis;
  /** Node id -> KEM key pair, in insertion order (not sorted on purpose). */
  private static final Map<String, KemKeyPair> KEMS = new LinkedHashMap<>();
  private static MembershipView threeMembers;

  @BeforeAll
  static void setUp() throws Exception {
    genesis = GenesisDocument.create(Genesis.newBuilder().setClusterName("epochs").setJoinWindowMs(60_000)
        .setMembersMax(9).setPolicy(Policy.newBuilder().setName("p")
            .addAllowedMeasurements(ByteString.copyFrom(new byte[48])))
        .addOperators(dev.veilraft.membership.proto.Operator.newBuilder().setName("op").setNodesMax(9)
            .setPublicKeySpki(ByteString.copyFrom(OperatorKey.generate().publicKeySpki())))
        .setGovernanceThreshold(1).build());
    for (String id : new String[] {"cc000000000000000000000000000003", "aa000000000000000000000000000001",
        "bb000000000000000000000000000002"}) {
      KEMS.put(id, KemKeyPair.generate());
    }
    threeMembers = viewOf(List.copyOf(KEMS.keySet()));
  }

  private static MembershipView viewOf(List<String> ids) {
    MembershipView view = MembershipView.empty().withGenesis(genesis);
    for (String id : ids) {
      view = view.withMember(MemberRecord.newBuilder().setNodeId(id)
          .setKemPublicKey(ByteString.copyFrom(KEMS.get(id).publicKey())).build());
    }
    return view;
  }

  private static byte[] fresh(String seed) {
    return Hashes.sha256(Hashes.utf8("fresh/" + seed));
  }

  private static MembershipView accept(MembershipView view, KeyEpoch entry, long index) {
    assertThat(KeyEpochs.check(view, entry).getAccepted()).isTrue();
    return view.withEpoch(entry.getEpoch(), entry.getGroupPublicKey().toByteArray(), entry.getKeyId().toByteArray(),
        index);
  }

  /** What a member does on apply: unwrap its own wrap and derive S_e. */
  private static EpochSecret memberDerives(String nodeId, MembershipView view, EpochSecret previous, KeyEpoch entry)
      throws CryptoException {
    HpkeWrap mine = entry.getWrapsList().stream().filter(w -> w.getNodeId().equals(nodeId)).findFirst().orElseThrow();
    byte[] freshE = EventSealing.unwrap(KEMS.get(nodeId), KeyEpochs.wrapInfo(genesis.clusterId(), entry.getEpoch()),
        mine);
    return KeyEpochs.derive(view, previous, entry.getEpoch(), freshE);
  }

  private static void assertRefused(KeyEpochDecision decision, String reasonPart) {
    assertThat(decision.getAccepted()).isFalse();
    assertThat(decision.getReason()).contains(reasonPart);
  }

  @Test
  void proposalForTheCurrentMembersIsAccepted() throws Exception {
    // A proposal for the next epoch naming exactly the current (sorted) members with one wrap each is accepted.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("accept"));
    assertThat(entry.getEpoch()).isEqualTo(1);
    assertThat(entry.getMemberIdsList()).isSorted().containsExactlyElementsOf(threeMembers.memberIds());
    assertThat(entry.getWrapsList()).extracting(HpkeWrap::getNodeId)
        .containsExactlyInAnyOrderElementsOf(KEMS.keySet());
    KeyEpochDecision decision = KeyEpochs.check(threeMembers, entry);
    assertThat(decision.getAccepted()).as(decision.getReason()).isTrue();
    assertThat(decision.getEpoch()).isEqualTo(1);
    EpochSecret expected = KeyEpochs.derive(threeMembers, null, 1, fresh("accept"));
    assertThat(entry.getKeyId().toByteArray()).isEqualTo(expected.keyId());
    assertThat(entry.getGroupPublicKey().toByteArray()).isEqualTo(expected.groupPublicKey());
  }

  @Test
  void everyMemberDerivesTheProposersSecret() throws Exception {
    // Each member unwrapping its own wrap derives S_e with the entry's key id and group key, across two epochs.
    EpochSecret s1 = KeyEpochs.derive(threeMembers, null, 1, fresh("e1"));
    KeyEpoch e1 = KeyEpochs.propose(threeMembers, null, fresh("e1"));
    for (String id : KEMS.keySet()) {
      EpochSecret derived = memberDerives(id, threeMembers, null, e1);
      assertThat(derived.secretBytes()).isEqualTo(s1.secretBytes());
      assertThat(derived.matches(e1.getKeyId().toByteArray())).isTrue();
      assertThat(derived.groupPublicKey()).isEqualTo(e1.getGroupPublicKey().toByteArray());
    }
    MembershipView afterE1 = accept(threeMembers, e1, 2);
    KeyEpoch e2 = KeyEpochs.propose(afterE1, s1, fresh("e2"));
    assertThat(e2.getEpoch()).isEqualTo(2);
    EpochSecret s2 = KeyEpochs.derive(afterE1, s1, 2, fresh("e2"));
    for (String id : KEMS.keySet()) {
      EpochSecret derived = memberDerives(id, afterE1, s1, e2);
      assertThat(derived.secretBytes()).isEqualTo(s2.secretBytes());
      assertThat(derived.groupPublicKey()).isEqualTo(e2.getGroupPublicKey().toByteArray());
    }
    assertThat(s2.secretBytes()).isNotEqualTo(s1.secretBytes());
  }

  @Test
  void aWrapOpensOnlyForItsOwnNode() throws Exception {
    // One member's wrap does not open with another member's KEM key, nor relabelled to another node id or epoch.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("only-mine"));
    List<String> ids = new ArrayList<>(KEMS.keySet());
    HpkeWrap first = entry.getWrapsList().stream().filter(w -> w.getNodeId().equals(ids.get(0))).findFirst()
        .orElseThrow();
    byte[] info = KeyEpochs.wrapInfo(genesis.clusterId(), 1);
    assertThatThrownBy(() -> EventSealing.unwrap(KEMS.get(ids.get(1)), info, first)).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.unwrap(KEMS.get(ids.get(0)), info, first.toBuilder().setNodeId(ids.get(1))
        .build())).isInstanceOf(CryptoException.class);
    assertThatThrownBy(() -> EventSealing.unwrap(KEMS.get(ids.get(0)), KeyEpochs.wrapInfo(genesis.clusterId(), 2),
        first)).isInstanceOf(CryptoException.class);
    assertThat(EventSealing.unwrap(KEMS.get(ids.get(0)), info, first)).isEqualTo(fresh("only-mine"));
  }

  @Test
  void wrongEpochNumberIsRefused() throws Exception {
    // An entry that does not name the epoch after the current one is refused, naming both numbers.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("n"));
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().setEpoch(2).build()),
        "epoch 2 does not follow the current epoch 0");
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().setEpoch(0).build()), "does not follow");
    MembershipView afterE1 = accept(threeMembers, entry, 2);
    assertRefused(KeyEpochs.check(afterE1, entry), "epoch 1 does not follow the current epoch 1");
  }

  @Test
  void staleMemberListIsRefused() throws Exception {
    // A rotation proposed before a membership change no longer matches the members and is refused as stale.
    List<String> ids = new ArrayList<>(KEMS.keySet());
    MembershipView twoMembers = viewOf(ids.subList(0, 2));
    KeyEpoch stale = KeyEpochs.propose(twoMembers, null, fresh("stale"));
    assertThat(KeyEpochs.check(twoMembers, stale).getAccepted()).isTrue();
    assertRefused(KeyEpochs.check(threeMembers, stale), "stale rotation");
    // Naming the right members in the wrong order is refused as well: the list must be the sorted member ids.
    KeyEpoch fresh = KeyEpochs.propose(threeMembers, null, fresh("order"));
    List<String> reversed = new ArrayList<>(fresh.getMemberIdsList());
    java.util.Collections.reverse(reversed);
    assertRefused(KeyEpochs.check(threeMembers, fresh.toBuilder().clearMemberIds().addAllMemberIds(reversed).build()),
        "stale rotation");
  }

  @Test
  void missingDuplicateOrForeignWrapsAreRefused() throws Exception {
    // Wraps must cover exactly the members: a missing, duplicated or non-member wrap is refused.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("wraps"));
    HpkeWrap w0 = entry.getWraps(0);
    HpkeWrap w1 = entry.getWraps(1);
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().removeWraps(2).build()),
        "wraps do not cover exactly the members");
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().clearWraps().addWraps(w0).addWraps(w0).addWraps(w1)
        .build()), "two wraps for node " + w0.getNodeId());
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().setWraps(2, w0.toBuilder().setNodeId("dd"
        + "0".repeat(30))).build()), "wraps do not cover exactly the members");
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().addWraps(w0.toBuilder().setNodeId("ee")).build()),
        "wraps do not cover exactly the members");
  }

  @Test
  void badKeySizesAreRefused() throws Exception {
    // A group public key that is not 32 bytes or a key id that is not 16 bytes is refused.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("sizes"));
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().setGroupPublicKey(ByteString.copyFrom(new byte[31]))
        .build()), "group_public_key must be 32 bytes");
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().clearGroupPublicKey().build()), "32 bytes");
    assertRefused(KeyEpochs.check(threeMembers, entry.toBuilder().setKeyId(ByteString.copyFrom(new byte[15])).build()),
        "key_id 16 bytes");
  }

  @Test
  void uninitializedViewRefusesEpochs() throws Exception {
    // No epoch can be created before the genesis is applied.
    KeyEpoch entry = KeyEpochs.propose(threeMembers, null, fresh("uninit"));
    assertRefused(KeyEpochs.check(MembershipView.empty(), entry), "not initialized");
  }

  @Test
  void deriveIsDeterministicAndBindsItsInputs() {
    // The same inputs give the same S_e; another fresh input, member set or previous secret gives another.
    EpochSecret a = KeyEpochs.derive(threeMembers, null, 1, fresh("d"));
    EpochSecret b = KeyEpochs.derive(threeMembers, null, 1, fresh("d"));
    assertThat(b.secretBytes()).isEqualTo(a.secretBytes());
    assertThat(b.keyId()).isEqualTo(a.keyId());
    assertThat(b.groupPublicKey()).isEqualTo(a.groupPublicKey());
    assertThat(KeyEpochs.derive(threeMembers, null, 1, fresh("e")).secretBytes()).isNotEqualTo(a.secretBytes());
    MembershipView two = viewOf(new ArrayList<>(KEMS.keySet()).subList(0, 2));
    assertThat(KeyEpochs.derive(two, null, 1, fresh("d")).secretBytes()).isNotEqualTo(a.secretBytes());
    EpochSecret otherPrevious = KeyEpochs.derive(two, null, 1, fresh("x"));
    assertThat(KeyEpochs.derive(threeMembers, a, 2, fresh("d")).secretBytes())
        .isNotEqualTo(KeyEpochs.derive(threeMembers, otherPrevious, 2, fresh("d")).secretBytes());
  }

  @Test
  void membersHashDoesNotDependOnInsertionOrder() {
    // The members hash (an input of S_e) depends on the member set, not the order the view learned it in.
    List<String> ids = new ArrayList<>(KEMS.keySet());
    List<String> reversed = new ArrayList<>(ids);
    java.util.Collections.reverse(reversed);
    assertThat(viewOf(reversed).membersHash()).isEqualTo(viewOf(ids).membersHash());
    assertThat(viewOf(ids.subList(0, 2)).membersHash()).isNotEqualTo(viewOf(ids).membersHash());
  }
}
