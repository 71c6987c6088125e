package dev.veilraft.node;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Environment-variable overrides of the node configuration, for containers. Every configuration
 * key has one variable: {@code VEILRAFT_} followed by the key path in upper snake case, each
 * camelCase word and each nesting level separated by {@code _}: {@code api.port} is
 * {@code VEILRAFT_API_PORT}, {@code simulated.vendorDir} is {@code VEILRAFT_SIMULATED_VENDOR_DIR},
 * {@code electionTimeoutMinMs} is {@code VEILRAFT_ELECTION_TIMEOUT_MIN_MS}. The table is derived
 * from {@link NodeConfig}'s record components, so a new key gets its variable without a second list.
 *
 * <p>An override replaces the file's value (and may add a key the file lacks); the result is
 * validated exactly like a file. A {@code VEILRAFT_*} variable that is not a key's variable but
 * looks like one (it starts with a section's prefix such as {@code VEILRAFT_API_}, or is a near
 * miss of a key's variable) is an error naming it, so a typo is not silently ignored. Variables
 * the launcher and container scripts use ({@link #RESERVED}) are never overrides.
 */
public final class ConfigEnvironment {
  public static final String PREFIX = "VEILRAFT_";
  /**
   * Variables that are not configuration overrides: read by the launcher, logging and the
   * container scripts (docker/bin). Documented in README.
   */
  public static final Set<String> RESERVED = Set.of("VEILRAFT_CONFIG", "VEILRAFT_PEER", "VEILRAFT_JAVA_OPTS",
      "VEILRAFT_JAR", "VEILRAFT_LOG_FORMAT", "VEILRAFT_LOG_LEVEL", "VEILRAFT_HEALTH_URL", "VEILRAFT_ENDORSEMENT_WAIT_S",
      "VEILRAFT_CHOWN", "VEILRAFT_OPERATORS", "VEILRAFT_OPERATORS_DIR", "VEILRAFT_THRESHOLD", "VEILRAFT_NODE_CONFIGS",
      "VEILRAFT_CLUSTER_DIR", "VEILRAFT_CLUSTER_NAME");
  /** A variable within this many edits of a key's variable is taken for a misspelt override. */
  static final int NEAR_MISS_EDITS_MAX = 2;
  /** Bounds what one variable may carry (paths, names, texts); a configuration file is bounded too. */
  static final int VALUE_CHARS_MAX = 4096;

  /** The type of a configuration leaf, as far as an override needs it. */
  public enum Kind { TEXT, INTEGER }

  /** One configuration key an environment variable can set. */
  public record Key(String path, String variable, Kind kind) {}

  /** One override found in the environment. */
  public record Override(Key key, String value) {}

  private static final Map<String, Key> KEYS = Collections.unmodifiableMap(keysOf(NodeConfig.class));

  private ConfigEnvironment() {}

  /** Every key an environment variable can set, by variable name (sorted). */
  public static Map<String, Key> keys() {
    return KEYS;
  }

  /**
   * The overrides in {@code environment}, in variable order; throws naming the first variable that
   * looks like an override but is none, or whose value cannot be one.
   */
  public static List<Override> overrides(Map<String, String> environment) throws ConfigException {
    List<Override> found = new ArrayList<>();
    for (Map.Entry<String, String> e : new TreeMap<>(environment).entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(PREFIX) || RESERVED.contains(name)) {
        continue;
      }
      Key key = KEYS.get(name);
      if (key == null) {
        String suggestion = looksLikeOverride(name);
        if (suggestion != null) {
          throw new ConfigException("environment variable " + name + " is not a configuration override"
              + suggestion + "; unset it or see README 'Node configuration' for the variables");
        }
        continue;
      }
      found.add(new Override(key, check(name, key, e.getValue())));
    }
    return List.copyOf(found);
  }

  private static String check(String name, Key key, String value) throws ConfigException {
    if (value.isEmpty()) {
      throw new ConfigException("environment variable " + name + " is empty, expected a value for key '" + key.path()
          + "' (unset it to keep the file's value)");
    }
    if (value.length() > VALUE_CHARS_MAX) {
      throw new ConfigException("environment variable " + name + " is " + value.length() + " characters, at most "
          + VALUE_CHARS_MAX);
    }
    if (key.kind() == Kind.INTEGER) {
      try {
        Integer.parseInt(value.trim());
      } catch (NumberFormatException notNumber) {
        throw new ConfigException("environment variable " + name + " is '" + value + "', expected an integer for key '"
            + key.path() + "'");
      }
    }
    return value;
  }

  /** Why {@code name} looks like a configuration override, or null when it does not. */
  private static String looksLikeOverride(String name) {
    String best = null;
    int bestEdits = Integer.MAX_VALUE;
    for (String variable : KEYS.keySet()) {
      int edits = editDistance(name, variable);
      if (edits < bestEdits) {
        bestEdits = edits;
        best = variable;
      }
    }
    if (best != null && bestEdits <= NEAR_MISS_EDITS_MAX) {
      return " (did you mean " + best + "?)";
    }
    for (Key key : KEYS.values()) {
      int dot = key.path().lastIndexOf('.');
      if (dot > 0) {
        String section = PREFIX + snake(key.path().substring(0, dot)) + "_";
        if (name.startsWith(section)) {
          return " (the section '" + key.path().substring(0, dot) + "' has no such key)";
        }
      }
    }
    return null;
  }

  /** The variable naming {@code path} ("api.port" to "VEILRAFT_API_PORT"). */
  public static String variableOf(String path) {
    return PREFIX + snake(path);
  }

  private static String snake(String path) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == '.') {
        out.append('_');
      } else if (Character.isUpperCase(c)) {
        out.append('_').append(c);
      } else {
        out.append(Character.toUpperCase(c));
      }
    }
    return out.toString().toUpperCase(Locale.ROOT);
  }

  private static Map<String, Key> keysOf(Class<?> record) {
    Map<String, Key> keys = new TreeMap<>();
    collect(record, "", keys);
    return keys;
  }

  private static void collect(Class<?> record, String prefix, Map<String, Key> keys) {
    for (RecordComponent component : record.getRecordComponents()) {
      JsonProperty property = component.getAnnotation(JsonProperty.class);
      if (property == null) {
        property = component.getAccessor().getAnnotation(JsonProperty.class);
      }
      String name = property != null && !property.value().isEmpty() ? property.value() : component.getName();
      String path = prefix + name;
      Class<?> type = component.getType();
      if (type.isRecord()) {
        collect(type, path + ".", keys);
      } else {
        Kind kind = type == int.class || type == Integer.class ? Kind.INTEGER : Kind.TEXT;
        dev.veilraft.crypto.Check.invariant(kind == Kind.INTEGER || type == String.class || type == Path.class,
            "configuration key " + path + " has type " + type + ", which no environment variable can carry");
        if (!NodeConfig.UNUSED_KEYS.contains(path)) {
          keys.put(variableOf(path), new Key(path, variableOf(path), kind));
        }
      }
    }
  }

  private static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
