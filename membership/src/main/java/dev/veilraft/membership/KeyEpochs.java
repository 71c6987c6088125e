package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.EventSealing;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.KeyEpochDecision;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.crypto.proto.HpkeWrap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Key epochs: a proposer draws fresh_e and wraps it to every current member's KEM key; every
 * replica accepts the entry only if it names the next epoch and exactly the current members, so a
 * rotation proposed against a stale view never takes effect. Removed members get no wrap.
 */
public final class KeyEpochs {
  private KeyEpochs() {}

  /** HPKE info for the wrap of fresh_e: label || cluster id || epoch (the node id is appended by the wrap). */
  public static byte[] wrapInfo(byte[] clusterId, long epoch) {
    return Hashes.concat(Hashes.utf8("veilraft/epoch-wrap/v1"), clusterId, Hashes.u64(epoch));
  }

  /** HPKE info for the history of epoch secrets sent to a joiner. */
  public static byte[] historyInfo(byte[] clusterId) {
    return Hashes.concat(Hashes.utf8("veilraft/history/v1"), clusterId);
  }

  /** Derives S_e for {@code view}'s members from S_{e-1} (null for epoch 1) and fresh_e. */
  public static EpochSecret derive(MembershipView view, EpochSecret previous, long epoch, byte[] fresh) {
    return EpochSecret.derive(previous, epoch, fresh, view.membersHash(), view.policyHash());
  }

  /** Proposer side (outside apply): builds the next epoch for the current members. */
  public static KeyEpoch propose(MembershipView view, EpochSecret previous, byte[] fresh) throws CryptoException {
    long epoch = view.epoch() + 1;
    EpochSecret next = derive(view, previous, epoch, fresh);
    byte[] info = wrapInfo(view.genesis().clusterId(), epoch);
    KeyEpoch.Builder entry = KeyEpoch.newBuilder().setEpoch(epoch)
        .setGroupPublicKey(ByteString.copyFrom(next.groupPublicKey()))
        .setKeyId(ByteString.copyFrom(next.keyId()))
        .setMembersHash(ByteString.copyFrom(view.membersHash()))
        .setPolicyHash(ByteString.copyFrom(view.policyHash()));
    for (MemberRecord m : view.members().values()) {
      entry.addMemberIds(m.getNodeId());
      entry.addWraps(EventSealing.wrap(m.getNodeId(), m.getKemPublicKey().toByteArray(), info, fresh));
    }
    return entry.build();
  }

  /** The replicated decision on a KeyEpoch entry. */
  public static KeyEpochDecision check(MembershipView view, KeyEpoch entry) {
    if (!view.initialized()) {
      return reject(entry, "cluster is not initialized");
    }
    if (entry.getEpoch() != view.epoch() + 1) {
      return reject(entry, "epoch " + entry.getEpoch() + " does not follow the current epoch " + view.epoch());
    }
    List<String> members = view.memberIds();
    if (!entry.getMemberIdsList().equals(members)) {
      return reject(entry, "entry names members " + entry.getMemberIdsList() + " but the members are " + members
          + " (stale rotation)");
    }
    Set<String> wrapped = new HashSet<>();
    for (HpkeWrap wrap : entry.getWrapsList()) {
      if (!wrapped.add(wrap.getNodeId())) {
        return reject(entry, "two wraps for node " + wrap.getNodeId());
      }
    }
    if (!wrapped.equals(new HashSet<>(members))) {
      return reject(entry, "wraps do not cover exactly the members");
    }
    if (!java.util.Arrays.equals(entry.getMembersHash().toByteArray(), view.membersHash())
        || !java.util.Arrays.equals(entry.getPolicyHash().toByteArray(), view.policyHash())) {
      return reject(entry, "entry was derived for other members' keys or another policy than the current ones "
          + "(stale rotation: the policy or a member changed after it was proposed)");
    }
    if (entry.getGroupPublicKey().size() != 32 || entry.getKeyId().size() != 16) {
      return reject(entry, "group_public_key must be 32 bytes and key_id 16 bytes");
    }
    return KeyEpochDecision.newBuilder().setAccepted(true).setEpoch(entry.getEpoch())
        .setReason("epoch " + entry.getEpoch() + " for " + members.size() + " members").build();
  }

  private static KeyEpochDecision reject(KeyEpoch entry, String reason) {
    return KeyEpochDecision.newBuilder().setAccepted(false).setEpoch(entry.getEpoch()).setReason(reason).build();
  }
}
