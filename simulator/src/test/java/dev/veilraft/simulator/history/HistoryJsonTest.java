package dev.veilraft.simulator.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryJsonTest {
  @TempDir Path dir;

  @Test
  void eventsRoundTripThroughTheDocumentedJsonLinesFormat() throws Exception {
    // Proves the recorder writes one object per line with the documented keys, and the reader gets the same events.
    Path file = dir.resolve("h.jsonl");
    HistoryEvent cas = new HistoryEvent(3, HistoryEvent.Type.INVOKE, "cas", "k1",
        JsonNodeFactory.instance.arrayNode().addNull().add("v2"), 1500, "n2", null);
    HistoryEvent info = new HistoryEvent(3, HistoryEvent.Type.INFO, "cas", "k1", null, 9000, "n2", "TIMEOUT");
    try (HistoryRecorder recorder = new HistoryRecorder(file)) {
      recorder.record(cas);
      recorder.record(info);
    }
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).isEqualTo("{\"process\":3,\"type\":\"invoke\",\"f\":\"cas\",\"key\":\"k1\","
        + "\"value\":[null,\"v2\"],\"time_ns\":1500,\"node\":\"n2\"}");
    assertThat(lines.get(1)).contains("\"type\":\"info\"").contains("\"error\":\"TIMEOUT\"");
    assertThat(HistoryJson.read(file)).containsExactly(cas, info);
  }

  @Test
  void badLinesAreRefusedWithWhereAndWhat() {
    // Proves a malformed history names the line and the field instead of failing obscurely.
    assertThatThrownBy(() -> HistoryJson.parseLine("{\"process\":1,\"type\":\"done\",\"f\":\"read\",\"time_ns\":1}", "h:7"))
        .isInstanceOf(HistoryFormatException.class).hasMessageContaining("h:7").hasMessageContaining("'done'");
    assertThatThrownBy(() -> HistoryJson.parseLine("{\"process\":\"x\",\"type\":\"ok\",\"f\":\"read\",\"time_ns\":1}", "h:8"))
        .hasMessageContaining("'process' must be an integer");
    assertThatThrownBy(() -> HistoryJson.parseLine("[1,2]", "h:9")).hasMessageContaining("expected a JSON object");
    assertThatThrownBy(() -> HistoryJson.parseLine("{not json", "h:10")).hasMessageContaining("not JSON");
    assertThatThrownBy(() -> HistoryJson.parseLine("{\"process\":1,\"type\":\"ok\",\"f\":\"read\",\"time_ns\":-5}", "h:11"))
        .hasMessageContaining("negative");
  }

  @Test
  void pairingRefusesImpossibleSequences() {
    // Proves the pairing of invocations and completions rejects histories no client could produce.
    HistoryEvent invoke = new HistoryEvent(1, HistoryEvent.Type.INVOKE, "read", "k", null, 10, "n1", null);
    HistoryEvent okOther = new HistoryEvent(1, HistoryEvent.Type.OK, "write", "k", null, 20, "n1", null);
    HistoryEvent orphan = new HistoryEvent(2, HistoryEvent.Type.OK, "read", "k", null, 20, "n1", null);
    HistoryEvent early = new HistoryEvent(1, HistoryEvent.Type.OK, "read", "k", null, 5, "n1", null);
    assertThatThrownBy(() -> Operations.pair(List.of(invoke, invoke))).hasMessageContaining("still open");
    assertThatThrownBy(() -> Operations.pair(List.of(invoke, okOther))).hasMessageContaining("but invoked read");
    assertThatThrownBy(() -> Operations.pair(List.of(orphan))).hasMessageContaining("never invoked");
    assertThatThrownBy(() -> Operations.pair(List.of(invoke, early))).hasMessageContaining("before its invocation");
  }

  @Test
  void anOpenInvocationIsIndeterminate() throws Exception {
    // Proves an invocation without completion becomes an info operation that never completes.
    HistoryEvent invoke = new HistoryEvent(1, HistoryEvent.Type.INVOKE, "write", "k",
        JsonNodeFactory.instance.textNode("v"), 10, "n1", null);
    Operation op = Operations.pair(List.of(invoke)).get(0);
    assertThat(op.indeterminate()).isTrue();
    assertThat(op.completeNs()).isEqualTo(Operation.OPEN);
  }
}
