package dev.veilraft.node.logging;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * A logback encoder that writes human-readable lines ({@code text}, the {@code pattern}) or one
 * JSON object per line ({@code json}, logback's own {@link JsonEncoder}: timestamp, level, thread,
 * logger, formatted message, key-value pairs such as the audit fields, throwable). The format is
 * chosen once, when logback starts it; {@code logback.xml} sets it from the system property
 * {@value LogFormat#PROPERTY} or the environment variable {@value LogFormat#ENV}. An unknown
 * format falls back to text and logback reports the error on its status console.
 */
public final class FormatSelectingEncoder extends EncoderBase<ILoggingEvent> {
  private String format = LogFormat.TEXT;
  private String pattern = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";
  private Encoder<ILoggingEvent> delegate;

  public void setFormat(String format) {
    this.format = format;
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  /** The format in effect once started: {@code text} or {@code json}. */
  public String effectiveFormat() {
    return delegate instanceof JsonEncoder ? LogFormat.JSON : LogFormat.TEXT;
  }

  @Override
  public void start() {
    String chosen = format == null ? LogFormat.TEXT : format.trim();
    if (LogFormat.JSON.equalsIgnoreCase(chosen)) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(getContext());
      // One self-contained line per event: the formatted message instead of template and arguments,
      // and no context properties repeated on every line.
      json.setWithFormattedMessage(true);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithContext(false);
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      delegate = json;
    } else {
      if (!LogFormat.TEXT.equalsIgnoreCase(chosen)) {
        addError("log format '" + chosen + "' (" + LogFormat.PROPERTY + " / " + LogFormat.ENV + ") is not "
            + LogFormat.TEXT + " or " + LogFormat.JSON + "; logging as text");
      }
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setContext(getContext());
      text.setPattern(pattern);
      delegate = text;
    }
    delegate.start();
    super.start();
  }

  @Override
  public void stop() {
    if (delegate != null) {
      delegate.stop();
    }
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return delegate.headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return delegate.encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return delegate.footerBytes();
  }
}
