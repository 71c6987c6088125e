package dev.veilraft.simulator.check;

import dev.veilraft.simulator.history.HistoryFormatException;
import dev.veilraft.simulator.history.Operation;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Linearizability of a key-value history of compare-and-set registers, by the Wing-Gong search
 * with Lowe's memoization (the algorithm of Lowe, "Testing for linearizability", 2017, as
 * Porcupine implements it), one key at a time: registers are independent, so the history is
 * linearizable exactly when every key's sub-history is.
 *
 * <p>The search walks the history's invocations and completions in time order and tries to
 * linearize each pending operation whose outcome the register allows; when it meets the
 * completion of an operation it has not linearized, it backtracks. A cache of (linearized set,
 * register state) pairs already explored keeps it from repeating work. Indeterminate operations
 * complete "after everything", so they may take effect at any point after their invocation, or at
 * the very end where nobody observes them, which is the same as never.
 */
public final class LinearizabilityChecker {
  public static final String NAME = "linearizable";
  /** Search steps allowed per key before the checker gives up and says it cannot tell. */
  public static final long searchStepsPerKeyMax = 5_000_000;

  private final long stepsMax;

  public LinearizabilityChecker() {
    this(searchStepsPerKeyMax);
  }

  LinearizabilityChecker(long stepsMax) {
    this.stepsMax = stepsMax;
  }

  /** The result for one key: linearizable, not, or undecided within the step budget. */
  public record KeyResult(String key, Outcome outcome, int operations, String explanation) {}

  /** The search's answer for one key. */
  public enum Outcome { LINEARIZABLE, NOT_LINEARIZABLE, UNKNOWN }

  public Verdict check(List<Operation> operations) {
    try {
      List<KeyResult> results = checkKeys(operations);
      int total = 0;
      for (KeyResult r : results) {
        total += r.operations();
        if (r.outcome() != Outcome.LINEARIZABLE) {
          return Verdict.fail(NAME, Verdict.Kind.SAFETY, r.explanation());
        }
      }
      return Verdict.pass(NAME, Verdict.Kind.SAFETY, results.size() + " keys, " + total + " operations linearizable");
    } catch (HistoryFormatException e) {
      return Verdict.fail(NAME, Verdict.Kind.SAFETY, "history is malformed: " + e.getMessage());
    }
  }

  /** Checks every key; results in key order. */
  public List<KeyResult> checkKeys(List<Operation> operations) throws HistoryFormatException {
    Map<String, List<RegisterOp>> byKey = new TreeMap<>();
    for (Operation op : operations) {
      Optional<RegisterOp> r = RegisterOp.of(op);
      if (r.isPresent()) {
        if (op.key() == null) {
          throw new HistoryFormatException("operation " + op.id() + " (" + op.f() + ") has no key");
        }
        byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(r.get());
      }
    }
    List<KeyResult> results = new ArrayList<>();
    for (Map.Entry<String, List<RegisterOp>> e : byKey.entrySet()) {
      results.add(checkKey(e.getKey(), withoutUnobservedIndeterminate(e.getValue())));
    }
    return results;
  }

  /**
   * Drops indeterminate writes and compare-and-sets whose value no determinate operation observed
   * (no ok read returned it, no successful compare-and-set expected it). Such an operation can
   * always be placed at the very end, where it changes nothing anyone saw, so the history is
   * linearizable with it exactly when it is without it; and every one left in multiplies the
   * search, since it stays pending to the end.
   */
  static List<RegisterOp> withoutUnobservedIndeterminate(List<RegisterOp> ops) {
    Set<String> observed = new HashSet<>();
    for (RegisterOp op : ops) {
      if (op.determinate()) {
        if (op.kind() == RegisterOp.Kind.READ && op.value() != null) {
          observed.add(op.value());
        } else if (op.kind() == RegisterOp.Kind.CAS && op.expected() != null) {
          observed.add(op.expected());
        }
      }
    }
    List<RegisterOp> kept = new ArrayList<>(ops.size());
    for (RegisterOp op : ops) {
      if (op.determinate() || observed.contains(op.value())) {
        kept.add(op);
      }
    }
    return kept;
  }

  /** An invocation or completion in the search's doubly linked list. */
  private static final class Entry {
    final int id;
    final RegisterOp op;
    final boolean call;
    final long time;
    Entry match;
    Entry prev;
    Entry next;

