package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.BeaconState;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.MembershipSnapshot;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The replicated membership view at one log index: genesis, admitted members, the current key
 * epoch and the last leader time. Immutable; every change returns a new view.
 */
public final class MembershipView {
  private final MembershipSnapshot snapshot;
  private final GenesisDocument genesis;
  private final SortedMap<String, MemberRecord> members;

  private MembershipView(MembershipSnapshot snapshot, GenesisDocument genesis) {
    this(snapshot, genesis, index(snapshot));
  }

  private MembershipView(MembershipSnapshot snapshot, GenesisDocument genesis, SortedMap<String, MemberRecord> members) {
    this.snapshot = snapshot;
    this.genesis = genesis;
    this.members = members;
  }

  private static SortedMap<String, MemberRecord> index(MembershipSnapshot snapshot) {
    TreeMap<String, MemberRecord> map = new TreeMap<>();
    for (MemberRecord m : snapshot.getMembersList()) {
      map.put(m.getNodeId(), m);
    }
    return Collections.unmodifiableSortedMap(map);
  }

  public static MembershipView empty() {
    return new MembershipView(MembershipSnapshot.getDefaultInstance(), null);
  }

  /** Restores a stored view; the genesis inside was validated when it was first applied. */
  public static MembershipView of(MembershipSnapshot snapshot) throws GenesisException {
    GenesisDocument genesis = snapshot.getGenesis().isEmpty()
        ? null : GenesisDocument.fromGenesisBytes(snapshot.getGenesis().toByteArray());
    return new MembershipView(snapshot, genesis);
  }

  public boolean initialized() {
    return genesis != null;
  }

  public GenesisDocument genesis() {
    if (genesis == null) {
      throw new IllegalStateException("cluster is not initialized: no genesis applied yet");
    }
    return genesis;
  }

  public SortedMap<String, MemberRecord> members() {
    return members;
  }

  public List<String> memberIds() {
    return List.copyOf(members.keySet());
  }

  public Optional<MemberRecord> member(String nodeId) {
    return Optional.ofNullable(members.get(nodeId));
  }

  public long epoch() {
    return snapshot.getEpoch();
  }

  public byte[] groupPublicKey() {
    return snapshot.getGroupPublicKey().toByteArray();
  }

  public byte[] keyId() {
    return snapshot.getKeyId().toByteArray();
  }

  public long lastLeaderTimeMs() {
    return snapshot.getLastLeaderTimeMs();
  }

  /** The policy in force: the genesis policy until governance replaces it. */
  public dev.veilraft.crypto.proto.Policy policy() {
    return snapshot.hasPolicy() ? snapshot.getPolicy() : genesis().policy();
  }

  /** The operators in force: the genesis operators until governance replaces them. */
  public List<dev.veilraft.membership.proto.Operator> operators() {
    return snapshot.getOperatorsCount() > 0 ? snapshot.getOperatorsList() : genesis().genesis().getOperatorsList();
  }

  /** How many distinct operators must approve a governance proposal. */
  public int governanceThreshold() {
    return snapshot.getGovernanceThreshold() > 0 ? snapshot.getGovernanceThreshold()
        : genesis().genesis().getGovernanceThreshold();
  }

  /** SHA-256 of the serialized policy in force, an input of every epoch secret. */
  public byte[] policyHash() {
    return Hashes.sha256(policy().toByteArray());
  }

  /**
   * The active protocol version: what apply's rules are at this index (the genesis version until
   * governance raises it). Apply refuses to run on a build below it (ProtocolVersions).
   */
  public long protocolVersion() {
    return snapshot.getProtocolVersion() != 0 ? ProtocolVersions.effective(snapshot.getProtocolVersion())
        : genesis().protocolVersion();
  }

  public BeaconState beacon() {
    return snapshot.getBeacon();
  }

  public List<PendingRemoval> pendingRemovals() {
    return snapshot.getPendingRemovalsList();
  }

  public Optional<PendingRemoval> pendingRemoval(String nodeId) {
    return snapshot.getPendingRemovalsList().stream().filter(p -> p.getNodeId().equals(nodeId)).findFirst();
  }

  public boolean wasRemoved(String nodeId) {
    return snapshot.getRemovedNodeIdsList().contains(nodeId);
  }

  public boolean rotationRequested() {
    return snapshot.getRotationRequested();
  }

  /** Leader time of the entry that created the current epoch. */
  public long epochCreatedMs() {
    return snapshot.getEpochCreatedMs();
  }

  public long policyChangedMs() {
    return snapshot.getPolicyChangedMs();
  }

  /** Members with the voting role, sorted by node id. */
  public List<MemberRecord> voters() {
    return members.values().stream().filter(m -> m.getRole() == dev.veilraft.membership.proto.MemberRole.VOTER).toList();
  }

  public MembershipSnapshot toSnapshot() {
    return snapshot;
  }

