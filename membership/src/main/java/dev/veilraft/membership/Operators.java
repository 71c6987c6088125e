package dev.veilraft.membership;

import dev.veilraft.crypto.Check;
import dev.veilraft.crypto.Hashes;
import dev.veilraft.membership.proto.Operator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Rules for an operator set, shared by the genesis and by governance's set_operators: names are
 * unique and well formed, every key is a canonical P-256 SPKI used by one operator only (one
 * person holding two listed keys would count twice towards the threshold), every operator may run
 * at least one node, and the threshold lies in 1..operators.
 */
public final class Operators {
  public static final int OPERATORS_MAX = 32;
  /** Letters, digits, '.', '_' and '-', starting with a letter or digit: also usable as a file name. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Upper bound of an operator's nodes_max (the bound on admitted members). */
  public static final int NODES_MAX_LIMIT = GenesisDocument.MEMBERS_MAX_LIMIT;

  private Operators() {}

  /**
   * The first problem with {@code operators} and {@code threshold}, naming the field with
   * {@code prefix} (e.g. "" in a genesis, "set_operators." in a proposal); empty when valid.
   */
  public static Optional<String> problem(List<Operator> operators, int threshold, String prefix,
      String thresholdField) {
    if (operators.isEmpty()) {
      return Optional.of("field " + prefix + "operators is empty: at least one operator is required");
    }
    if (operators.size() > OPERATORS_MAX) {
      return Optional.of("field " + prefix + "operators has " + operators.size() + " entries, at most "
          + OPERATORS_MAX);
    }
    Map<String, Integer> names = new HashMap<>();
    Map<String, Integer> keys = new HashMap<>();
    for (int i = 0; i < operators.size(); i++) {
      Operator op = operators.get(i);
      String field = "field " + prefix + "operators[" + i + "]";
      if (!NAME.matcher(op.getName()).matches()) {
        return Optional.of(field + ".name '" + Check.printable(op.getName()) + "' must be 1-64 letters, digits, "
            + "'.', '_' or '-', starting with a letter or digit");
      }
      Integer before = names.putIfAbsent(op.getName(), i);
      if (before != null) {
        return Optional.of(field + ".name '" + op.getName() + "' repeats operators[" + before + "]");
      }
      Optional<String> key = OperatorKey.publicKeyProblem(op.getPublicKeySpki().toByteArray());
      if (key.isPresent()) {
        return Optional.of(field + ".public_key_spki (operator '" + op.getName() + "'): " + key.get());
      }
      Integer sameKey = keys.putIfAbsent(Hashes.hex(op.getPublicKeySpki().toByteArray()), i);
      if (sameKey != null) {
        return Optional.of(field + ".public_key_spki is the key of operators[" + sameKey + "] ('"
            + operators.get(sameKey).getName() + "'): one key would count twice towards the threshold");
      }
      if (op.getNodesMax() < 1 || op.getNodesMax() > NODES_MAX_LIMIT) {
        return Optional.of(field + ".nodes_max (operator '" + op.getName() + "') is "
            + Integer.toUnsignedString(op.getNodesMax()) + ", expected 1.." + NODES_MAX_LIMIT);
      }
    }
    if (threshold < 1 || threshold > operators.size()) {
      return Optional.of("field " + thresholdField + " is " + Integer.toUnsignedString(threshold) + ", expected 1.."
          + operators.size() + " (" + operators.size() + " operators are listed)");
    }
    return Optional.empty();
  }

  /** The operator named {@code name}, if listed. */
  public static Optional<Operator> find(List<Operator> operators, String name) {
    return operators.stream().filter(o -> o.getName().equals(name)).findFirst();
  }
}
