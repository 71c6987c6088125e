package dev.veilraft.node.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One finished (or killed) process: exit code ({@code -1} when it could not be reaped), output. */
public record ProcessRun(String command, int exitCode, boolean timedOut, Duration timeout, Duration elapsed,
    String stdout, String stderr) {
  /** Characters of each stream quoted in a failure message. */
  static final int DESCRIBE_CHARS_MAX = 8_000;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The JSON lines of stdout, one per step (see interop-common.mjs); other lines are skipped. */
  public List<JsonNode> steps() {
    List<JsonNode> steps = new ArrayList<>();
    for (String line : stdout.lines().toList()) {
      if (line.startsWith("{")) {
        try {
          JsonNode node = JSON.readTree(line);
          if (node.hasNonNull("step")) {
            steps.add(node);
          }
        } catch (IOException notJson) {
          // A script's stray output is not a step.
        }
      }
    }
    return steps;
  }

  /** Every line of step {@code name} (a step such as 'req' may report several times). */
  public List<JsonNode> steps(String name) {
    return steps().stream().filter(s -> s.get("step").asText().equals(name)).toList();
  }

  /** The first line of step {@code name}, if the script reached it. */
  public Optional<JsonNode> step(String name) {
    return steps(name).stream().findFirst();
  }

  /** The names of the steps that passed, in order. */
  public List<String> passed() {
    return steps().stream().filter(s -> s.path("ok").asBoolean(false)).map(s -> s.get("step").asText()).toList();
  }

  /** The failure line ({@code "ok": false}), if any. */
  public Optional<JsonNode> failure() {
    return steps().stream().filter(s -> !s.path("ok").asBoolean(true)).findFirst();
  }

  /** For assertion messages: the command, how it ended, and the ends of both streams. */
  public String describe() {
    String end = timedOut ? "killed after " + timeout.toSeconds() + " s (timeout)" : "exit " + exitCode;
    return command + ": " + end + " in " + elapsed.toMillis() + " ms" + failure().map(f -> "\nfailed step: " + f)
        .orElse("") + "\n--- stdout ---\n" + clip(stdout) + "\n--- stderr ---\n" + clip(stderr);
  }

  private static String clip(String text) {
    return text.length() <= DESCRIBE_CHARS_MAX ? text : "[...]" + text.substring(text.length() - DESCRIBE_CHARS_MAX);
  }
}
