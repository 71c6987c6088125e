package dev.veilraft.membership;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One line of a scenario file, split into a verb, positional words and {@code key=value} options.
 * Every option must be read by the command that handles it: {@link #checkAllOptionsRead} fails on
 * the rest, so a misspelt option is an error naming the line instead of a silently ignored word.
 */
final class ScenarioCommand {
  /** Longest scenario line; longer lines are refused so a broken file cannot produce huge messages. */
  static final int LINE_CHARS_MAX = 400;
  private static final Pattern DURATION = Pattern.compile("([+-]?)(\\d{1,9})(ms|s|m|h|d)");

  final String file;
  final int line;
  final String text;
  final String verb;
  private final List<String> words;
  private final Map<String, String> options;
  private final Set<String> read = new java.util.HashSet<>();

  private ScenarioCommand(String file, int line, String text, String verb, List<String> words,
      Map<String, String> options) {
    this.file = file;
    this.line = line;
    this.text = text;
    this.verb = verb;
    this.words = words;
    this.options = options;
  }

  /** The command on {@code text}, or null for a blank or comment line. */
  static ScenarioCommand parse(String file, int line, String text) {
    String stripped = text.contains("#") ? text.substring(0, text.indexOf('#')) : text;
    stripped = stripped.strip();
    if (stripped.isEmpty()) {
      return null;
    }
    if (text.length() > LINE_CHARS_MAX) {
      throw new IllegalArgumentException(file + ":" + line + ": line is " + text.length() + " characters, at most "
          + LINE_CHARS_MAX);
    }
    String[] tokens = stripped.split("\\s+");
    List<String> words = new ArrayList<>();
    Map<String, String> options = new LinkedHashMap<>();
    for (int i = 1; i < tokens.length; i++) {
      int eq = tokens[i].indexOf('=');
      if (eq > 0) {
        if (options.put(tokens[i].substring(0, eq), tokens[i].substring(eq + 1)) != null) {
          throw new IllegalArgumentException(file + ":" + line + ": option '" + tokens[i].substring(0, eq)
              + "' is given twice");
        }
      } else {
        words.add(tokens[i]);
      }
    }
    return new ScenarioCommand(file, line, stripped, tokens[0], List.copyOf(words), options);
  }

  /** Where the command is, for failure messages: {@code file:line: `text`}. */
  String where() {
    return file + ":" + line + ": `" + text + "`";
  }

  int wordCount() {
    return words.size();
  }

  /** Positional word {@code i} (0 is the first word after the verb). */
  String word(int i) {
    if (i >= words.size()) {
      throw new IllegalArgumentException("'" + verb + "' needs at least " + (i + 1) + " word(s) after it");
    }
    return words.get(i);
  }

  List<String> wordsFrom(int i) {
    return i >= words.size() ? List.of() : words.subList(i, words.size());
  }

  /** Fails unless there are exactly {@code count} positional words. */
  ScenarioCommand words(int count) {
    if (words.size() != count) {
      throw new IllegalArgumentException("'" + verb + "' takes " + count + " word(s), got " + words);
    }
    return this;
  }

  String option(String key, String fallback) {
    read.add(key);
    return options.getOrDefault(key, fallback);
  }

  boolean has(String key) {
    read.add(key);
    return options.containsKey(key);
  }

  /** A comma-separated option as a list; empty when the option is absent. */
  List<String> list(String key) {
    String value = option(key, "");
    return value.isEmpty() ? List.of() : List.of(value.split(","));
  }

  /** An option that must be one of {@code allowed}. */
  String choice(String key, String fallback, String... allowed) {
    String value = option(key, fallback);
    if (value != null && !List.of(allowed).contains(value)) {
      throw new IllegalArgumentException("option " + key + "=" + value + " must be one of " + List.of(allowed));
    }
    return value;
  }

  /** A duration option such as {@code 10s}, {@code +1h} or {@code -500ms}, in milliseconds. */
  long durationMs(String key, long fallbackMs) {
    String value = option(key, null);
    return value == null ? fallbackMs : durationMs(value);
  }

  /** Parses {@code [+|-]N(ms|s|m|h|d)}. */
  static long durationMs(String value) {
    Matcher m = DURATION.matcher(value);
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + value + "' is not a duration like 10s, +1h or -500ms");
    }
    long n = Long.parseLong(m.group(2));
    long unit = switch (m.group(3)) {
      case "ms" -> 1;
      case "s" -> 1_000;
      case "m" -> 60_000;
      case "h" -> 3_600_000;
      default -> 86_400_000;
    };
    return (m.group(1).equals("-") ? -1 : 1) * n * unit;
  }

  /** Fails naming every option the command did not read (a typo, or an option of another command). */
  void checkAllOptionsRead() {
    List<String> unread = options.keySet().stream().filter(k -> !read.contains(k)).toList();
    if (!unread.isEmpty()) {
      throw new IllegalArgumentException("'" + verb + "' does not take option(s) " + unread);
    }
  }
}