    Entry(int id, RegisterOp op, boolean call, long time) {
      this.id = id;
      this.op = op;
      this.call = call;
      this.time = time;
    }
  }

  private record Explored(BitSet linearized, Object state) {}

  private record Frame(Entry entry, String state) {}

  KeyResult checkKey(String key, List<RegisterOp> ops) {
    Entry head = buildList(ops);
    BitSet linearized = new BitSet(ops.size());
    Set<Explored> cache = new HashSet<>();
    List<Frame> stack = new ArrayList<>();
    String state = null;
    Entry entry = head.next;
    int deepest = 0;
    Entry stuckAt = null;
    long steps = 0;
    while (head.next != null) {
      if (++steps > stepsMax) {
        return new KeyResult(key, Outcome.UNKNOWN, ops.size(), "key " + key + ": undecided after " + stepsMax
            + " search steps over " + ops.size() + " operations");
      }
      if (entry.call) {
        Object next = entry.op.step(state);
        boolean advanced = false;
        if (next != RegisterOp.IMPOSSIBLE) {
          BitSet candidate = (BitSet) linearized.clone();
          candidate.set(entry.id);
          if (cache.add(new Explored(candidate, next))) {
            stack.add(new Frame(entry, state));
            state = (String) next;
            linearized.set(entry.id);
            lift(entry);
            entry = head.next;
            advanced = true;
            if (stack.size() > deepest) {
              deepest = stack.size();
            }
          }
        }
        if (!advanced) {
          entry = entry.next;
        }
      } else {
        if (stack.size() >= deepest) {
          stuckAt = entry;
        }
        if (stack.isEmpty()) {
          return new KeyResult(key, Outcome.NOT_LINEARIZABLE, ops.size(), explain(key, ops, stuckAt, deepest));
        }
        Frame top = stack.remove(stack.size() - 1);
        entry = top.entry();
        state = top.state();
        linearized.clear(entry.id);
        unlift(entry);
        entry = entry.next;
      }
    }
    return new KeyResult(key, Outcome.LINEARIZABLE, ops.size(), "key " + key + " linearizable");
  }

  private static String explain(String key, List<RegisterOp> ops, Entry stuckAt, int deepest) {
    String blocked = stuckAt == null ? "?" : stuckAt.op.describe();
    return "key " + key + ": no order of its " + ops.size() + " operations explains the results; the longest"
        + " linearizable prefix has " + deepest + " operations, after which [" + blocked
        + "] completed without any state allowing its outcome";
  }

  /**
   * The history as a list: invocations and completions by time; at equal times invocations come
   * first, so operations that touch in time count as concurrent (the permissive choice).
   */
  private static Entry buildList(List<RegisterOp> ops) {
    List<Entry> entries = new ArrayList<>(ops.size() * 2);
    for (int i = 0; i < ops.size(); i++) {
      RegisterOp op = ops.get(i);
      Entry call = new Entry(i, op, true, op.op().invokeNs());
      Entry ret = new Entry(i, op, false, op.op().completeNs());
      call.match = ret;
      ret.match = call;
      entries.add(call);
      entries.add(ret);
    }
    entries.sort((a, b) -> {
      int byTime = Long.compare(a.time, b.time);
      if (byTime != 0) {
        return byTime;
      }
      return Boolean.compare(!a.call, !b.call);
    });
    Entry head = new Entry(-1, null, false, Long.MIN_VALUE);
    Entry last = head;
    for (Entry e : entries) {
      last.next = e;
      e.prev = last;
      last = e;
    }
    return head;
  }

  /** Takes an invocation and its completion out of the list. */
  private static void lift(Entry call) {
    call.prev.next = call.next;
    if (call.next != null) {
      call.next.prev = call.prev;
    }
    Entry ret = call.match;
    ret.prev.next = ret.next;
    if (ret.next != null) {
      ret.next.prev = ret.prev;
    }
  }

  /** Puts them back, in the reverse order of {@link #lift}. */
  private static void unlift(Entry call) {
    Entry ret = call.match;
    ret.prev.next = ret;
    if (ret.next != null) {
      ret.next.prev = ret;
    }
    call.prev.next = call;
    if (call.next != null) {
      call.next.prev = call;
    }
  }
}
