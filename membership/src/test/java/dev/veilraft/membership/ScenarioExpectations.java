package dev.veilraft.membership;

import dev.veilraft.membership.ScenarioReplica.Kind;
import dev.veilraft.membership.ScenarioReplica.Result;
import dev.veilraft.membership.proto.KeyEpoch;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import dev.veilraft.membership.proto.Operator;
import dev.veilraft.membership.proto.PendingRemoval;
import dev.veilraft.membership.proto.ProposalRecord;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** The {@code expect} commands of the scenario language (grammar: {@link ScenarioDriver}). */
final class ScenarioExpectations {
  private ScenarioExpectations() {}

  static void check(ScenarioDriver d, ScenarioCommand cmd) {
    String what = cmd.word(0);
    MembershipView v = d.view();
    switch (what) {
      case "accepted" -> {
        cmd.words(1);
        eachResult(d, r -> r.accepted(), "accepted");
      }
      case "refused" -> {
        String code = cmd.words(2).word(1);
        eachResult(d, r -> !r.accepted() && r.code().equals(code), "refused with " + code);
      }
      case "code" -> {
        String code = cmd.words(2).word(1);
        eachResult(d, r -> r.code().equals(code), "code " + code);
      }
      case "reason" -> {
        String text = String.join(" ", cmd.wordsFrom(1));
        eachResult(d, r -> r.reason().contains(text), "a reason containing '" + text + "'");
      }
      case "admitted" -> {
        Optional<MemberRole> role = cmd.wordCount() == 2 ? Optional.of(role(cmd.word(1))) : Optional.empty();
        cmd.words(role.isPresent() ? 2 : 1);
        eachResult(d, r -> r.kind() == Kind.ADMIT && r.accepted(), "admitted");
        role.ifPresent(expected -> {
          for (Result r : d.lastBatch()) {
            equal(v.member(r.nodeId()).orElseThrow().getRole(), expected, "role of " + d.cast().nameOf(r.nodeId()));
          }
        });
      }
      case "member" -> require(v.member(id(d, cmd)).isPresent(), cmd.word(1) + " is not a member");
      case "not-member" -> require(v.member(id(d, cmd)).isEmpty(), cmd.word(1) + " is a member");
      case "gone" -> {
        String id = id(d, cmd);
        require(v.member(id).isEmpty() && v.wasRemoved(id), cmd.word(1) + " is " + (v.member(id).isPresent()
            ? "still a member" : "not a member but not remembered as removed"));
      }
      case "members" -> equal(names(d, v.members().values().stream().toList()), set(cmd.words(2), 1), "members");
      case "voters" -> equal(names(d, v.voters()), set(cmd.words(2), 1), "voters");
      case "listeners" -> equal(names(d, v.members().values().stream().filter(m -> m.getRole() == MemberRole.LISTENER)
          .toList()), set(cmd.words(2), 1), "listeners");
      case "role" -> equal(member(d, cmd).getRole(), role(cmd.words(3).word(2)), "role of " + cmd.word(1));
      case "pending" -> {
        PendingRemoval p = v.pendingRemoval(id(d, cmd.words(3))).orElseThrow(() -> new AssertionError(cmd.word(1)
            + " is not a pending removal (pending: " + pendingNames(d) + ")"));
        equal(p.getReason().name(), cmd.word(2), "pending removal reason of " + cmd.word(1) + " (" + p.getDetail()
            + ")");
      }
      case "no-pending" -> require(v.pendingRemoval(id(d, cmd)).isEmpty(), cmd.word(1) + " is a pending removal: "
          + v.pendingRemoval(id(d, cmd)).map(PendingRemoval::getDetail).orElse(""));
      case "blocked", "not-blocked" -> {
        PendingRemoval p = v.pendingRemoval(id(d, cmd)).orElseThrow(() -> new AssertionError(cmd.word(1)
            + " is not a pending removal"));
        equal(Removals.blocked(v, p), what.equals("blocked"), "whether the removal of " + cmd.word(1) + " is blocked");
      }
      case "failure" -> equal(member(d, cmd.words(3)).getFailureCode().isEmpty() ? "none"
          : member(d, cmd).getFailureCode(), cmd.word(2), "failure code of " + cmd.word(1));
      case "evict-after" -> equal(member(d, cmd.words(3)).getEvictAfterMs() == 0 ? "none" : "set", cmd.word(2),
          "evict_after of " + cmd.word(1));
      case "measurement" -> equal(d.cast().measurementName(member(d, cmd.words(3)).getMeasurement().toByteArray()),
          cmd.word(2), "recorded measurement of " + cmd.word(1));
      case "epoch" -> equal(v.epoch(), Long.parseLong(cmd.words(2).word(1)), "epoch");
      case "beacon" -> equal(v.beacon().getSequence(), Long.parseLong(cmd.words(2).word(1)), "beacon sequence");
      case "wraps-exclude" -> {
        KeyEpoch epoch = d.lastEpoch();
        require(epoch != null, "no epoch was accepted yet");
        String id = id(d, cmd);
        require(!epoch.getMemberIdsList().contains(id) && epoch.getWrapsList().stream().noneMatch(
            w -> w.getNodeId().equals(id)), "epoch " + epoch.getEpoch() + " still wraps its secret to " + cmd.word(1));
      }
      case "diversity" -> equal(Roles.satisfied(v) ? "satisfied" : "violated", cmd.words(2).word(1), "diversity");
      case "rotation-requested" -> equal(v.rotationRequested() ? "yes" : "no", cmd.words(2).word(1),
          "rotation requested");
      case "proposal" -> equal(record(d, cmd.words(3).word(1)).getStatus().name(), cmd.word(2),
          "status of proposal " + cmd.word(1) + " (" + record(d, cmd.word(1)).getOutcome() + ")");
      case "approvals" -> equal(new TreeSet<>(record(d, cmd.words(3).word(1)).getApprovalsList()), set(cmd, 2),
          "approvals of " + cmd.word(1));
      case "operators" -> {
        equal(new TreeSet<>(v.operators().stream().map(Operator::getName).toList()), set(cmd.words(2), 1), "operators");
        equal(v.governanceThreshold(), Integer.parseInt(cmd.option("threshold", String.valueOf(
            v.governanceThreshold()))), "governance threshold");
      }
      case "policy-allows" -> equal(new TreeSet<>(v.policy().getAllowedMeasurementsList().stream()
          .map(m -> d.cast().measurementName(m.toByteArray())).toList()), set(cmd.words(2), 1), "allowed measurements");
      case "protocol" -> equal(v.protocolVersion(), Long.parseLong(cmd.words(2).word(1)), "active protocol version");
      case "supports" -> equal(ProtocolVersions.supportedBy(member(d, cmd.words(3))), Long.parseLong(cmd.word(2)),
          "protocol version " + cmd.word(1) + " advertised");
      default -> throw new IllegalArgumentException("unknown expectation '" + what + "'");
    }
  }

