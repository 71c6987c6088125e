package dev.veilraft.node.interop;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Records every log line of this JVM (message and exception text) while attached, so a test can
 * check that no secret or plaintext reached the logs. Bounded: keeps at most {@link #LINES_MAX}.
 */
final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {
  static final int LINES_MAX = 200_000;
  private final List<String> lines = new ArrayList<>();

  static LogCapture attach() {
    LogCapture capture = new LogCapture();
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    capture.setContext(context);
    capture.setName("veilraft-test-capture");
    capture.start();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
    return capture;
  }

  @Override
  protected synchronized void append(ILoggingEvent event) {
    if (lines.size() < LINES_MAX) {
      StringBuilder line = new StringBuilder(event.getFormattedMessage());
      for (var t = event.getThrowableProxy(); t != null; t = t.getCause()) {
        line.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
      }
      lines.add(line.toString());
    }
  }

  /** The captured lines that contain {@code text} (case-insensitive). */
  synchronized List<String> containing(String text) {
    String needle = text.toLowerCase(java.util.Locale.ROOT);
    return lines.stream().filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains(needle)).toList();
  }

  synchronized int size() {
    return lines.size();
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(this);
    stop();
  }
}
