package dev.veilraft.membership;

import com.google.protobuf.ByteString;
import dev.veilraft.crypto.Certificates;
import dev.veilraft.crypto.CryptoException;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.crypto.attestation.AttestationResult;
import dev.veilraft.crypto.attestation.EvidenceVerifier;
import dev.veilraft.crypto.attestation.ReportData;
import dev.veilraft.crypto.proto.Evidence;
import dev.veilraft.membership.proto.Beacon;
import dev.veilraft.membership.proto.BeaconAnswer;
import dev.veilraft.membership.proto.BeaconState;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MembershipResult;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.RemovalReason;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-attestation, decided identically on every replica: the leader commits a beacon nonce every
 * interval, each member answers with fresh evidence bound to it, and members that fail, stay
 * silent past the grace period, or no longer satisfy a changed policy past its grace period
 * become pending removals. Pure functions of (view, entry, leader time): no clock, no I/O.
 */
public final class Reattestation {
  public static final int NONCE_BYTES = 32;

  private Reattestation() {}

  /** A decision and the view after it (the same view when refused). */
  public record Outcome(MembershipResult result, MembershipView view) {}

  /** When the next beacon is due by leader time. */
  public static long nextBeaconDueMs(MembershipView view) {
    BeaconState b = view.beacon();
    return b.getSequence() == 0 ? view.epochCreatedMs() : b.getIssuedAtMs() + view.genesis().reattestIntervalMs();
  }

  public static Outcome beacon(MembershipView view, Beacon beacon, long leaderTimeMs) {
    if (!view.initialized()) {
      return refuse(view, "NOT_INITIALIZED", "cluster has no genesis yet", "");
    }
    BeaconState current = view.beacon();
    if (beacon.getSequence() != current.getSequence() + 1) {
      return refuse(view, "STALE_BEACON", "beacon " + Long.toUnsignedString(beacon.getSequence())
          + " does not follow the current beacon " + current.getSequence(), "");
    }
    if (beacon.getNonce().size() != NONCE_BYTES) {
      return refuse(view, "MALFORMED", "beacon nonce is " + beacon.getNonce().size() + " bytes, expected " + NONCE_BYTES, "");
    }
    // Half an interval of slack for leader changes; a faster beacon would make every member
    // attest at the proposer's pace.
    long earliest = current.getSequence() == 0 ? 0 : current.getIssuedAtMs() + view.genesis().reattestIntervalMs() / 2;
    if (leaderTimeMs < earliest) {
      return refuse(view, "BEACON_TOO_EARLY", "beacon at leader time " + leaderTimeMs + " ms comes before "
          + earliest + " ms (half an interval after beacon " + current.getSequence() + ")", "");
    }
    // Silence is counted from the first beacon a member leaves unanswered, so a gap between
    // beacons (a leader outage) never counts against members.
    // After a gap longer than interval + grace (the leader or a quorum was down), nobody could
    // answer: every member's clock restarts at this beacon.
    boolean outage = current.getSequence() != 0
        && leaderTimeMs - current.getIssuedAtMs() > view.genesis().reattestIntervalMs() + view.genesis().reattestGraceMs();
    List<MemberRecord> asked = new ArrayList<>();
    for (MemberRecord m : view.members().values()) {
      asked.add(m.getAskedSinceMs() != 0 && !outage ? m : m.toBuilder().setAskedSinceMs(leaderTimeMs).build());
    }
    MembershipView next = view.withMembers(asked).withBeacon(BeaconState.newBuilder().setSequence(beacon.getSequence())
        .setNonce(beacon.getNonce()).setIssuedAtMs(leaderTimeMs).build());
    return new Outcome(accept("beacon " + beacon.getSequence() + " issued", ""), sweep(next, leaderTimeMs));
  }

