package dev.veilraft.node.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.veilraft.node.Audit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The production logback.xml logs text by default and JSON lines when selected; audit fields become JSON fields. */
class LogFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Configures a fresh logback context from the production logback.xml with {@code format} and logs one line. */
  private static String logWithProductionConfig(String format) throws Exception {
    URL config = LogFormatTest.class.getResource("/logback.xml");
    assertThat(config).as("production logback.xml on the classpath").isNotNull();
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter());
    if (format != null) {
      context.putProperty(LogFormat.PROPERTY, format);
    }
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      configurator.doConfigure(config);
      context.getLogger("veilraft.audit").atInfo().addKeyValue("node", "n1").addKeyValue("reason", "DEBUG_ENABLED")
          .log("join.rejected node=n1 reason=DEBUG_ENABLED");
      if (format != null && !format.equals("text") && !format.equals("json")) {
        assertThat(context.getStatusManager().getCopyOfStatusList()).anySatisfy(s -> {
          assertThat(s.getLevel()).isEqualTo(Status.ERROR);
          assertThat(s.getMessage()).contains("'" + format + "'");
        });
      }
    } finally {
      System.setErr(original);
      context.stop();
    }
    return captured.toString(StandardCharsets.UTF_8);
  }

  @Test
  void textIsTheDefaultAndReadable() throws Exception {
    // Proves that without a selection a line is "time LEVEL logger - message" with the key=value fields.
    String out = logWithProductionConfig(null);
    assertThat(out).containsPattern("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  audit - join.rejected node=n1 reason=DEBUG_ENABLED");
  }

  @Test
  void jsonSelectsOneJsonObjectPerLineWithTheKeyValuePairs() throws Exception {
    // Proves format=json gives parseable JSON lines carrying level, logger, message and the audit fields.
    String out = logWithProductionConfig("json");
    String line = out.lines().filter(l -> l.contains("join.rejected")).findFirst().orElseThrow();
    JsonNode json = JSON.readTree(line);
    assertThat(json.get("level").asText()).isEqualTo("INFO");
    assertThat(json.get("loggerName").asText()).isEqualTo("veilraft.audit");
    assertThat(json.get("formattedMessage").asText()).isEqualTo("join.rejected node=n1 reason=DEBUG_ENABLED");
    assertThat(json.get("kvpList").toString()).contains("\"node\":\"n1\"").contains("\"reason\":\"DEBUG_ENABLED\"");
    assertThat(json.has("context")).isFalse();
  }

  @Test
  void anUnknownFormatFallsBackToTextAndSaysSo() throws Exception {
    // Proves a typo neither silences logging nor passes unnoticed: text lines plus a logback status error.
    String out = logWithProductionConfig("yaml");
    assertThat(out).contains("audit - join.rejected");
  }

  @Test
  void selectRefusesUnknownFormatsAndSetsTheProperty() {
    // Proves the CLI hook validates its argument and sets the property logback.xml reads.
    String before = System.getProperty(LogFormat.PROPERTY);
    try {
      assertThatThrownBy(() -> LogFormat.select("xml")).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'xml'");
      LogFormat.select("TEXT");
      assertThat(System.getProperty(LogFormat.PROPERTY)).isEqualTo("text");
      LoggerFactory.getLogger(LogFormatTest.class).info("logging still works after reconfiguration");
    } finally {
      if (before == null) {
        System.clearProperty(LogFormat.PROPERTY);
      } else {
        System.setProperty(LogFormat.PROPERTY, before);
      }
    }
  }

  @Test
  void selectSwitchesALoggingSystemThatAlreadyStartedWithTheProductionConfiguration() throws Exception {
    // Proves a --log-format applied after logback started from logback.xml still switches the running output.
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    String before = System.getProperty(LogFormat.PROPERTY);
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    try {
      System.clearProperty(LogFormat.PROPERTY);
      System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
      context.reset();
      JoranConfigurator configurator = new JoranConfigurator();
      configurator.setContext(context);
      configurator.doConfigure(LogFormatTest.class.getResource("/logback.xml"));
      LoggerFactory.getLogger("veilraft.test").info("before-switch");
      LogFormat.select("json");
      LoggerFactory.getLogger("veilraft.test").info("after-switch");
    } finally {
      System.setErr(original);
      if (before == null) {
        System.clearProperty(LogFormat.PROPERTY);
      } else {
        System.setProperty(LogFormat.PROPERTY, before);
      }
      context.reset();
      new ch.qos.logback.classic.util.ContextInitializer(context).autoConfig(); // back to logback-test.xml
    }
    List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
    assertThat(lines).anySatisfy(l -> assertThat(l).endsWith("INFO  test - before-switch"));
    String after = lines.stream().filter(l -> l.contains("after-switch")).findFirst().orElseThrow();
    assertThat(JSON.readTree(after).get("formattedMessage").asText()).isEqualTo("after-switch");
  }

  @Test
  void auditEventsCarryTheirNameAndQuotedFieldsInBothFormats() throws Exception {
    // Proves Audit.log writes "event key=value" text, quotes free text, and attaches the same fields as JSON pairs.
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    ByteArrayOutputStream json = new ByteArrayOutputStream();
    OutputStreamAppender<ILoggingEvent> textAppender = appender(context, "text", text);
    OutputStreamAppender<ILoggingEvent> jsonAppender = appender(context, "json", json);
    Logger audit = context.getLogger(Audit.LOGGER);
    audit.addAppender(textAppender);
    audit.addAppender(jsonAppender);
    try {
      Audit.log(Audit.Event.JOIN_REJECTED, "node", "abc123", "reason", "MEASUREMENT_NOT_ALLOWED", "detail",
          "measurement 7a1e is not in policy \"demo\"");
    } finally {
      audit.detachAppender(textAppender);
      audit.detachAppender(jsonAppender);
    }
    assertThat(text.toString(StandardCharsets.UTF_8)).contains("join.rejected node=abc123 reason=MEASUREMENT_NOT_ALLOWED "
        + "detail=\"measurement 7a1e is not in policy \\\"demo\\\"\"");
    JsonNode line = JSON.readTree(json.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
    assertThat(line.get("level").asText()).isEqualTo("WARN");
    assertThat(line.get("kvpList").toString()).contains("\"event\":\"join.rejected\"").contains("\"node\":\"abc123\"");
  }

  private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext context, String format,
      ByteArrayOutputStream out) {
    FormatSelectingEncoder encoder = new FormatSelectingEncoder();
    encoder.setContext(context);
    encoder.setFormat(format);
    encoder.start();
    assertThat(encoder.effectiveFormat()).isEqualTo(format);
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(out);
    appender.start();
    return appender;
  }
}
