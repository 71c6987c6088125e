package dev.veilraft.node.logging;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import java.util.Locale;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Chooses the log format: {@code text} (human-readable, the default) or {@code json} (one JSON
 * object per line). Read by {@code logback.xml} from the system property {@value #PROPERTY}, else
 * the environment variable {@value #ENV}. Logback reads its configuration when the first logger
 * is created, so a CLI option must call {@link #select} before that; {@link #select} also
 * reconfigures logback when it has already started, so calling it late still takes effect.
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
    String before = System.getProperty(PROPERTY);
    System.setProperty(PROPERTY, chosen);
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (factory instanceof LoggerContext context && !chosen.equals(before)) {
      reconfigure(context);
    }
  }

  /** Re-reads logback's configuration (logback.xml), which picks up the property. */
  private static void reconfigure(LoggerContext context) {
    context.reset();
    try {
      new ContextInitializer(context).autoConfig();
    } catch (JoranException e) {
      throw new IllegalStateException("cannot reconfigure logging: " + e.getMessage(), e);
    }
  }
}
