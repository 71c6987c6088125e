package dev.veilraft.consensus.ratis;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * What one class's logger emits while the tests of a class run, for tests that assert an
 * operator-facing message: {@code @RegisterExtension final CapturedLog log = new CapturedLog(X.class)}.
 * Attached around each test; the events of one instance accumulate.
 */
final class CapturedLog implements BeforeEachCallback, AfterEachCallback {
  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  CapturedLog(Class<?> source) {
    this.logger = (Logger) LoggerFactory.getLogger(source);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    appender.start();
    logger.addAppender(appender);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    logger.detachAppender(appender);
  }

  List<ILoggingEvent> events() {
    return appender.list;
  }
}
