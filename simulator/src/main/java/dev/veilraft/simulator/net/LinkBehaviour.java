package dev.veilraft.simulator.net;

/**
 * How one directed link (the connections node A opens to node B, bytes both ways) treats its
 * traffic. A cut link forwards nothing until it heals: bytes already sent wait, as TCP's would
 * during a partition, and are delivered afterwards unless a side gave up on the connection. Every
 * chunk of bytes is held back {@code delayMs} plus up to {@code jitterMs} (order is kept). TCP
 * cannot lose bytes, so {@code loss} is emulated as TCP experiences it: a chunk that would have
 * been lost is delivered one retransmission timeout ({@link #RETRANSMIT_MS}) late.
 */
public record LinkBehaviour(boolean cut, long delayMs, long jitterMs, double loss) {
  /** The retransmission delay a "lost" chunk suffers (Linux's minimum RTO). */
  public static final long RETRANSMIT_MS = 200;
  /** Bounds on the knobs, so a schedule cannot stall a link for good by accident. */
  public static final long delayMsMax = 10_000;
  public static final double lossMax = 0.5;

  public static final LinkBehaviour HEALTHY = new LinkBehaviour(false, 0, 0, 0);
  public static final LinkBehaviour CUT = new LinkBehaviour(true, 0, 0, 0);

  public LinkBehaviour {
    if (delayMs < 0 || delayMs > delayMsMax || jitterMs < 0 || jitterMs > delayMsMax) {
      throw new IllegalArgumentException("link delay " + delayMs + " ms / jitter " + jitterMs + " ms: expected 0.."
          + delayMsMax);
    }
    if (!(loss >= 0 && loss <= lossMax)) {
      throw new IllegalArgumentException("link loss " + loss + ": expected 0.." + lossMax);
    }
  }

  public static LinkBehaviour slow(long delayMs, long jitterMs, double loss) {
    return new LinkBehaviour(false, delayMs, jitterMs, loss);
  }

  public boolean healthy() {
    return equals(HEALTHY);
  }
}
