package dev.veilraft.node;

import com.google.protobuf.ByteString;
import dev.veilraft.consensus.proto.ApplyResult;
import dev.veilraft.consensus.proto.Proposal;
import dev.veilraft.consensus.ratis.RaftConsensus;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.EpochSecret;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.membership.MembershipView;
import dev.veilraft.membership.Reattestation;
import dev.veilraft.membership.Removals;
import dev.veilraft.membership.proto.Beacon;
import dev.veilraft.membership.proto.BeaconAnswer;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.RemoveMember;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node does, outside apply, so that the replicated membership takes effect. Level
 * triggered: every tick compares the replicated view with reality and acts on the difference, so
 * a new leader picks up whatever its predecessor left unfinished.
 * <ul>
 *   <li>every member answers the current beacon with fresh evidence bound to its nonce;
 *   <li>the leader commits a beacon when one is due, executes pending removals (with the next key
 *       epoch in the same entry) unless that would break quorum, makes the Raft configuration
 *       match the members and their roles, and rotates the key on request or on schedule.
 * </ul>
 */
public final class MembershipDuties implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MembershipDuties.class);
  static final Duration TICK_MAX = Duration.ofSeconds(1);

  private final VeilraftNode node;
  private final SecureRandom random = new SecureRandom();
  private final ScheduledExecutorService executor;
  /** The beacon this node last answered (or tried to), so it does not answer twice while its answer commits. */
  private volatile long answering;
  /** Pending removals already reported as blocked, so the warning is logged once per removal. */
  private final Set<String> reportedBlocked = new HashSet<>();
  private volatile List<String> blockedEvictions = List.of();
  /** The view the last tick audited (duty thread only). */
  private MembershipView lastAudited;

  MembershipDuties(VeilraftNode node, Duration tick) {
    this.node = node;
    this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "veilraft-membership-" + node.nodeId().substring(0, 8));
      t.setDaemon(true);
      return t;
    });
    executor.scheduleWithFixedDelay(this::tick, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Tick period: a quarter of the re-attestation interval, at most {@link #TICK_MAX}. */
  static Duration tickFor(long reattestIntervalMs) {
    return Duration.ofMillis(Math.max(50, Math.min(TICK_MAX.toMillis(), reattestIntervalMs / 4)));
  }

  /** Pending evictions the cluster will not execute on its own because they would break quorum. */
  List<String> blockedEvictions() {
    return blockedEvictions;
  }

  private void tick() {
    try {
      RaftConsensus consensus = node.consensus();
      MembershipView view = node.replica().view();
      if (consensus == null || !view.initialized() || view.epoch() == 0) {
        return;
      }
      audit(view);
      answerBeacon(view);
      if (!consensus.isLeader()) {
        return;
      }
      long now = node.clock().millis();
      if (now >= Reattestation.nextBeaconDueMs(view)) {
        proposeBeacon(view);
      }
      removePending(view);
      reconfigureQuietly(consensus, node.replica().view());
      rotateIfDue(node.replica().view(), now);
    } catch (NodeException e) {
      LOG.warn("membership duty failed: {}: {}", e.code(), e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("membership duty failed", e);
    }
  }

  /** Audit lines for what the replicated view says changed since the last tick (every node logs its own). */
  private void audit(MembershipView view) {
    MembershipView before = lastAudited;
    lastAudited = view;
    if (before == null) {
      return;
    }
    if (!before.policy().equals(view.policy())) {
      Audit.log(Audit.Event.POLICY_CHANGED, "policy", view.policy().getName(), "measurements",
          view.policy().getAllowedMeasurementsCount(), "platforms", view.policy().getAllowedPlatformsList(),
          "allow_simulated", view.policy().getAllowSimulated(), "allow_debug", view.policy().getAllowDebug());
    }
    if (!before.operators().equals(view.operators()) || before.governanceThreshold() != view.governanceThreshold()) {
      Audit.log(Audit.Event.OPERATORS_CHANGED, "operators",
          view.operators().stream().map(dev.veilraft.membership.proto.Operator::getName).toList(),
          "threshold", view.governanceThreshold());
    }
    for (MemberRecord m : view.members().values()) {
      if (before.member(m.getNodeId()).isEmpty()) {
        Audit.log(Audit.Event.MEMBER_ADDED, "node", m.getNodeId(), "operator", m.getOperator(), "role",
            m.getRole().name(), "index", m.getAdmittedIndex());
      }
    }
    for (MemberRecord b : before.members().values()) {
      if (view.member(b.getNodeId()).isEmpty()) {
        Audit.log(Audit.Event.MEMBER_REMOVED, "node", b.getNodeId(), "operator", b.getOperator(), "epoch", view.epoch());
      }
    }
    for (PendingRemoval p : view.pendingRemovals()) {
      if (before.pendingRemoval(p.getNodeId()).isEmpty()) {
        Audit.log(Audit.Event.REMOVAL_PENDING, "node", p.getNodeId(), "reason", p.getReason().name(), "detail",
            p.getDetail());
      }
    }
    for (MemberRecord m : view.members().values()) {
      before.member(m.getNodeId()).filter(b -> b.getRole() != m.getRole()).ifPresent(b ->
          Audit.log(Audit.Event.ROLE_CHANGED, "node", m.getNodeId(), "from", b.getRole().name(), "to",
              m.getRole().name()));
    }
    if (before.epoch() != view.epoch()) {
      Audit.log(Audit.Event.EPOCH_CHANGED, "from", before.epoch(), "to", view.epoch(), "members", view.members().size());
    }
  }

  private void answerBeacon(MembershipView view) throws NodeException, InterruptedException {
    MemberRecord self = view.member(node.nodeId()).orElse(null);
    long sequence = view.beacon().getSequence();
    if (self == null || sequence == 0 || self.getAttestedBeacon() >= sequence || answering >= sequence) {
      return;
    }
    answering = sequence;
    boolean settled = false;
    try {
      Evidence evidence = node.attest(view.beacon().getNonce().toByteArray());
      ApplyResult result = node.submit(Proposal.newBuilder().setBeaconAnswer(BeaconAnswer.newBuilder()
          .setNodeId(node.nodeId()).setSequence(sequence).setEvidence(evidence)
          .setProtocolVersionMax((int) node.replica().protocolVersionMax())).build());
      MembershipResult answer = result.getMembership();
      settled = answer.getAccepted() || "STALE_BEACON".equals(answer.getCode());
      if (!settled) {
        LOG.warn("answer to beacon {} refused: {}: {}", sequence, answer.getCode(), answer.getReason());
      }
    } finally {
      if (!settled) {
        answering = sequence - 1; // not committed: answer again at the next tick
      }
    }
  }

  private void proposeBeacon(MembershipView view) throws NodeException, InterruptedException {
    byte[] nonce = new byte[Reattestation.NONCE_BYTES];
    random.nextBytes(nonce);
    ApplyResult result = node.submit(Proposal.newBuilder().setBeacon(Beacon.newBuilder()
        .setSequence(view.beacon().getSequence() + 1).setNonce(ByteString.copyFrom(nonce))).build());
    if (result.getMembership().getAccepted()) {
      LOG.debug("beacon {} issued", view.beacon().getSequence() + 1);
    }
  }

  private void removePending(MembershipView view) throws NodeException, InterruptedException {
    List<String> blocked = view.pendingRemovals().stream().filter(p -> Removals.blocked(view, p))
        .map(PendingRemoval::getNodeId).toList();
    blockedEvictions = blocked;
    for (PendingRemoval p : view.pendingRemovals()) {
      if (blocked.contains(p.getNodeId())) {
        if (reportedBlocked.add(p.getNodeId() + "/" + p.getSinceMs())) {
          Audit.log(Audit.Event.EVICTION_BLOCKED, "node", p.getNodeId(), "reason", p.getReason().name(), "detail",
              p.getDetail(), "quorum", Removals.quorumProblem(view, p.getNodeId()).orElse(""));
        }
        continue;
      }
      remove(view, p);
      return; // one removal per tick: the next one is judged on the view after this one
    }
  }

  private void remove(MembershipView view, PendingRemoval pending) throws NodeException, InterruptedException {
    EpochSecret current = node.replica().keyring().get(view.epoch()).orElseThrow(() -> new NodeException(
        "NO_EPOCH_SECRET", "the leader does not hold the secret of epoch " + view.epoch()));
    byte[] fresh = new byte[EpochSecret.BYTES];
    random.nextBytes(fresh);
    RemoveMember entry;
    try {
      entry = Removals.propose(view, pending.getNodeId(), current, fresh);
    } catch (CryptoException e) {
      throw new NodeException("ROTATION_FAILED", "cannot wrap the next epoch secret: " + e.getMessage(), e);
    }
    MembershipResult result = node.submit(Proposal.newBuilder().setRemoveMember(entry).build()).getMembership();
    if (result.getAccepted()) {
      Audit.log(Audit.Event.REMOVAL_EXECUTED, "node", pending.getNodeId(), "reason", pending.getReason().name(),
          "detail", pending.getDetail(), "epoch", entry.getNextEpoch().getEpoch(), "by", node.nodeId());
    } else {
      LOG.info("removal of {} refused: {}: {}", pending.getNodeId(), result.getCode(), result.getReason());
    }
  }

  /**
   * Leader only: makes the Raft configuration hold exactly the members, each in its role. A new
   * member whose Raft server does not answer yet (a joiner still starting) is left for a later
   * tick by {@link RaftConsensus#reconcile}, so calling this early stalls nothing.
   */
  public static void reconfigure(RaftConsensus consensus, MembershipView view) throws IOException {
    java.util.Map<String, String> actual = consensus.configurationRoles();
    List<MemberRecord> voters = view.members().values().stream().filter(m -> m.getRole() == MemberRole.VOTER).toList();
    List<MemberRecord> listeners = view.members().values().stream()
        .filter(m -> m.getRole() == MemberRole.LISTENER).toList();
    java.util.Map<String, String> desired = new java.util.HashMap<>();
    voters.forEach(m -> desired.put(m.getNodeId(), MemberRole.VOTER.name()));
    listeners.forEach(m -> desired.put(m.getNodeId(), MemberRole.LISTENER.name()));
    if (!desired.equals(actual)) {
      RaftConsensus.Reconciliation done = consensus.reconcile(voters, listeners);
      if (done.changes() > 0) {
        Audit.log(Audit.Event.RAFT_CONFIGURATION, "voters", voters.stream().map(MemberRecord::getNodeId).toList(),
            "listeners", listeners.stream().map(MemberRecord::getNodeId).toList(), "pending", done.pending());
      }
    }
  }

  private void reconfigureQuietly(RaftConsensus consensus, MembershipView view) {
    try {
      reconfigure(consensus, view);
    } catch (IOException e) {
      LOG.info("raft configuration not reconciled yet: {}", e.getMessage());
    }
  }

  private void rotateIfDue(MembershipView view, long now) throws NodeException, InterruptedException {
    boolean scheduled = now - view.epochCreatedMs() >= view.genesis().rotationIntervalMs();
    if (view.rotationRequested() || scheduled) {
      // rotateKey audits key.rotated; this line says why it ran.
      Audit.log(Audit.Event.ROTATION_DUE, "cause", view.rotationRequested() ? "governance" : "schedule", "epoch",
          view.epoch());
      node.rotateKey();
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
