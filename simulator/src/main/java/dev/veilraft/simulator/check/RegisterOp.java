package dev.veilraft.simulator.check;

import com.fasterxml.jackson.databind.JsonNode;
import dev.veilraft.simulator.history.HistoryFormatException;
import dev.veilraft.simulator.history.Operation;
import java.util.Objects;
import java.util.Optional;

/**
 * One operation on a compare-and-set register, as the linearizability search sees it: a read
 * that returned a value (null: the key was absent), a write, or a compare-and-set (expected null:
 * the key must be absent). Indeterminate writes and compare-and-sets may have taken effect or
 * not; failed operations and reads that did not return are left out, because they changed nothing
 * and said nothing.
 */
record RegisterOp(Operation op, Kind kind, String value, String expected, boolean determinate) {
  enum Kind { READ, WRITE, CAS }

  static final String READ = "read";
  static final String FINAL_READ = "final-read";
  static final String WRITE = "write";
  static final String CAS = "cas";

  /** The register operation of a key-value history operation, or empty when it constrains nothing. */
  static Optional<RegisterOp> of(Operation op) throws HistoryFormatException {
    switch (op.f()) {
      case READ, FINAL_READ -> {
        if (!op.ok()) {
          return Optional.empty();
        }
        return Optional.of(new RegisterOp(op, Kind.READ, text(op.result(), op, "result"), null, true));
      }
      case WRITE -> {
        if (op.failed()) {
          return Optional.empty();
        }
        String value = text(op.argument(), op, "value");
        if (value == null) {
          throw new HistoryFormatException(where(op) + ": write of null; writes carry a string value");
        }
        return Optional.of(new RegisterOp(op, Kind.WRITE, value, null, op.ok()));
      }
      case CAS -> {
        if (op.failed()) {
          return Optional.empty();
        }
        JsonNode arg = op.argument();
        if (arg == null || !arg.isArray() || arg.size() != 2 || arg.get(1).isNull()) {
          throw new HistoryFormatException(where(op) + ": cas value must be [expected or null, new], got " + arg);
        }
        return Optional.of(new RegisterOp(op, Kind.CAS, text(arg.get(1), op, "new value"),
            text(arg.get(0), op, "expected value"), op.ok()));
      }
      default -> throw new HistoryFormatException(where(op) + ": f '" + op.f()
          + "' is not a key-value operation (read, final-read, write, cas)");
    }
  }

  /**
   * Applies this operation to {@code state}; returns the new state, or {@link #IMPOSSIBLE} when
   * the operation's observed outcome cannot happen in that state.
   */
  Object step(String state) {
    return switch (kind) {
      case READ -> Objects.equals(state, value) ? state : IMPOSSIBLE;
      case WRITE -> value;
      case CAS -> {
        boolean matches = Objects.equals(state, expected);
        if (determinate) {
          yield matches ? value : IMPOSSIBLE;
        }
        yield matches ? value : state;
      }
    };
  }

  /** Marker returned by {@link #step} for an outcome that cannot happen. */
  static final Object IMPOSSIBLE = new Object();

  private static String text(JsonNode node, Operation op, String what) throws HistoryFormatException {
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isTextual()) {
      throw new HistoryFormatException(where(op) + ": " + what + " must be a string or null, got " + node);
    }
    return node.textValue();
  }

  private static String where(Operation op) {
    return "operation " + op.id() + " (process " + op.process() + ", " + op.f() + " " + op.key() + ")";
  }

  String describe() {
    String outcome = determinate ? "" : " (indeterminate)";
    return switch (kind) {
      case READ -> "p" + op.process() + " read " + op.key() + " -> " + value;
      case WRITE -> "p" + op.process() + " write " + op.key() + " := " + value + outcome;
      case CAS -> "p" + op.process() + " cas " + op.key() + " " + expected + " -> " + value + outcome;
    };
  }
}