  private static void eachResult(ScenarioDriver d, java.util.function.Predicate<Result> ok, String expected) {
    require(!d.lastBatch().isEmpty(), "the previous command committed no entry");
    for (Result r : d.lastBatch()) {
      if (!ok.test(r)) {
        throw new AssertionError("expected " + expected + ", but the " + r.kind() + " entry was "
            + (r.accepted() ? "accepted" : "refused") + " with " + r.code() + ": " + r.reason());
      }
    }
  }

  private static MemberRole role(String word) {
    return switch (word) {
      case "voter" -> MemberRole.VOTER;
      case "listener" -> MemberRole.LISTENER;
      default -> throw new IllegalArgumentException("a role is 'voter' or 'listener', not '" + word + "'");
    };
  }

  /** The id of the node named by word 1. */
  private static String id(ScenarioDriver d, ScenarioCommand cmd) {
    return d.cast().node(cmd.word(1)).id();
  }

  private static MemberRecord member(ScenarioDriver d, ScenarioCommand cmd) {
    return d.view().member(id(d, cmd)).orElseThrow(() -> new AssertionError(cmd.word(1) + " is not a member"));
  }

  private static ProposalRecord record(ScenarioDriver d, String name) {
    var signed = d.proposal(name).orElseThrow(() -> new IllegalArgumentException("no proposal named " + name));
    try {
      return d.replica().ledger().get(GovernanceMessages.proposalId(signed))
          .orElseThrow(() -> new AssertionError("proposal " + name + " was never recorded"));
    } catch (dev.veilraft.state.StateException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TreeSet<String> names(ScenarioDriver d, List<MemberRecord> members) {
    return new TreeSet<>(members.stream().map(m -> d.cast().nameOf(m.getNodeId())).toList());
  }

  private static String pendingNames(ScenarioDriver d) {
    return d.view().pendingRemovals().stream().map(p -> d.cast().nameOf(p.getNodeId()) + " " + p.getReason()).toList()
        .toString();
  }

  /** Word {@code i} as a comma-separated set; {@code none} is the empty set. */
  private static TreeSet<String> set(ScenarioCommand cmd, int i) {
    String value = cmd.word(i);
    return value.equals("none") ? new TreeSet<>() : new TreeSet<>(List.of(value.split(",")));
  }

  private static void equal(Object actual, Object expected, String what) {
    if (!actual.equals(expected)) {
      throw new AssertionError("expected " + what + " to be " + expected + ", but it is " + actual);
    }
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new AssertionError(message);
    }
  }
}
