package dev.veilraft.simulator.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.veilraft.simulator.Simulation;
import dev.veilraft.simulator.check.Verdict;
import dev.veilraft.simulator.fault.FaultKind;
import dev.veilraft.simulator.fault.FaultWindow;
import dev.veilraft.simulator.fault.Timeline;
import dev.veilraft.simulator.history.HistoryEvent;
import dev.veilraft.simulator.history.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
  @TempDir Path dir;

  private static Simulation.Result result(List<Verdict> verdicts) {
    Timeline timeline = new Timeline();
    timeline.add(new FaultWindow(0, FaultKind.PARTITION, "partition ring", 1_000_000_000L, 3_000_000_000L,
        "cut ring {n1,n2,n3}; healed", true));
    timeline.add(new FaultWindow(1, FaultKind.ROGUE_MEASUREMENT, "rogue-measurement: n4 tries to join",
        4_000_000_000L, 4_500_000_000L, "refused by n1: MEASUREMENT_NOT_ALLOWED", true));
    List<Operation> ops = List.of(
        new Operation(0, 0, "write", "k", JsonNodeFactory.instance.textNode("v"), HistoryEvent.Type.OK, null,
            100_000_000L, 150_000_000L, "n1", null),
        new Operation(1, 1, "read", "k", null, HistoryEvent.Type.FAIL, null, 2_000_000_000L, 2_900_000_000L, "n2",
            "TIMEOUT"),
        new Operation(2, 2, "write", "k", JsonNodeFactory.instance.textNode("w"), HistoryEvent.Type.INFO, null,
            2_100_000_000L, Operation.OPEN, "n3", "TIMEOUT"));
    return new Simulation.Result(verdicts, ops, timeline, Path.of("history.jsonl"), 120, 40, List.of(), 1_000_000);
  }

  @Test
  void theLastLineNamesTheFirstFailedCheckerOrSaysOk() {
    // Proves the exact last-line format: OK with the operation count, or FAILED with the first failing checker.
    Simulation.Result ok = result(List.of(Verdict.pass("linearizable", Verdict.Kind.SAFETY, "fine")));
    assertThat(Summary.lastLine(42, ok)).isEqualTo("simulate OK seed=42 ops=3");
    Simulation.Result failed = result(List.of(Verdict.pass("linearizable", Verdict.Kind.SAFETY, "fine"),
        Verdict.fail("no-lost-writes", Verdict.Kind.SAFETY, "key k: lost\nsecond line"),
        Verdict.fail("liveness", Verdict.Kind.LIVENESS, "stuck")));
    assertThat(Summary.lastLine(42, failed)).isEqualTo("simulate FAILED seed=42 no-lost-writes: key k: lost second line");
    assertThat(Summary.lines(failed)).anyMatch(l -> l.contains("operations 3: ok 1, fail 1, info 1"))
        .anyMatch(l -> l.contains("partition") && l.contains("cut ring"));
  }

  @Test
  void theHtmlReportEmbedsTheChartAndWritesThePng() throws Exception {
    // Proves the report directory gets a self-contained page (chart inlined, verdicts, timeline) and a real PNG.
    Simulation.Result r = result(List.of(Verdict.fail("attacks", Verdict.Kind.SAFETY, "a <b>bad</b> one")));
    Path html = HtmlReport.write(dir, r, "veilraft simulate --seed 42", Summary.lastLine(42, r), List.of("#0 at 1.0 s"));
    String page = Files.readString(html);
    assertThat(page).contains("data:image/png;base64,").contains("partition ring").contains("a &lt;b&gt;bad&lt;/b&gt; one")
        .contains("simulate FAILED seed=42 attacks");
    byte[] png = Files.readAllBytes(dir.resolve(HtmlReport.PNG));
    assertThat(png).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
  }
}
