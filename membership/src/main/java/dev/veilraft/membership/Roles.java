package dev.veilraft.membership;

import dev.veilraft.membership.proto.DiversityAction;
import dev.veilraft.membership.proto.MemberRecord;
import dev.veilraft.membership.proto.MemberRole;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The diversity rule: no single operator may hold enough voting members to form a Raft majority
 * alone. A voter set V satisfies it when, for every operator, 2 × (its voters in V) ≤ |V|; a
 * single founding voter is exempt, and the rule is off when the genesis says so or lists one
 * operator. Roles are a pure function of the member set ({@link #rebalance}): the most senior
 * members vote, later ones of an operator that would hold a majority listen, and they are
 * promoted as soon as other operators' voters make room.
 */
public final class Roles {
  private Roles() {}

  /** Whether the rule applies to this cluster at all. */
  public static boolean enforced(MembershipView view) {
    return view.genesis().diversity() != DiversityAction.DIVERSITY_OFF
        && view.operators().size() > 1;
  }

  /** Whether {@code voters} (operator names, one per voter) satisfies the rule. */
  static boolean balanced(List<String> voterOperators) {
    if (voterOperators.size() <= 1) {
      return true;
    }
    Map<String, Integer> counts = new HashMap<>();
    for (String op : voterOperators) {
      counts.merge(op, 1, Integer::sum);
    }
    int total = voterOperators.size();
    return counts.values().stream().allMatch(c -> 2 * c <= total);
  }

  /**
   * Recomputes every member's role. The voter set is the largest one that keeps every operator at
   * no more than half of the votes, and within an operator its most senior members (by admission)
   * vote: start with everyone, and while an operator holds more than half, take a vote from its
   * most junior voter. Seniority makes it stable: a later join never takes an earlier member's
   * vote. If that leaves no voter (one operator runs every member), the most senior member votes.
   * Returns {@code view} itself when nothing changes.
   */
  public static MembershipView rebalance(MembershipView view) {
    if (!view.initialized() || view.members().isEmpty()) {
      return view;
    }
    List<MemberRecord> byAdmission = new ArrayList<>(view.members().values());
    byAdmission.sort(Comparator.comparingLong(MemberRecord::getAdmittedIndex).thenComparing(MemberRecord::getNodeId));
    Map<String, Integer> seats = new TreeMap<>();
    for (MemberRecord m : byAdmission) {
      seats.merge(m.getOperator(), 1, Integer::sum);
    }
    if (enforced(view)) {
      while (true) {
        int total = seats.values().stream().mapToInt(Integer::intValue).sum();
        var largest = seats.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        if (total == 0 || 2 * largest.getValue() <= total) {
          break;
        }
        largest.setValue(largest.getValue() - 1);
      }
    }
    int voters = seats.values().stream().mapToInt(Integer::intValue).sum();
    Map<String, Integer> used = new HashMap<>();
    List<MemberRecord> updated = new ArrayList<>();
    boolean changed = false;
    for (MemberRecord m : byAdmission) {
      int rank = used.merge(m.getOperator(), 1, Integer::sum);
      boolean votes = voters == 0 ? updated.isEmpty() : rank <= seats.get(m.getOperator());
      MemberRole role = votes ? MemberRole.VOTER : MemberRole.LISTENER;
      changed |= role != m.getRole();
      updated.add(role == m.getRole() ? m : m.toBuilder().setRole(role).build());
    }
    return changed ? view.withMembers(updated) : view;
  }

  /** Whether the voters of {@code view} satisfy the rule (false means the status should say so). */
  public static boolean satisfied(MembershipView view) {
    return !enforced(view) || balanced(view.voters().stream().map(MemberRecord::getOperator).toList());
  }

  /** Raft majority of {@code voters} members. */
  public static int quorum(int voters) {
    return voters / 2 + 1;
  }
}