  /**
   * A member's answer: evidence bound to the current beacon nonce and the member's own keys,
   * verified against the policy in force at the entry's leader time, from the same platform
   * instance it was admitted on. A failure makes the member a pending removal (immediately, or at
   * the end of a running policy grace period).
   */
  public static Outcome answer(MembershipView view, BeaconAnswer answer, long leaderTimeMs, EvidenceVerifier verifier) {
    if (!view.initialized()) {
      return refuse(view, "NOT_INITIALIZED", "cluster has no genesis yet", answer.getNodeId());
    }
    MemberRecord member = view.member(answer.getNodeId()).orElse(null);
    if (member == null) {
      return refuse(view, "UNKNOWN_NODE", "node " + dev.veilraft.crypto.Check.printable(answer.getNodeId())
          + " is not a member", answer.getNodeId());
    }
    BeaconState current = view.beacon();
    if (current.getSequence() == 0 || answer.getSequence() != current.getSequence()) {
      return refuse(view, "STALE_BEACON", "answer is for beacon " + Long.toUnsignedString(answer.getSequence())
          + ", the current beacon is " + current.getSequence(), member.getNodeId());
    }
    if (member.getAttestedBeacon() >= current.getSequence()) {
      return refuse(view, "DUPLICATE_ANSWER", "node " + member.getNodeId() + " already answered beacon "
          + current.getSequence(), member.getNodeId());
    }
    long supported = ProtocolVersions.effective(answer.getProtocolVersionMax());
    if (supported < view.protocolVersion() || !ProtocolVersions.valid(answer.getProtocolVersionMax())) {
      // Its build cannot apply the active version, so its replica has stopped: the answer counts
      // as none, and the member is evicted as silent unless it is upgraded within the grace period.
      return refuse(view, "PROTOCOL_VERSION_UNSUPPORTED", "node " + member.getNodeId() + "'s build applies protocol "
          + "versions up to " + supported + ", the active version is " + view.protocolVersion()
          + "; upgrade the node", member.getNodeId());
    }
    Checked checked = check(view, member, answer.getEvidence(), current.getNonce().toByteArray(), leaderTimeMs, verifier);
    MemberRecord.Builder updated = member.toBuilder();
    if (checked.code() == null) {
      AttestationResult result = checked.result();
      updated.setEvidence(answer.getEvidence()).setEvidenceNonce(current.getNonce())
          .setMeasurement(ByteString.copyFrom(result.claims().measurement()))
          .setAttestedBeacon(current.getSequence()).setAttestedAtMs(leaderTimeMs).setAskedSinceMs(0)
          .setEvictAfterMs(0).clearFailureCode().clearFailure()
          .setProtocolVersionMax(answer.getProtocolVersionMax());
      MembershipView next = view.withMember(updated.build());
      return new Outcome(accept("node " + member.getNodeId() + " re-attested for beacon " + current.getSequence(),
          member.getNodeId()), sweep(next, leaderTimeMs, false));
    }
    String code = checked.code();
    String detail = checked.detail();
    updated.setAttestedBeacon(current.getSequence()).setAskedSinceMs(0).setFailureCode(code).setFailure(detail);
    MembershipView next = view.withMember(updated.build());
    // The policy grace period covers only the failure that started it (the withdrawn
    // measurement, the raised TCB floor); any other failure removes the member now.
    if (member.getEvictAfterMs() == 0 || !code.equals(member.getFailureCode())) {
      next = next.withPendingRemoval(PendingRemoval.newBuilder().setNodeId(member.getNodeId())
          .setReason(RemovalReason.ATTESTATION_FAILED).setDetail(code + ": " + detail).setSinceMs(leaderTimeMs).build());
    }
    return new Outcome(MembershipResult.newBuilder().setAccepted(true).setCode("ATTESTATION_FAILED")
        .setReason("node " + member.getNodeId() + " failed re-attestation: " + code + ": " + detail)
        .setNodeId(member.getNodeId()).build(), sweep(next, leaderTimeMs, false));
  }

  /** The verification result; {@code code} is null when the evidence passes. */
  private record Checked(AttestationResult result, String code, String detail) {}

  private static Checked check(MembershipView view, MemberRecord member, Evidence evidence, byte[] nonce,
      long leaderTimeMs, EvidenceVerifier verifier) {
    AttestationResult result = verifier.verify(evidence, view.policy(), expectedReportData(member, nonce),
        Instant.ofEpochMilli(leaderTimeMs));
    if (!result.accepted()) {
      return new Checked(result, result.reason().name(), result.detail());
    }
    byte[] instance = result.claims().platformInstanceId();
    if (!member.getPlatformInstanceId().isEmpty()
        && !MessageDigest.isEqual(instance, member.getPlatformInstanceId().toByteArray())) {
      return new Checked(result, "PLATFORM_INSTANCE_CHANGED", "evidence comes from platform instance "
          + Hashes.shortHex(instance, 8) + ", the member was admitted on "
          + Hashes.shortHex(member.getPlatformInstanceId().toByteArray(), 8));
    }
    if (result.claims().platform() != member.getPlatform()) {
      return new Checked(result, "PLATFORM_CHANGED", "evidence is " + result.claims().platform()
          + ", the member was admitted on " + member.getPlatform());
    }
    return new Checked(result, null, null);
  }

