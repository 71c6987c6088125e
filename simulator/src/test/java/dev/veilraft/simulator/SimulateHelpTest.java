package dev.veilraft.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veilraft.simulator.fault.FaultKind;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code simulate --help} says exactly which faults each mode runs, from the table that refuses the others. */
class SimulateHelpTest {
  @Test
  void theHelpListsPerModeEveryFaultAsRunOrNotRunExactlyAsTheRunDecides() {
    // Proves each fault appears once per mode, as run or as "not" with the refusal's reason, matching supported().
    StringWriter text = new StringWriter();
    CommandLine cli = SimulatorMain.commandLine();
    cli.setOut(new PrintWriter(text));
    assertThat(cli.execute("simulate", "--help")).isZero();
    // Picocli wraps lines (also inside long words): compare without whitespace.
    String help = flat(text.toString());
    assertThat(help).doesNotContain(flat("does not exist yet")).doesNotContain(flat("not supported in either mode"));

    List<String> lines = FaultKind.modesHelp();
    int processHeading = lines.indexOf(lines.stream().filter(l -> l.startsWith("--processes")).findFirst().orElseThrow());
    for (boolean processMode : new boolean[] {false, true}) {
      List<String> section = processMode ? lines.subList(processHeading + 1, lines.size())
          : lines.subList(1, processHeading);
      for (FaultKind k : FaultKind.values()) {
        boolean listedAsRun = section.stream().anyMatch(l -> !l.startsWith("  not ")
            && List.of(l.trim().split(":")[0].split(", ")).contains(k.cliName()));
        boolean listedAsNot = section.stream().anyMatch(l -> l.startsWith("  not " + k.cliName() + ":"));
        assertThat(listedAsRun).as("%s listed as run in %s mode", k.cliName(), processMode ? "process" : "in-JVM")
            .isEqualTo(k.supported(processMode));
        assertThat(listedAsNot).as("%s listed as not run", k.cliName()).isEqualTo(!k.supported(processMode));
        if (!k.supported(processMode)) {
          assertThat(help).contains(flat(k.unsupportedReason(processMode)));
        }
      }
    }
    for (String line : lines) {
      assertThat(help).contains(flat(line));
    }
    assertThat(help).contains(flat("skew: write the node's INSECURE clock offset file"), flat("disk: fill a size-limited tmpfs"));
  }

  private static String flat(String text) {
    return text.replaceAll("\\s+", "");
  }
}
