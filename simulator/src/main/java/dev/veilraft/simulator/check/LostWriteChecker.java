package dev.veilraft.simulator.check;

import dev.veilraft.simulator.history.HistoryFormatException;
import dev.veilraft.simulator.history.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * No acknowledged write is lost: after the faults healed, a final read of every key (operation
 * {@code final-read}) must return a value that no acknowledged write superseded. Values are
 * unique per run, so the final value names its writer x; the write is lost when some other
 * acknowledged write w (an ok write, or an ok compare-and-set) began only after x completed,
 * since then w must come after x in any order and the key should not hold x's value any more.
 * A final read of "absent" loses every acknowledged write of the key. Every key that was written
 * must have a final read; a key without one is reported, since nothing says its writes survived.
 */
public final class LostWriteChecker {
  public static final String NAME = "no-lost-writes";

  public Verdict check(List<Operation> operations) {
    try {
      return checkOrThrow(operations);
    } catch (HistoryFormatException e) {
      return Verdict.fail(NAME, Verdict.Kind.SAFETY, "history is malformed: " + e.getMessage());
    }
  }

  private Verdict checkOrThrow(List<Operation> operations) throws HistoryFormatException {
    Map<String, List<RegisterOp>> writesByKey = new TreeMap<>();
    Map<String, List<RegisterOp>> finalReads = new HashMap<>();
    for (Operation op : operations) {
      Optional<RegisterOp> r = RegisterOp.of(op);
      if (r.isEmpty()) {
        continue;
      }
      RegisterOp reg = r.get();
      if (reg.kind() == RegisterOp.Kind.READ) {
        if (op.f().equals(RegisterOp.FINAL_READ)) {
          finalReads.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(reg);
        }
        continue;
      }
      writesByKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(reg);
    }
    int acknowledged = 0;
    TreeSet<String> unread = new TreeSet<>();
    for (Map.Entry<String, List<RegisterOp>> e : writesByKey.entrySet()) {
      String key = e.getKey();
      List<RegisterOp> writes = e.getValue();
      List<RegisterOp> acked = writes.stream().filter(RegisterOp::determinate).toList();
      acknowledged += acked.size();
      List<RegisterOp> reads = finalReads.getOrDefault(key, List.of());
      if (reads.isEmpty()) {
        if (!acked.isEmpty()) {
          unread.add(key);
        }
        continue;
      }
      for (RegisterOp read : reads) {
        Optional<Verdict> lost = judge(key, read, writes, acked);
        if (lost.isPresent()) {
          return lost.get();
        }
      }
    }
    if (!unread.isEmpty()) {
      return Verdict.fail(NAME, Verdict.Kind.SAFETY, unread.size() + " written keys have no final read, so their "
          + "acknowledged writes cannot be confirmed (first: " + unread.first() + ")");
    }
    return Verdict.pass(NAME, Verdict.Kind.SAFETY, acknowledged + " acknowledged writes to " + writesByKey.size()
        + " keys, none lost");
  }

  /** A violation that one final read shows, if any. */
  private static Optional<Verdict> judge(String key, RegisterOp read, List<RegisterOp> writes, List<RegisterOp> acked) {
    String where = " (final read through " + read.op().node() + ")";
    if (read.value() == null) {
      if (acked.isEmpty()) {
        return Optional.empty();
      }
      RegisterOp w = acked.get(acked.size() - 1);
      return Optional.of(Verdict.fail(NAME, Verdict.Kind.SAFETY, "key " + key + " reads absent at the end" + where
          + ", but " + w.describe() + " was acknowledged at " + ms(w.op().completeNs())));
    }
    RegisterOp writer = writes.stream().filter(w -> read.value().equals(w.value())).findFirst().orElse(null);
    if (writer == null) {
      return Optional.of(Verdict.fail(NAME, Verdict.Kind.SAFETY, "key " + key + " reads '" + read.value()
          + "' at the end" + where + ", a value no operation ever wrote"));
    }
    for (RegisterOp w : acked) {
      if (w != writer && writer.op().precedes(w.op())) {
        return Optional.of(Verdict.fail(NAME, Verdict.Kind.SAFETY, "key " + key + ": " + w.describe()
            + " (acknowledged at " + ms(w.op().completeNs()) + ") is lost: the final value '" + read.value() + "'"
            + where + " was written by " + writer.describe() + ", which completed at " + ms(writer.op().completeNs())
            + ", before it began"));
      }
    }
    return Optional.empty();
  }

  private static String ms(long ns) {
    return String.format(java.util.Locale.ROOT, "%.3f s", ns / 1e9);
  }
}
