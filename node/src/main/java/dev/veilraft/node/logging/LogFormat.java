package dev.veilraft.node.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.joran.util.ConfigurationWatchListUtil;
import java.util.Iterator;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Chooses the log format: {@code text} (human-readable, the default) or {@code json} (one JSON
 * object per line). Read by {@code logback.xml} from the system property {@value #PROPERTY}, else
 * the environment variable {@value #ENV}. Logback reads its configuration when the first logger
 * is created, so a CLI option should call {@link #select} before that; {@link #select} also
 * reconfigures logback when it has already started in the other format, so calling it late
 * still takes effect. Only configurations that use {@link FormatSelectingEncoder} (the
 * production {@code logback.xml}) are affected; a test configuration is left alone.
 */
public final class LogFormat {
  public static final String PROPERTY = "veilraft.log.format";
  public static final String ENV = "VEILRAFT_LOG_FORMAT";
  public static final String TEXT = "text";
  public static final String JSON = "json";

  private LogFormat() {}

  /**
   * Selects {@code format} (text or json, any case) for this JVM.
   *
   * @throws IllegalArgumentException naming the bad value when it is neither
   */
  public static void select(String format) {
    String chosen = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
    if (!chosen.equals(TEXT) && !chosen.equals(JSON)) {
      throw new IllegalArgumentException("log format '" + format + "' is not " + TEXT + " or " + JSON);
    }
    System.setProperty(PROPERTY, chosen);
    // The first use of the factory configures logback (reading the property just set); a
    // logback that had started earlier with the other format is configured again.
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context && writesOtherFormat(context, chosen)) {
      reconfigure(context);
    }
  }

  /** Whether a root appender encodes with {@link FormatSelectingEncoder} in a format other than {@code chosen}. */
  private static boolean writesOtherFormat(LoggerContext context, String chosen) {
    Iterator<Appender<ILoggingEvent>> appenders = context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
    while (appenders.hasNext()) {
      if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> stream
          && stream.getEncoder() instanceof FormatSelectingEncoder encoder && !encoder.effectiveFormat().equals(chosen)) {
        return true;
      }
    }
    return false;
  }

  /** Re-reads the configuration logback started from (normally logback.xml), which picks up the property. */
  private static void reconfigure(LoggerContext context) {
    java.net.URL main = ConfigurationWatchListUtil.getMainWatchURL(context);
    context.reset();
    try {
      if (main == null) {
        new ContextInitializer(context).autoConfig();
      } else {
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        configurator.doConfigure(main);
      }
    } catch (JoranException e) {
      throw new IllegalStateException("cannot reconfigure logging: " + e.getMessage(), e);
    }
  }
}
