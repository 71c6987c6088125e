package dev.veilraft.node.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Dockerfile read the way the deployment tests need it, without a Docker engine: its
 * instructions (continuation lines joined, comments and parser directives dropped), the stage each
 * belongs to, and the defaults of its global {@code ARG}s.
 */
record ParsedDockerfile(List<Instruction> instructions, Map<String, String> globalArgs) {
  /** One instruction: keyword in upper case, its arguments as written, the stage (-1 before the first FROM). */
  record Instruction(String keyword, String arguments, int stage) {}

  private static final Pattern GLOBAL_ARG = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\\S+)");
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");

  static ParsedDockerfile read(Path file) throws IOException {
    List<String> logical = new ArrayList<>();
    StringBuilder pending = new StringBuilder();
    for (String line : Files.readAllLines(file)) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && pending.isEmpty())) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
        continue;
      }
      pending.append(trimmed);
      logical.add(pending.toString().strip());
      pending.setLength(0);
    }
    if (!pending.isEmpty()) {
      logical.add(pending.toString().strip());
    }
    List<Instruction> instructions = new ArrayList<>();
    Map<String, String> args = new LinkedHashMap<>();
    int stage = -1;
    for (String text : logical) {
      int space = text.indexOf(' ');
      String keyword = (space < 0 ? text : text.substring(0, space)).toUpperCase(Locale.ROOT);
      String arguments = space < 0 ? "" : text.substring(space + 1).strip();
      if (keyword.equals("FROM")) {
        stage++;
      }
      if (keyword.equals("ARG") && stage < 0) {
        Matcher m = GLOBAL_ARG.matcher(arguments);
        if (m.matches()) {
          args.put(m.group(1), m.group(2));
        }
      }
      instructions.add(new Instruction(keyword, arguments, stage));
    }
    return new ParsedDockerfile(List.copyOf(instructions), Map.copyOf(args));
  }

  List<Instruction> all(String keyword) {
    return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
  }

  List<Instruction> inStage(int stage, String keyword) {
    return all(keyword).stream().filter(i -> i.stage() == stage).toList();
  }

  int lastStage() {
    return all("FROM").size() - 1;
  }

  /** The last {@code keyword} instruction of the final stage (what the image runs with). */
  Optional<Instruction> finalStage(String keyword) {
    List<Instruction> found = inStage(lastStage(), keyword);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
  }

  /** {@code text} with {@code ${NAME}} replaced by the global ARG defaults. */
  String expand(String text) {
    Matcher m = VARIABLE.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      m.appendReplacement(out, Matcher.quoteReplacement(globalArgs.getOrDefault(m.group(1), m.group())));
    }
    m.appendTail(out);
    return out.toString();
  }
}