  static byte[] expectedReportData(MemberRecord member, byte[] nonce) {
    try {
      byte[] spki = Certificates.parse(member.getIdentityCert().toByteArray(), "member certificate")
          .getPublicKey().getEncoded();
      return ReportData.bind(nonce, spki, member.getKemPublicKey().toByteArray());
    } catch (CryptoException e) {
      throw new IllegalStateException("stored certificate of member " + member.getNodeId() + " does not parse", e);
    }
  }

  /**
   * After a policy change: every member whose latest accepted evidence does not satisfy the new
   * policy (judged at the time it was attested) gets until leader time + policy grace to answer a
   * beacon with evidence that does.
   */
  public static MembershipView policyChanged(MembershipView view, long leaderTimeMs, EvidenceVerifier verifier) {
    List<MemberRecord> updated = new ArrayList<>();
    for (MemberRecord m : view.members().values()) {
      long attestedAt = m.getAttestedAtMs() != 0 ? m.getAttestedAtMs() : m.getAdmittedAtMs();
      AttestationResult r = verifier.verify(m.getEvidence(), view.policy(),
          expectedReportData(m, m.getEvidenceNonce().toByteArray()), Instant.ofEpochMilli(attestedAt));
      if (r.accepted()) {
        updated.add(m.toBuilder().setEvictAfterMs(0).build());
      } else if (m.getEvictAfterMs() == 0) {
        updated.add(m.toBuilder().setEvictAfterMs(leaderTimeMs + view.genesis().policyGraceMs())
            .setFailureCode(r.reason().name()).setFailure("no longer satisfies policy '" + view.policy().getName()
                + "': " + r.detail()).build());
      } else {
        updated.add(m);
      }
    }
    return view.withMembers(updated);
  }

  /**
   * Marks members that are due for removal at {@code leaderTimeMs}: a beacon left unanswered for
   * longer than the grace period, or past the end of their policy grace period.
   */
  public static MembershipView sweep(MembershipView view, long leaderTimeMs) {
    return sweep(view, leaderTimeMs, true);
  }

  /**
   * As {@link #sweep(MembershipView, long)}; silence is judged only at beacons ({@code silence}),
   * never at an answer: the first answer after a stall (a quorum was down) must not find every
   * other member silent before it could answer.
   */
  static MembershipView sweep(MembershipView view, long leaderTimeMs, boolean silence) {
    if (!view.initialized() || view.beacon().getSequence() == 0) {
      return view;
    }
    long graceMs = view.genesis().reattestGraceMs();
    MembershipView next = view;
    for (MemberRecord m : view.members().values()) {
      if (next.pendingRemoval(m.getNodeId()).isPresent()) {
        continue;
      }
      if (silence && m.getAskedSinceMs() != 0 && leaderTimeMs - m.getAskedSinceMs() > graceMs) {
        next = next.withPendingRemoval(PendingRemoval.newBuilder().setNodeId(m.getNodeId()).setReason(RemovalReason.SILENT)
            .setDetail("beacon unanswered since leader time " + m.getAskedSinceMs() + " ms, longer than the grace "
                + "period of " + graceMs + " ms").setSinceMs(leaderTimeMs).build());
      } else if (m.getEvictAfterMs() != 0 && leaderTimeMs >= m.getEvictAfterMs()) {
        next = next.withPendingRemoval(PendingRemoval.newBuilder().setNodeId(m.getNodeId()).setReason(RemovalReason.POLICY)
            .setDetail(m.getFailureCode() + ": " + m.getFailure()).setSinceMs(leaderTimeMs).build());
      }
    }
    return next;
  }

  static MembershipResult accept(String reason, String nodeId) {
    return MembershipResult.newBuilder().setAccepted(true).setCode("ACCEPTED").setReason(reason).setNodeId(nodeId).build();
  }

  static Outcome refuse(MembershipView view, String code, String reason, String nodeId) {
    return new Outcome(MembershipResult.newBuilder().setAccepted(false).setCode(code).setReason(reason)
        .setNodeId(nodeId).build(), view);
  }
}