  /**
   * SHA-256 over the sorted members' ids and KEM keys: binds an epoch secret to exactly the
   * members that received it.
   */
  public byte[] membersHash() {
    var digest = Hashes.newDigest("SHA-256");
    for (MemberRecord m : members.values()) {
      digest.update(Hashes.utf8(m.getNodeId()));
      digest.update(Hashes.sha256(m.getKemPublicKey().toByteArray()));
    }
    return digest.digest();
  }

  public MembershipView withGenesis(GenesisDocument doc) {
    return new MembershipView(snapshot.toBuilder().setGenesis(ByteString.copyFrom(doc.genesisBytes())).build(), doc);
  }

  public MembershipView withMember(MemberRecord member) {
    TreeMap<String, MemberRecord> map = new TreeMap<>(members);
    map.put(member.getNodeId(), member);
    return new MembershipView(snapshot.toBuilder().clearMembers().addAllMembers(map.values()).build(), genesis);
  }

  /** Log index of the entry that created the current epoch. */
  public long epochIndex() {
    return snapshot.getEpochIndex();
  }

  /** The next epoch, created by the entry at {@code index}; clears a governance rotation request. */
  public MembershipView withEpoch(long epoch, byte[] groupPublicKey, byte[] keyId, long index) {
    return new MembershipView(snapshot.toBuilder().setEpoch(epoch).setEpochIndex(index)
        .setEpochCreatedMs(snapshot.getLastLeaderTimeMs()).setRotationRequested(false)
        .setGroupPublicKey(ByteString.copyFrom(groupPublicKey)).setKeyId(ByteString.copyFrom(keyId)).build(),
        genesis, members);
  }

  /** Replaces every member record at once (roles, attestation status); ids must stay the same set or shrink. */
  public MembershipView withMembers(java.util.Collection<MemberRecord> records) {
    TreeMap<String, MemberRecord> map = new TreeMap<>();
    for (MemberRecord m : records) {
      map.put(m.getNodeId(), m);
    }
    return new MembershipView(snapshot.toBuilder().clearMembers().addAllMembers(map.values()).build(), genesis);
  }

  /** Removes a member for good: its id is remembered so it is never admitted again. */
  public MembershipView withoutMember(String nodeId) {
    TreeMap<String, MemberRecord> map = new TreeMap<>(members);
    map.remove(nodeId);
    MembershipSnapshot.Builder b = snapshot.toBuilder().clearMembers().addAllMembers(map.values());
    List<PendingRemoval> pending = b.getPendingRemovalsList().stream().filter(p -> !p.getNodeId().equals(nodeId)).toList();
    b.clearPendingRemovals().addAllPendingRemovals(pending);
    if (!b.getRemovedNodeIdsList().contains(nodeId)) {
      b.addRemovedNodeIds(nodeId);
    }
    return new MembershipView(b.build(), genesis);
  }

  /** Adds a pending removal unless one is already pending for that node. */
  public MembershipView withPendingRemoval(PendingRemoval removal) {
    if (pendingRemoval(removal.getNodeId()).isPresent()) {
      return this;
    }
    TreeMap<String, PendingRemoval> sorted = new TreeMap<>();
    for (PendingRemoval p : snapshot.getPendingRemovalsList()) {
      sorted.put(p.getNodeId(), p);
    }
    sorted.put(removal.getNodeId(), removal);
    return new MembershipView(snapshot.toBuilder().clearPendingRemovals().addAllPendingRemovals(sorted.values()).build(),
        genesis, members);
  }

  public MembershipView withBeacon(BeaconState beacon) {
    return new MembershipView(snapshot.toBuilder().setBeacon(beacon).build(), genesis, members);
  }

  public MembershipView withPolicy(dev.veilraft.crypto.proto.Policy policy) {
    return new MembershipView(snapshot.toBuilder().setPolicy(policy).setPolicyChangedMs(snapshot.getLastLeaderTimeMs())
        .build(), genesis, members);
  }

  public MembershipView withOperators(List<dev.veilraft.membership.proto.Operator> operators, int threshold) {
    return new MembershipView(snapshot.toBuilder().clearOperators().addAllOperators(operators)
        .setGovernanceThreshold(threshold).build(), genesis, members);
  }

  /** The active protocol version raised to {@code version} (governance checked that it only goes up). */
  public MembershipView withProtocolVersion(int version) {
    dev.veilraft.crypto.Check.argument(ProtocolVersions.effective(version) > protocolVersion(),
        "protocol version " + Integer.toUnsignedString(version) + " is not above the active " + protocolVersion());
    return new MembershipView(snapshot.toBuilder().setProtocolVersion(version).build(), genesis, members);
  }

  public MembershipView withRotationRequested() {
    return new MembershipView(snapshot.toBuilder().setRotationRequested(true).build(), genesis, members);
  }

  /** Runs for every applied entry, so it keeps the member index instead of rebuilding it. */
  public MembershipView withLeaderTime(long leaderTimeMs) {
    return new MembershipView(snapshot.toBuilder().setLastLeaderTimeMs(leaderTimeMs).build(), genesis, members);
  }
}
