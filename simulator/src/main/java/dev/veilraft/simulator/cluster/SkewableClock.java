package dev.veilraft.simulator.cluster;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A node's local clock: real UTC time plus an offset the simulator changes to skew it. */
public final class SkewableClock extends Clock {
  private final AtomicLong offsetMs = new AtomicLong();

  public void setOffset(Duration offset) {
    offsetMs.set(offset.toMillis());
  }

  public Duration offset() {
    return Duration.ofMillis(offsetMs.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("a simulated node clock is always UTC");
  }

  @Override
  public long millis() {
    return System.currentTimeMillis() + offsetMs.get();
  }

  @Override
  public Instant instant() {
    return Instant.now().plusMillis(offsetMs.get());
  }
}
