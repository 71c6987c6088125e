package dev.veilraft.node;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * INSECURE, for simulations only: the node's clock plus an offset in milliseconds read from a
 * file, so the simulator can skew a node that runs in its own process (in one JVM it hands each
 * node its own clock instead). Enabled only by the system property {@value #PROPERTY} naming the
 * file; whoever can write that file moves the node's notion of time (join windows, challenge
 * ages, re-attestation deadlines), which is why the node logs a warning saying so at start.
 * The file holds one integer (e.g. {@code -30000}); it is re-read when its content changes, at
 * most every {@link #RECHECK_INTERVAL_MS}. A missing file means offset 0; a malformed one, one
 * longer than {@link #FILE_BYTES_MAX}, anything but a regular file (a FIFO would block every
 * reader of the clock) or an offset beyond {@link #OFFSET_MS_MAX} either way is reported and
 * ignored (the previous offset stays). Refused outright unless the node's platform is the
 * simulated one: a hardware TEE node never lets its host move its time this way.
 */
public final class InsecureFileOffsetClock extends Clock {
  public static final String PROPERTY = "veilraft.insecure.clockOffsetFile";
  /** Largest offset accepted either way: far beyond any skew a simulation needs. */
  public static final long OFFSET_MS_MAX = Duration.ofDays(366).toMillis();
  static final long RECHECK_INTERVAL_MS = 100;
  /** Longest file content read: an integer needs far less. */
  static final int FILE_BYTES_MAX = 64;
  private static final Logger log = LoggerFactory.getLogger(InsecureFileOffsetClock.class);

  private final Clock base;
  private final Path file;
  private volatile long offsetMs;
  private volatile long nextCheckNs;
  private String lastContent = "";

  InsecureFileOffsetClock(Clock base, Path file) {
    this.base = base;
    this.file = file;
  }

  /**
   * {@code base}, or an INSECURE adjustable clock when {@value #PROPERTY} is set, which only a node
   * of the simulated platform accepts.
   *
   * @throws NodeException INSECURE_CLOCK_REFUSED when the property is set on any other platform
   */
  public static Clock wrapIfRequested(Clock base, String platform) throws NodeException {
    String file = System.getProperty(PROPERTY);
    if (file == null || file.isBlank()) {
      return base;
    }
    if (!NodeConfig.PLATFORM_SIMULATED.equals(platform)) {
      throw new NodeException("INSECURE_CLOCK_REFUSED", "system property " + PROPERTY + " (an INSECURE clock offset "
          + "read from " + file + ") is set, but this node's platform is '" + platform + "'; the hook is for "
          + "'platform: " + NodeConfig.PLATFORM_SIMULATED + "' simulations only: remove the property");
    }
    log.warn("INSECURE clock: this node's time is shifted by the offset written in {} (system property {}); "
        + "for simulations only, never in production", file, PROPERTY);
    return new InsecureFileOffsetClock(base, Path.of(file));
  }

  /** For tests: the next {@link #offsetMs()} re-reads the file instead of waiting for the interval. */
  void recheckNowForTest() {
    nextCheckNs = System.nanoTime();
  }

  /** The offset now in force, re-reading the file when it is due. */
  long offsetMs() {
    long now = System.nanoTime();
    if (now - nextCheckNs >= 0) {
      refresh(now);
    }
    return offsetMs;
  }

  private synchronized void refresh(long now) {
    if (now - nextCheckNs < 0) {
      return;
    }
    nextCheckNs = now + RECHECK_INTERVAL_MS * 1_000_000;
    String content;
    try {
      content = readBounded();
    } catch (NoSuchFileException e) {
      content = "0";
    } catch (IOException e) {
      log.error("INSECURE clock: cannot read the offset file {}: {}; the offset stays {} ms", file, e.getMessage(),
          offsetMs);
      return;
    }
    if (content.equals(lastContent)) {
      return;
    }
    lastContent = content;
    long parsed;
    try {
      parsed = Long.parseLong(content);
    } catch (NumberFormatException e) {
      log.error("INSECURE clock: {} holds '{}', not an integer number of milliseconds; the offset stays {} ms", file,
          content, offsetMs);
      return;
    }
    // Not Math.abs: Math.abs(Long.MIN_VALUE) is negative and would pass.
    if (parsed < -OFFSET_MS_MAX || parsed > OFFSET_MS_MAX) {
      log.error("INSECURE clock: offset {} ms in {} is beyond OFFSET_MS_MAX {}; the offset stays {} ms", parsed, file,
          OFFSET_MS_MAX, offsetMs);
      return;
    }
    if (parsed != offsetMs) {
      log.warn("INSECURE clock: offset now {} ms (was {} ms), from {}", parsed, offsetMs, file);
      offsetMs = parsed;
    }
  }

  /**
   * The file's content, at most {@link #FILE_BYTES_MAX} bytes, from a regular file only: opening a
   * FIFO would block until a writer appears, and with it every thread asking this clock the time.
   */
  private String readBounded() throws IOException {
    BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
    if (!attributes.isRegularFile()) {
      throw new IOException("not a regular file");
    }
    if (attributes.size() > FILE_BYTES_MAX) {
      throw new IOException("longer than FILE_BYTES_MAX " + FILE_BYTES_MAX + " bytes");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(FILE_BYTES_MAX + 1);
    }
    if (bytes.length > FILE_BYTES_MAX) {
      throw new IOException("longer than FILE_BYTES_MAX " + FILE_BYTES_MAX + " bytes");
    }
    return new String(bytes, StandardCharsets.US_ASCII).strip();
  }

  @Override
  public ZoneId getZone() {
    return base.getZone();
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return new InsecureFileOffsetClock(base.withZone(zone), file);
  }

  @Override
  public long millis() {
    return base.millis() + offsetMs();
  }

  @Override
  public Instant instant() {
    return base.instant().plusMillis(offsetMs());
  }
}
